"""Judging a domain: each endpoint's result graded, held against the policy, put together.

An alias that shared another domain's TLS scan (see ``_fleet.run``) gets that scan's
listener-wide findings merged with its own handshake's; DANE is matched against the chain
its own connection was shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.plan import DomainPlan, Planned
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.request import ScanOptions
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    DnsEvidence,
    Grade,
    grade_domain,
    grade_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import (
    Breach,
    evaluate_policy,
    resolve_policy,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import EndpointResult
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.tlsa import match_records

# tls keys an alias keeps from its own handshake rather than the shared scan
OWN_TLS_KEYS = ("certificate_version", "certificate_request", "alpn")
# The error code of an endpoint whose probe failed by a bug of ours, not by the server.
BUG = "collection-bug"
BUG_FIX = (
    "Report this as a bug of the xmpp.encryption collection, with the domain's dns_info and "
    "tls_info results."
)


def bug_message(exc: Exception) -> str:
    """What a bug of the collection is called wherever it shows: never the server's fault."""
    return (
        f"a bug in the xmpp.encryption collection, not a fault of the server: "
        f"{exc.__class__.__name__}: {exc}"
    )


def bug_breach(domain: str, what: str, exc: Exception) -> Breach:
    return Breach("scan-error", domain, f"{what}: {bug_message(exc)}", BUG_FIX)


@dataclass(frozen=True)
class DomainResult:
    domain: str
    grade: Grade
    breaches: tuple[Breach, ...]
    endpoints: tuple[dict[str, Any], ...]
    dns: dict[str, Any] | None

    @property
    def verdict(self) -> str:
        return "fail" if self.breaches else "pass"

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "verdict": self.verdict,
            "grade": self.grade.as_dict(),
            "breaches": [b.as_dict() for b in self.breaches],
            "endpoints": list(self.endpoints),
            "dns": self.dns,
        }


def _merged_tls(own: EndpointResult, primary: EndpointResult) -> dict[str, Any] | None:
    out = own.as_dict()["tls"]
    if primary.tls is None:
        return out
    shared = primary.as_dict()["tls"]
    mine = out or {}
    merged = dict(shared)
    for key in OWN_TLS_KEYS:
        if key in mine:
            merged[key] = mine[key]
    # a sentinel seen on either connection is the listener's
    merged["downgrade"] = bool(shared.get("downgrade")) or mine.get("downgrade") is True
    merged["complete"] = bool(shared.get("complete")) and mine.get("complete") is not False
    merged["anomalies"] = list(
        dict.fromkeys([*shared.get("anomalies", []), *mine.get("anomalies", [])])
    )
    return merged


def _tlsa_matched(planned: Planned, result: EndpointResult) -> bool | None:
    if not planned.tlsa_records:
        return None
    chain = result.tls.chain_der if result.tls is not None else ()
    if not chain:
        return None
    matches = match_records(planned.tlsa_records, chain)
    return any(m.matched for m in matches)


def judge(
    plan: DomainPlan,
    probed: Sequence[tuple[EndpointResult, EndpointResult | None]],
    options: ScanOptions,
) -> DomainResult:
    """Grade every endpoint of a domain and hold it against the policy."""
    policy = resolve_policy(options.policy)
    grades: list[Grade] = []
    breaches: list[Breach] = list(plan.breaches)
    endpoints: list[dict[str, Any]] = []
    for planned, (result, primary) in zip(plan.planned, probed, strict=True):
        data = result.as_dict()
        if primary is not None:
            data["tls"] = _merged_tls(result, primary)
        matched = _tlsa_matched(planned, result)
        evidence = (
            DnsEvidence(
                srv_secure=planned.srv_secure, tlsa_matched=bool(matched) and planned.tlsa_usable
            )
            if plan.dns is not None
            else None
        )
        grade = grade_endpoint(data, evidence, renew_days=options.renew_days)
        grades.append(grade)
        if result.error is not None and result.error.code == BUG:
            # our failure, not the server's: one breach that says so, no policy verdict
            label = f"the probe of {result.target.host}:{result.target.port}"
            breaches.append(
                Breach("scan-error", plan.domain, f"{label}: {result.error.message}", BUG_FIX)
            )
        else:
            breaches += evaluate_policy(
                data, policy, dns=evidence, grade=grade, renew_days=options.renew_days
            )
        data["grade"] = grade.as_dict()
        data["srv"] = planned.source()
        data["dane"] = {
            "tlsa_name": planned.tlsa_name,
            "tlsa_records": len(planned.tlsa_records),
            "usable": planned.tlsa_usable,
            "matched": matched,
        }
        data["tls_shared_with"] = primary.target.domain if primary is not None else None
        endpoints.append(data)
    return DomainResult(
        domain=plan.domain,
        grade=grade_domain(grades, plan.domain),
        breaches=tuple(breaches),
        endpoints=tuple(endpoints),
        dns=plan.dns,
    )


__all__ = ["BUG", "DomainResult", "bug_breach", "bug_message", "judge"]
