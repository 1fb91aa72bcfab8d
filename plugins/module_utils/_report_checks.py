"""Split a domain's verdict into named checks (the JUnit test cases), each with its breaches.

The policy is the judge: a check fails exactly when the policy reported a breach that belongs
to it, so a CI system's red and green agree with the run's verdict. The probe data only adds
what was observed (shown as the test's output) and decides when a check cannot apply (no s2s
endpoint, DANE not required, nothing could be probed): such checks are skipped, not passed.
A breach whose code no check claims becomes a check of its own, so no breach is ever lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._report_summary import (
    days_left,
    endpoint_grade,
    endpoint_label,
    offered_versions,
)

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _yes(value: Any) -> str:
    return {True: "yes", False: "NO"}.get(value, "unknown")


@dataclass(frozen=True)
class Check:
    """A named check and the breach codes (policy's and grading's) that belong to it."""

    id: str
    title: str
    codes: frozenset[str]
    stream: str | None = None  # plaintext checks: only breaches on this stream
    observe: Callable[[Mapping[str, Any]], str] | None = None  # one line per probed endpoint


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: str  # passed | failed | skipped
    breaches: tuple[Mapping[str, Any], ...] = ()
    detail: str = ""  # what was observed (passed) or why skipped


def _plaintext(r: Mapping[str, Any]) -> str:
    f = _map(r.get("features"))
    line = f"plaintext refused: {_yes(r.get('plaintext_refused'))}"
    if _map(r.get("endpoint")).get("tls_mode") != "direct":
        line += f", STARTTLS required: {_yes(f.get('starttls_required'))}"
        mechanisms = f.get("sasl_mechanisms_before_tls") or []
        if mechanisms:
            line += ", SASL before TLS: " + ", ".join(str(m) for m in mechanisms)
    if r.get("starttls_injection"):
        line += ", STARTTLS injection: YES"
    return line


def _versions(r: Mapping[str, Any]) -> str:
    return "versions: " + (", ".join(offered_versions(r)) or "none")


def _suites(r: Mapping[str, Any]) -> str:
    suites = _map(_map(r.get("tls")).get("cipher_suites"))
    return "; ".join(f"{v}: {len(names or ())} suites" for v, names in suites.items()) or "none"


def _fs(r: Mapping[str, Any]) -> str:
    return f"forward secrecy: {_yes(_map(r.get('tls')).get('forward_secrecy'))}"


def _trusted(r: Mapping[str, Any]) -> str:
    cert = _map(r.get("certificate"))
    line = f"trusted: {_yes(cert.get('trusted'))}, issuer: {cert.get('issuer') or '?'}"
    return line + (f" ({cert['trust_error']})" if cert.get("trust_error") else "")


def _name(r: Mapping[str, Any]) -> str:
    cert = _map(r.get("certificate"))
    matched = cert.get("matched_identity")
    return f"name matches: {_yes(cert.get('name_matches'))}" + (f" ({matched})" if matched else "")


def _key(r: Mapping[str, Any]) -> str:
    cert = _map(r.get("certificate"))
    return (
        f"key: {cert.get('key_type') or '?'} {cert.get('key_bits') or '?'} bits, "
        f"signature: {cert.get('signature_algorithm') or '?'}"
    )


def _days(r: Mapping[str, Any]) -> str:
    days = days_left(r)
    return f"days left: {'unknown' if days is None else days}"


def _client_auth(r: Mapping[str, Any]) -> str:
    return (
        f"certificate allows client auth: {_yes(_map(r.get('certificate')).get('eku_client_auth'))}"
    )


def _grade(r: Mapping[str, Any]) -> str:
    return f"grade: {endpoint_grade(r)}"


def _tlsa(r: Mapping[str, Any]) -> str:
    return f"TLSA 3 1 1: {_map(r.get('certificate')).get('tlsa_3_1_1') or 'none'}"


_PLAINTEXT_CODES = frozenset(
    {
        "plaintext-accepted",
        "plaintext-allowed",
        "plaintext",
        "starttls-not-offered",
        "starttls-not-required",
        "auth-before-tls",
        "dialback-before-tls",
        "starttls-injection",
    }
)

CHECKS: tuple[Check, ...] = (
    Check(
        "reachable",
        "endpoints reachable",
        frozenset({"unreachable", "no-endpoints", "probe-error"}),
    ),
    Check("plaintext-c2s", "plaintext refused (c2s)", _PLAINTEXT_CODES, "c2s", _plaintext),
    Check("plaintext-s2s", "plaintext refused (s2s)", _PLAINTEXT_CODES, "s2s", _plaintext),
    Check(
        "min-tls-version",
        "minimum TLS version",
        frozenset(
            {"sslv2", "sslv3", "sslv3-only", "old-tls", "no-tls12", "no-tls", "min-tls-version"}
        ),
        observe=_versions,
    ),
    Check(
        "cipher-suites",
        "cipher suites",
        frozenset(
            {
                "anonymous-suite",
                "null-cipher",
                "export-suite",
                "rc4",
                "weak-block-cipher",
                "unknown-suite",
                "compression",
                "dh-under-2048",
                "cipher-suites",
            }
        ),
        observe=_suites,
    ),
    Check(
        "forward-secrecy",
        "forward secrecy",
        frozenset(
            {
                "no-forward-secrecy",
                "not-all-forward-secret",
                "partial-forward-secrecy",
                "forward-secrecy",
            }
        ),
        observe=_fs,
    ),
    Check(
        "certificate-trusted",
        "certificate trusted",
        frozenset({"certificate-untrusted", "trust-unknown", "no-certificate", "self-signed"}),
        observe=_trusted,
    ),
    Check(
        "certificate-name",
        "certificate name",
        frozenset({"name-mismatch", "certificate-name"}),
        observe=_name,
    ),
    Check(
        "certificate-key",
        "certificate key and signature",
        frozenset({"key-under-1024", "key-under-2048", "md5-signature", "sha1-signature"}),
        observe=_key,
    ),
    Check(
        "days-left",
        "certificate days left",
        frozenset({"certificate-expired", "certificate-expiring", "days-left"}),
        observe=_days,
    ),
    Check(
        "s2s-authentication",
        "s2s certificate authentication",
        frozenset({"s2s-no-client-auth", "s2s-authentication"}),
        "s2s",
        _client_auth,
    ),
    Check(
        "min-grade",
        "grade at least the minimum",
        frozenset({"grade-below-minimum", "min-grade", "grade"}),
        observe=_grade,
    ),
    Check(
        "dane",
        "DANE (TLSA) when required",
        frozenset({"no-dane", "dane", "tlsa-mismatch", "srv-not-secure", "dnssec"}),
        observe=_tlsa,
    ),
)
CHECK_IDS = tuple(c.id for c in CHECKS)
_POLICY_DANE_KEYS = ("require_dane", "dane_required", "dane")
_POLICY_GRADE_KEYS = ("min_grade", "minimum_grade")


def _breach_stream(breach: Mapping[str, Any]) -> str | None:
    """The stream a breach is about, read from its endpoint label or its code."""
    words = f"{breach.get('endpoint', '')} {breach.get('code', '')}".replace("-", " ").split()
    for stream in ("c2s", "s2s"):
        if stream in words:
            return stream
    return None


def assign(breaches: Sequence[Mapping[str, Any]]) -> tuple[dict[str, list], list]:
    """Breaches by check id, and the breaches no check claims (in the input's order)."""
    by_check: dict[str, list[Mapping[str, Any]]] = {c.id: [] for c in CHECKS}
    unclaimed: list[Mapping[str, Any]] = []
    for breach in breaches:
        code = str(breach.get("code", ""))
        if code in _PLAINTEXT_CODES:
            # A plaintext breach on an unknown stream is a client's problem first.
            by_check[
                "plaintext-s2s" if _breach_stream(breach) == "s2s" else "plaintext-c2s"
            ].append(breach)
            continue
        owner = next((c for c in CHECKS if code in c.codes), None)
        if owner is None:
            unclaimed.append(breach)
        else:
            by_check[owner.id].append(breach)
    return by_check, unclaimed


def _skip_reason(
    check: Check, endpoints: Sequence[Mapping[str, Any]], policy: Mapping[str, Any]
) -> str | None:
    if check.id == "reachable":
        return None if endpoints else "no endpoint was found to probe"
    if check.id == "dane" and not any(policy.get(k) for k in _POLICY_DANE_KEYS):
        return "the policy does not require DANE"
    if check.id == "min-grade":
        return None
    relevant = [
        e for e in endpoints if check.stream in (None, _map(e.get("endpoint")).get("stream"))
    ]
    if not relevant:
        return f"no {check.stream or ''} endpoint was found".replace("  ", " ")
    if all(e.get("error") for e in relevant):
        return "no endpoint could be probed"
    return None


def _observed(
    check: Check,
    domain: Mapping[str, Any],
    endpoints: Sequence[Mapping[str, Any]],
    policy: Mapping[str, Any],
) -> str:
    if check.id == "reachable":
        lines = [
            f"{endpoint_label(e)}: "
            + (f"error {_map(e.get('error')).get('code', '?')}" if e.get("error") else "probed")
            for e in endpoints
        ]
        return "\n".join(lines)
    if check.id == "min-grade":
        minimum = next((policy[k] for k in _POLICY_GRADE_KEYS if policy.get(k)), None)
        line = f"domain grade: {_map(domain.get('grade')).get('grade', '?')}"
        return line + (f", policy minimum: {minimum}" if minimum else "")
    lines = []
    for e in endpoints:
        if e.get("error") or check.stream not in (None, _map(e.get("endpoint")).get("stream")):
            continue
        if check.observe is not None:
            lines.append(f"{endpoint_label(e)}: {check.observe(e)}")
    return "\n".join(lines)


def domain_checks(
    domain: Mapping[str, Any], policy: Mapping[str, Any] | None = None
) -> tuple[CheckResult, ...]:
    """Every check for one domain entry of the report document, in a fixed order."""
    policy = policy or {}
    endpoints = [e for e in domain.get("endpoints") or () if isinstance(e, Mapping)]
    by_check, unclaimed = assign(
        [b for b in domain.get("breaches") or () if isinstance(b, Mapping)]
    )
    results: list[CheckResult] = []
    for check in CHECKS:
        breaches = tuple(by_check[check.id])
        if breaches:
            results.append(CheckResult(check.id, check.title, FAILED, breaches))
            continue
        reason = _skip_reason(check, endpoints, policy)
        if reason is not None:
            results.append(CheckResult(check.id, check.title, SKIPPED, detail=reason))
        else:
            detail = _observed(check, domain, endpoints, policy)
            results.append(CheckResult(check.id, check.title, PASSED, detail=detail))
    codes: dict[str, list[Mapping[str, Any]]] = {}
    for breach in unclaimed:
        codes.setdefault(str(breach.get("code", "")), []).append(breach)
    for code, breaches in codes.items():
        results.append(CheckResult(f"policy:{code}", f"policy: {code}", FAILED, tuple(breaches)))
    return tuple(results)
