"""Grade one probed XMPP endpoint, and a domain from its endpoints: a pure function, no I/O.

The method starts from the IM Observatory's (xmpp.net), itself SSL Labs' SSL Server Rating
Guide: score = 0.3 protocol + 0.3 key exchange + 0.4 cipher strength, banded A..F, then
capped by findings that no score may outweigh. It is extended to TLS 1.3 and to what the
operators' manifesto is about and the Observatory never counted: plaintext must be
impossible, STARTTLS must not be injectable, an endpoint that cannot be probed fails.
docs/grading.md explains every rule to operators; keep the two in step.

The work is split by job: ``_grading.facts`` reads a probe result, ``_grading.scores`` computes
the sub-scores, ``_grading.caps`` finds caps and warnings, ``_grading.result`` holds the letters
and result types; this file turns them into the verdict (bands, caps, A-/A+, T) and keeps
the names callers import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.caps import (
    caps_of,
    no_endpoints_cap,
    plus_missing_of,
    unreachable_cap,
    warnings_of,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.facts import (
    DnsEvidence,
    Facts,
    dns_for,
    domain_endpoint_label,
    normalize_dns,
    read_facts,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.result import (
    A_FAMILY,
    FIX_CERT,
    FIX_CIPHERS,
    FIX_PROTOCOL,
    FIX_RELOAD,
    GRADES,
    Finding,
    Grade,
    Subscores,
    worse,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.scores import (
    PROTOCOL_SCORES,
    subscores_of,
)

BANDS: tuple[tuple[float, str], ...] = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E"))
DEFAULT_RENEW_DAYS = 30


def band(score: float) -> str:
    """The letter for a score: A >= 80, B >= 65, C >= 50, D >= 35, E >= 20, else F."""
    for floor, letter in BANDS:
        if score >= floor:
            return letter
    return "F"


def grade_endpoint(
    result: Mapping[str, Any],
    dns: Mapping[str, Any] | DnsEvidence | None = None,
    *,
    renew_days: int = DEFAULT_RENEW_DAYS,
) -> Grade:
    """Grade one probe result of ``xmpp.encryption.tls_info``; see docs/grading.md."""
    facts = read_facts(result)
    evidence = normalize_dns(dns if isinstance(dns, DnsEvidence) else dns_for(result, dns))
    if facts.error is not None:
        cap = unreachable_cap(facts.error)
        return Grade("F", 0.0, Subscores(0.0, 0.0, 0.0), caps=(cap,), endpoint=facts.label)

    subscores = subscores_of(facts)
    score = subscores.total()
    caps = caps_of(facts)
    warnings = warnings_of(facts, renew_days)

    letter = band(score)
    for cap in caps:
        if cap.cap != "T":
            letter = worse(letter, cap.cap or "F")
    plus_missing = plus_missing_of(facts, evidence, warnings)
    if letter == "A":
        if warnings:
            letter = "A-"
        elif not plus_missing:
            letter = "A+"
    if any(c.cap == "T" for c in caps):
        letter = "T" if letter in A_FAMILY else "F"
    if letter == "A+":
        plus_missing = []
    return Grade(
        grade=letter,
        score=score,
        subscores=subscores,
        caps=tuple(caps),
        warnings=tuple(warnings),
        plus_missing=tuple(plus_missing),
        endpoint=facts.label,
    )


def grade_domain(endpoint_grades: Iterable[Grade], domain: str = "") -> Grade:
    """The worst endpoint's grade; every finding kept and tagged with its endpoint."""
    grades = list(endpoint_grades)
    if not grades:
        return Grade(
            "F", 0.0, Subscores(0.0, 0.0, 0.0), caps=(no_endpoints_cap(),), endpoint=domain
        )
    worst = grades[0].grade
    for g in grades[1:]:
        worst = worse(worst, g.grade)
    return Grade(
        grade=worst,
        score=min(g.score for g in grades),
        subscores=Subscores(
            min(g.subscores.protocol for g in grades),
            min(g.subscores.key_exchange for g in grades),
            min(g.subscores.cipher for g in grades),
        ),
        caps=tuple(f.tagged(g.endpoint) for g in grades for f in g.caps),
        warnings=tuple(f.tagged(g.endpoint) for g in grades for f in g.warnings),
        plus_missing=tuple(f.tagged(g.endpoint) for g in grades for f in g.plus_missing),
        endpoint=domain,
    )


# What callers import from here (kept when the grading code was split into _grade_*.py).
__all__ = [
    "A_FAMILY",
    "DEFAULT_RENEW_DAYS",
    "FIX_CERT",
    "FIX_CIPHERS",
    "FIX_PROTOCOL",
    "FIX_RELOAD",
    "GRADES",
    "PROTOCOL_SCORES",
    "DnsEvidence",
    "Facts",
    "Finding",
    "Grade",
    "Subscores",
    "band",
    "dns_for",
    "domain_endpoint_label",
    "grade_domain",
    "grade_endpoint",
    "normalize_dns",
    "read_facts",
    "worse",
]
