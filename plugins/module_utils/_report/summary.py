"""Read a report document's domains the same way for every human-facing report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._report.schema import (
    GRADE_LETTERS,
    TLS_VERSIONS,
)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def grade_rank(letter: str) -> int:
    """0 for A+, growing as grades get worse; an unknown letter ranks as F."""
    return GRADE_LETTERS.index(letter) if letter in GRADE_LETTERS else len(GRADE_LETTERS) - 1


def endpoint_label(result: Mapping[str, Any]) -> str:
    """``c2s xmpp.example.org:5222`` (``direct`` appended for XEP-0368 direct TLS)."""
    ep = _map(result.get("endpoint"))
    label = f"{ep.get('stream', '?')} {ep.get('host', '?')}:{ep.get('port', '?')}"
    return label + (" direct" if ep.get("tls_mode") == "direct" else "")


def offered_versions(result: Mapping[str, Any]) -> tuple[str, ...]:
    versions = _map(_map(result.get("tls")).get("versions"))
    return tuple(v for v in TLS_VERSIONS if versions.get(v) is True)


def endpoint_grade(result: Mapping[str, Any]) -> str:
    letter = _map(result.get("grade")).get("grade")
    return letter if isinstance(letter, str) and letter in GRADE_LETTERS else "F"


def days_left(result: Mapping[str, Any]) -> int | None:
    value = _map(result.get("certificate")).get("days_left")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class DomainSummary:
    """One table row: what an operator scans the fleet for."""

    domain: str
    grade: str
    verdict: str
    worst_endpoint: str  # label, empty when nothing was probed
    worst_grade: str
    versions: tuple[str, ...]  # offered by any endpoint, oldest first
    days_left: int | None  # the soonest expiry over the endpoints
    breaches: int
    endpoints: int
    unreachable: int


def summarize(domain: Mapping[str, Any]) -> DomainSummary:
    endpoints = [e for e in domain.get("endpoints") or () if isinstance(e, Mapping)]
    worst: Mapping[str, Any] | None = None
    for e in endpoints:
        if worst is None or grade_rank(endpoint_grade(e)) > grade_rank(endpoint_grade(worst)):
            worst = e
    offered = {v for e in endpoints for v in offered_versions(e)}
    days = [d for d in (days_left(e) for e in endpoints) if d is not None]
    grade = _map(domain.get("grade")).get("grade")
    return DomainSummary(
        domain=str(domain.get("domain", "")),
        grade=grade if isinstance(grade, str) and grade in GRADE_LETTERS else "F",
        verdict=str(domain.get("verdict", "fail")),
        worst_endpoint=endpoint_label(worst) if worst is not None else "",
        worst_grade=endpoint_grade(worst) if worst is not None else "F",
        versions=tuple(v for v in TLS_VERSIONS if v in offered),
        days_left=min(days) if days else None,
        breaches=len(domain.get("breaches") or ()),
        endpoints=len(endpoints),
        unreachable=sum(1 for e in endpoints if e.get("error")),
    )
