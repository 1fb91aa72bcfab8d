"""Build the report document (the JSON form) from a fleet scan: every renderer reads this.

One normalised document means the JSON, JUnit, HTML and Markdown reports cannot disagree:
counts are computed here from the domains, never taken on trust from the caller.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._report.schema import (
    GRADE_LETTERS,
    SCHEMA_VERSION,
)


class ReportError(Exception):
    """The scan results cannot be turned into a report (wrong shape), or a write failed."""


def _plain(value: Any) -> Any:
    """A JSON-safe deep copy: tuples become lists, odd objects (dates, bytes) become strings."""
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError) as exc:
        raise ReportError(f"the scan results are not JSON-serialisable: {exc}") from exc


def _domain_entry(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ReportError(f"domains[{index}] is not a mapping")
    name = raw.get("domain")
    if not isinstance(name, str) or not name:
        raise ReportError(f"domains[{index}] has no domain name")
    grade = raw.get("grade")
    if not isinstance(grade, Mapping) or grade.get("grade") not in GRADE_LETTERS:
        raise ReportError(f"domain {name!r} has no grade (one of {', '.join(GRADE_LETTERS)})")
    breaches = raw.get("breaches") or []
    endpoints = raw.get("endpoints") or []
    if not isinstance(breaches, Sequence) or isinstance(breaches, str):
        raise ReportError(f"domain {name!r}: breaches is not a list")
    if not isinstance(endpoints, Sequence) or isinstance(endpoints, str):
        raise ReportError(f"domain {name!r}: endpoints is not a list")
    for i, breach in enumerate(breaches):
        if not isinstance(breach, Mapping) or not isinstance(breach.get("code"), str):
            raise ReportError(f"domain {name!r}: breaches[{i}] has no code")
    for i, endpoint in enumerate(endpoints):
        if not isinstance(endpoint, Mapping) or not isinstance(endpoint.get("endpoint"), Mapping):
            raise ReportError(f"domain {name!r}: endpoints[{i}] is not a tls_info result")
    entry = _plain(
        {
            "domain": name,
            "verdict": "fail" if breaches else "pass",
            "grade": dict(grade),
            "breaches": [
                {
                    "code": b["code"],
                    "endpoint": str(b.get("endpoint") or ""),
                    "message": str(b.get("message") or ""),
                    "fix": str(b.get("fix") or ""),
                }
                for b in breaches
            ],
            "endpoints": [dict(e) for e in endpoints],
        }
    )
    grade_dict = entry["grade"]
    grade_dict.setdefault("score", 0.0)
    grade_dict.setdefault("subscores", {"protocol": 0.0, "key_exchange": 0.0, "cipher": 0.0})
    grade_dict.setdefault("caps", [])
    grade_dict.setdefault("warnings", [])
    return entry


def _counts(domains: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    grades: dict[str, int] = {}
    for d in domains:
        letter = d["grade"]["grade"]
        grades[letter] = grades.get(letter, 0) + 1
    endpoints = [e for d in domains for e in d["endpoints"]]
    return {
        "domains": len(domains),
        "domains_passed": sum(1 for d in domains if d["verdict"] == "pass"),
        "domains_failed": sum(1 for d in domains if d["verdict"] == "fail"),
        "endpoints": len(endpoints),
        "endpoints_unreachable": sum(1 for e in endpoints if e.get("error")),
        "breaches": sum(len(d["breaches"]) for d in domains),
        # Best grade first, so every reader lists them in the same order.
        "grades": {g: grades[g] for g in GRADE_LETTERS if g in grades},
    }


def build_document(
    domains: Sequence[Mapping[str, Any]],
    *,
    started: str,
    finished: str,
    policy: Mapping[str, Any] | None = None,
    collection_version: str = "unknown",
    verdict: str | None = None,
) -> dict[str, Any]:
    """The report document (schema_version 1; see docs/report.schema.json).

    A domain passes when it has no breach. ``verdict`` is the policy's word for the run; when
    it is not given, the run fails if any domain does.
    """
    if isinstance(domains, (str, bytes)) or not isinstance(domains, Sequence):
        raise ReportError("the scan results must be a list of domains")
    entries = [_domain_entry(raw, i) for i, raw in enumerate(domains)]
    counts = _counts(entries)
    if verdict is None:
        verdict = "fail" if counts["domains_failed"] else "pass"
    if verdict not in ("pass", "fail"):
        raise ReportError(f"verdict must be pass or fail, not {verdict!r}")
    return {
        "schema_version": SCHEMA_VERSION,
        "collection_version": str(collection_version),
        "started": str(started),
        "finished": str(finished),
        "policy": _plain(dict(policy or {})),
        "verdict": verdict,
        "counts": counts,
        "domains": entries,
    }
