"""Split a domain's verdict into named checks (the JUnit test cases), each with its reasons.

The policy is the judge: a check fails only in a domain that breaks the policy, so a CI
system's red and green agree with the run's verdict. A check fails when a policy breach
belongs to it (by code), or when the domain's grade is below the policy's minimum and a
grading cap of this check's kind is one of the reasons (so "certificate trusted" fails for a
self-signed certificate, although the policy reports that only as a grade). The probe data
adds what was observed (the test's output) and decides when a check cannot apply (no s2s
endpoint, DANE not required, nothing could be probed): such checks are skipped, not passed.
A breach whose code no check claims becomes a check of its own, so no breach is ever lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import POLICY_SCHEMA
from ansible_collections.xmpp.encryption.plugins.module_utils._report.summary import (
    days_left,
    endpoint_grade,
    endpoint_label,
    grade_rank,
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
    policy_key: str | None = None  # the policy switch that turns the check on or off


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: str  # passed | failed | skipped
    breaches: tuple[Mapping[str, Any], ...] = ()
    findings: tuple[Mapping[str, Any], ...] = ()  # grading caps behind a grade breach
    detail: str = ""  # what was observed (passed) or why skipped

    @property
    def reasons(self) -> tuple[Mapping[str, Any], ...]:
        """Breaches then caps, each with ``message`` (or ``reason``) and ``fix``."""
        return self.breaches + self.findings


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


# Grading's codes for each way plaintext gets through, and the policy's one code for them all.
_PLAINTEXT_CODES = frozenset(
    {
        "plaintext",
        "plaintext-accepted",
        "starttls-not-offered",
        "starttls-not-required",
        "auth-before-tls",
        "dialback-before-tls",
        "starttls-injection",
    }
)

# Codes are the policy's (_grading/policy.py) and grading's caps (_grading/caps.py); docs/reports.md
# lists them. Keep a new code of either in step here, or it becomes a "policy: code" case.
REPORT_CHECKS: tuple[Check, ...] = (
    Check("reachable", "endpoints reachable", frozenset({"unreachable", "no-endpoints"})),
    Check(
        "plaintext-c2s",
        "plaintext refused (c2s)",
        _PLAINTEXT_CODES,
        "c2s",
        _plaintext,
        "require_plaintext_refused",
    ),
    Check(
        "plaintext-s2s",
        "plaintext refused (s2s)",
        _PLAINTEXT_CODES,
        "s2s",
        _plaintext,
        "require_plaintext_refused",
    ),
    Check(
        "min-tls-version",
        "minimum TLS version",
        frozenset(
            {
                "tls-version",
                "sslv2",
                "sslv3",
                "sslv3-only",
                "old-tls",
                "no-tls12",
                "no-tls",
                "tls-downgrade",
            }
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
            }
        ),
        observe=_suites,
    ),
    Check(
        "forward-secrecy",
        "forward secrecy",
        frozenset({"forward-secrecy", "no-forward-secrecy", "not-all-forward-secret"}),
        observe=_fs,
        policy_key="require_forward_secrecy",
    ),
    Check(
        "certificate-trusted",
        "certificate trusted",
        frozenset({"certificate-untrusted", "trust-unknown", "no-certificate"}),
        observe=_trusted,
    ),
    Check(
        "certificate-name",
        "certificate name",
        frozenset({"name-mismatch"}),
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
        frozenset({"certificate-days", "certificate-expired", "certificate-expiring"}),
        observe=_days,
    ),
    Check(
        "s2s-cert-auth",
        "s2s certificate authentication",
        frozenset({"s2s-cert-auth", "s2s-no-client-auth"}),
        "s2s",
        _client_auth,
        "require_s2s_cert_auth",
    ),
    Check("min-grade", "grade at least the minimum", frozenset({"grade"}), observe=_grade),
    Check(
        "dane",
        "DANE (TLSA) when required",
        frozenset({"dane", "no-dane", "srv-not-secure"}),
        observe=_tlsa,
        policy_key="require_dane",
    ),
)
CHECK_IDS = tuple(c.id for c in REPORT_CHECKS)
_BY_ID = {c.id: c for c in REPORT_CHECKS}
_GRADE_CODES = next(c.codes for c in REPORT_CHECKS if c.id == "min-grade")


def _required(check: Check, policy: Mapping[str, Any]) -> bool:
    """Whether the policy asks for this check (its own default when the key is absent)."""
    if check.policy_key is None:
        return True
    value = policy.get(check.policy_key)
    if value is None:
        key = POLICY_SCHEMA.get(check.policy_key)
        return bool(key.default) if key is not None else True
    return bool(value)


def _stream(item: Mapping[str, Any]) -> str | None:
    """The stream a breach or finding is about, read from its endpoint label or its code."""
    words = f"{item.get('endpoint', '')} {item.get('code', '')}".replace("-", " ").split()
    for stream in ("c2s", "s2s"):
        if stream in words:
            return stream
    return None


def _owner(item: Mapping[str, Any]) -> Check | None:
    code = str(item.get("code", ""))
    if code in _PLAINTEXT_CODES:
        # A plaintext breach on an unknown stream is a client's problem first.
        return _BY_ID["plaintext-s2s" if _stream(item) == "s2s" else "plaintext-c2s"]
    return next((c for c in REPORT_CHECKS if code in c.codes), None)


def assign(items: Sequence[Mapping[str, Any]]) -> tuple[dict[str, list], list]:
    """Breaches (or findings) by check id, and those no check claims (in the input's order)."""
    by_check: dict[str, list[Mapping[str, Any]]] = {c.id: [] for c in REPORT_CHECKS}
    unclaimed: list[Mapping[str, Any]] = []
    for item in items:
        owner = _owner(item)
        if owner is None:
            unclaimed.append(item)
        else:
            by_check[owner.id].append(item)
    return by_check, unclaimed


def grade_causes(
    domain: Mapping[str, Any], policy: Mapping[str, Any]
) -> tuple[Mapping[str, Any], ...]:
    """The caps that hold the grade below the policy's minimum, when the policy says so."""
    if not any(b.get("code") in _GRADE_CODES for b in domain.get("breaches") or ()):
        return ()
    minimum = policy.get("min_grade")
    if not isinstance(minimum, str):
        minimum = str(POLICY_SCHEMA["min_grade"].default)
    caps = _map(domain.get("grade")).get("caps") or ()
    return tuple(
        c
        for c in caps
        if isinstance(c, Mapping) and grade_rank(str(c.get("cap", "F"))) > grade_rank(minimum)
    )


def _skip_reason(
    check: Check, endpoints: Sequence[Mapping[str, Any]], policy: Mapping[str, Any]
) -> str | None:
    if check.id == "reachable":
        return None if endpoints else "no endpoint was found to probe"
    if not _required(check, policy):
        return f"the policy does not require it ({check.policy_key} is false)"
    if check.id == "min-grade":
        return None
    relevant = [
        e for e in endpoints if check.stream in (None, _map(e.get("endpoint")).get("stream"))
    ]
    if not relevant:
        return f"no {check.stream + ' ' if check.stream else ''}endpoint was found"
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
        return "\n".join(
            f"{endpoint_label(e)}: "
            + (f"error {_map(e.get('error')).get('code', '?')}" if e.get("error") else "probed")
            for e in endpoints
        )
    if check.id == "min-grade":
        line = f"domain grade: {_map(domain.get('grade')).get('grade', '?')}"
        return line + (
            f", policy minimum: {policy['min_grade']}" if policy.get("min_grade") else ""
        )
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
    # Caps no check claims stay explained by the grade check's own breach message.
    causes = assign(grade_causes(domain, policy))[0]
    results: list[CheckResult] = []
    for check in REPORT_CHECKS:
        breaches = tuple(by_check[check.id])
        # A cap only explains a check the policy did not already judge on its own.
        findings = () if breaches or check.id == "min-grade" else tuple(causes[check.id])
        if breaches or findings:
            results.append(CheckResult(check.id, check.title, FAILED, breaches, findings))
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
