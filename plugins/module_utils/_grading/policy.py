"""Hold probe results against an operator's policy: a list of breaches, each with its fix.

The grade answers "how good is it"; a policy answers "may this rollout go on". Every key
has a declared type and default (POLICY_SCHEMA), so a typo in a playbook is an error that
names the key, never a silently ignored rule. docs/grading.md documents every key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    DEFAULT_RENEW_DAYS,
    FIX_CIPHERS,
    FIX_PROTOCOL,
    GRADES,
    PROTOCOL_SCORES,
    DnsEvidence,
    Facts,
    Grade,
    dns_for,
    grade_endpoint,
    normalize_dns,
    read_facts,
)

VERSION_ORDER: tuple[str, ...] = tuple(PROTOCOL_SCORES)  # oldest first


class PolicyError(ValueError):
    """A policy that cannot be applied: unknown key or a value of the wrong kind."""


@dataclass(frozen=True)
class PolicyKey:
    name: str
    kind: type
    default: Any
    description: str
    choices: tuple[str, ...] = ()


POLICY_SCHEMA: dict[str, PolicyKey] = {
    k.name: k
    for k in (
        PolicyKey("min_grade", str, "B", "The worst grade accepted.", GRADES),
        PolicyKey(
            "require_plaintext_refused",
            bool,
            True,
            "No plaintext on c2s or s2s: STARTTLS required, no authentication or dialback "
            "before TLS, a stream without TLS refused.",
        ),
        PolicyKey(
            "min_tls_version",
            str,
            "TLSv1.2",
            "The oldest protocol version the endpoint may accept.",
            VERSION_ORDER,
        ),
        PolicyKey("require_forward_secrecy", bool, True, "Every accepted suite is forward-secret."),
        PolicyKey("min_days_left", int, 14, "Days the certificate must still be valid."),
        PolicyKey(
            "require_s2s_cert_auth",
            bool,
            False,
            "On s2s: certificate trusted, naming the domain, with the clientAuth usage, so "
            "peers can authenticate this server by certificate (SASL EXTERNAL).",
        ),
        PolicyKey(
            "require_dane",
            bool,
            False,
            "DNSSEC-signed SRV records and a TLSA record that matches the certificate.",
        ),
    )
}


@dataclass(frozen=True)
class Breach:
    code: str
    endpoint: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "endpoint": self.endpoint,
            "message": self.message,
            "fix": self.fix,
        }


def resolve_policy(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """The policy with defaults filled in; PolicyError on an unknown key or a wrong value."""
    given = dict(policy or {})
    valid = ", ".join(POLICY_SCHEMA)
    unknown = sorted(set(given) - set(POLICY_SCHEMA))
    if unknown:
        raise PolicyError(f"unknown policy key(s) {', '.join(unknown)}; valid keys: {valid}")
    out = {name: key.default for name, key in POLICY_SCHEMA.items()}
    for name, value in given.items():
        key = POLICY_SCHEMA[name]
        if value is None:
            continue
        # bool is an int in Python: refuse True as a number of days.
        if not isinstance(value, key.kind) or (key.kind is int and isinstance(value, bool)):
            raise PolicyError(
                f"policy key {name} must be {key.kind.__name__}, got {type(value).__name__}"
            )
        if key.choices and value not in key.choices:
            raise PolicyError(
                f"policy key {name} must be one of {', '.join(key.choices)}, got {value!r}"
            )
        out[name] = value
    return out


# --- one check per key -----------------------------------------------------------------------


def _min_grade(f: Facts, g: Grade, dns: DnsEvidence | None, p: Mapping[str, Any]) -> list[Breach]:
    wanted = p["min_grade"]
    if GRADES.index(g.grade) <= GRADES.index(wanted):
        return []
    reasons = "; ".join(c.reason for c in g.caps) or (
        f"score {g.score:g} (protocol {g.subscores.protocol:g}, key exchange "
        f"{g.subscores.key_exchange:g}, cipher {g.subscores.cipher:g})"
    )
    fixes = " ".join(dict.fromkeys(c.fix for c in g.caps)) or FIX_CIPHERS
    return [Breach("grade", f.label, f"grade {g.grade} is below {wanted}: {reasons}", fixes)]


def _plaintext(f: Facts, g: Grade, dns: DnsEvidence | None, p: Mapping[str, Any]) -> list[Breach]:
    if not p["require_plaintext_refused"]:
        return []
    found = [
        Breach("plaintext", f.label, f"plaintext possible ({code}): {reason}", fix)
        for code, reason, fix in f.plaintext_findings()
    ]
    if f.tls_mode != "direct" and not f.features:
        # a rule that must hold is not shown to hold by a probe that did not look
        found.append(
            Breach(
                "plaintext",
                f.label,
                "plaintext not verified: the stream features were not probed",
                "Run tls_info with the features check.",
            )
        )
    return found


def _tls_version(f: Facts, g: Grade, dns: DnsEvidence | None, p: Mapping[str, Any]) -> list[Breach]:
    floor = VERSION_ORDER.index(p["min_tls_version"])
    old = [v for v in f.versions if VERSION_ORDER.index(v) < floor]
    if not old:
        return []
    return [
        Breach(
            "tls-version",
            f.label,
            f"{', '.join(old)} accepted; the policy's oldest allowed is {p['min_tls_version']}",
            FIX_PROTOCOL,
        )
    ]


def _forward_secrecy(
    f: Facts, g: Grade, dns: DnsEvidence | None, p: Mapping[str, Any]
) -> list[Breach]:
    if not p["require_forward_secrecy"] or f.all_forward_secret:
        return []
    names = ", ".join(s.name for s in f.non_fs_suites) or "the probe found none"
    return [
        Breach(
            "forward-secrecy",
            f.label,
            f"suites without forward secrecy are accepted: {names}",
            FIX_CIPHERS,
        )
    ]


def _days_left(f: Facts, g: Grade, dns: DnsEvidence | None, p: Mapping[str, Any]) -> list[Breach]:
    days = f.certificate.get("days_left")
    if not isinstance(days, int) or days >= p["min_days_left"]:
        return []
    state = "expired" if days < 0 else f"expires in {days} day(s)"
    return [
        Breach(
            "certificate-days",
            f.label,
            f"the certificate {state}; the policy wants at least {p['min_days_left']} day(s) left",
            "Renew it through the collection's certificate role and check that its scheduled "
            "renewal runs.",
        )
    ]


def _s2s_cert_auth(
    f: Facts, g: Grade, dns: DnsEvidence | None, p: Mapping[str, Any]
) -> list[Breach]:
    if not p["require_s2s_cert_auth"] or f.stream != "s2s":
        return []
    cert = f.certificate
    missing = [
        what
        for what, ok in (
            ("trusted", cert.get("trusted") is True),
            ("names the domain", cert.get("name_matches") is True),
            ("has the clientAuth usage", cert.get("eku_client_auth") is True),
        )
        if not ok
    ]
    if not missing:
        return []
    return [
        Breach(
            "s2s-cert-auth",
            f.label,
            "peers cannot authenticate this server by certificate (SASL EXTERNAL); the "
            f"certificate is not: {', '.join(missing)}",
            "Issue a trusted certificate naming the domain with serverAuth and clientAuth "
            "usages through the certificate role; then s2s_secure_auth = true can be enabled.",
        )
    ]


def _dane(f: Facts, g: Grade, dns: DnsEvidence | None, p: Mapping[str, Any]) -> list[Breach]:
    if not p["require_dane"]:
        return []
    if dns is None:
        problem = "no DNS result was given to check DANE against"
    elif not dns.srv_secure:
        problem = "the SRV records are not DNSSEC-secure"
    elif not dns.tlsa_matched:
        problem = "no DNSSEC-secure TLSA record matches the certificate"
    else:
        return []
    return [
        Breach(
            "dane",
            f.label,
            f"DANE required but {problem}",
            "Sign the zone with DNSSEC and publish a TLSA 3 1 1 record for each SRV target "
            "through the certificate role; pass the dns_info result to the check.",
        )
    ]


# Each check: (facts, grade, dns evidence or None, resolved policy) -> breaches.
POLICY_RULES: tuple[
    Callable[[Facts, Grade, DnsEvidence | None, Mapping[str, Any]], list[Breach]], ...
] = (
    _min_grade,
    _plaintext,
    _tls_version,
    _forward_secrecy,
    _days_left,
    _s2s_cert_auth,
    _dane,
)


def evaluate_policy(
    result: Mapping[str, Any],
    policy: Mapping[str, Any] | None = None,
    *,
    dns: Mapping[str, Any] | DnsEvidence | None = None,
    grade: Grade | None = None,
    renew_days: int = DEFAULT_RENEW_DAYS,
) -> list[Breach]:
    """Every way one probe result breaks ``policy`` (defaults for keys not given).

    ``grade`` may be passed when the caller graded the result already; otherwise it is
    computed here. An endpoint that could not be probed is one breach of its own.
    """
    settings = resolve_policy(policy)
    facts = read_facts(result)
    if facts.error is not None:
        code = facts.error.get("code") or "error"
        message = facts.error.get("message") or "the endpoint could not be probed"
        return [
            Breach(
                "unreachable",
                facts.label,
                f"unreachable: {code}: {message}",
                "Check that the server runs and listens on this host and port, that the "
                "firewall lets the prober in, and that the SRV records point at it.",
            )
        ]
    evidence = normalize_dns(dns if isinstance(dns, DnsEvidence) else dns_for(result, dns))
    verdict = grade or grade_endpoint(result, evidence, renew_days=renew_days)
    return [b for check in POLICY_RULES for b in check(facts, verdict, evidence, settings)]


def evaluate_policies(
    results: Iterable[Mapping[str, Any]],
    policy: Mapping[str, Any] | None = None,
    *,
    dns: Mapping[str, Any] | None = None,
    renew_days: int = DEFAULT_RENEW_DAYS,
) -> list[Breach]:
    """Breaches of many results; ``dns`` is one DNS result for all or a mapping by domain."""
    resolve_policy(policy)  # an unknown key is an error even with no results
    out: list[Breach] = []
    for result in results:
        out += evaluate_policy(result, policy, dns=dns_for(result, dns), renew_days=renew_days)
    return out
