"""The report as JUnit XML: one <testsuite> per domain, one <testcase> per check.

A suite per domain because GitLab, Jenkins and the GitHub test-report actions all show the
suite (GitLab and the GitHub actions group by it; Jenkins shows it on the test's page), and
the classname is the domain too, so Jenkins' package/class tree and GitLab's "classname"
column both lead back to the domain. The structure follows the Ant/Jenkins JUnit format
(tests/unit/reports/junit.xsd holds the rules the tests validate against).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._report.checks import (
    FAILED,
    SKIPPED,
    CheckResult,
    domain_checks,
)

# XML 1.0 cannot carry these at all, not even escaped; a hostile server may send them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MESSAGE_LIMIT = 1024  # attributes are shown on one line; the body holds everything


def xml_text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _elapsed(domain: Mapping[str, Any]) -> float:
    total = 0.0
    for e in domain.get("endpoints") or ():
        value = e.get("elapsed") if isinstance(e, Mapping) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            total += float(value)
    return total


def _text(item: Mapping[str, Any]) -> str:
    """A breach's message or a grading cap's reason."""
    return str(item.get("message") or item.get("reason") or item.get("code") or "")


def _reasons_text(result: CheckResult) -> str:
    parts = []
    for kind, items in (("breach", result.breaches), ("grade cap", result.findings)):
        for item in items:
            where = f" at {item['endpoint']}" if item.get("endpoint") else ""
            cap = f" (caps at {item['cap']})" if item.get("cap") else ""
            parts.append(
                f"{kind} [{item.get('code', '')}]{cap}{where}\n{_text(item)}\n"
                f"Fix: {item.get('fix', '')}"
            )
    return "\n\n".join(parts)


def _testcase(parent: ET.Element, domain: str, result: CheckResult) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        {"name": xml_text(result.title), "classname": xml_text(domain), "time": "0"},
    )
    if result.status == FAILED:
        reasons = result.reasons
        message = _text(reasons[0]) or "breach"
        if len(reasons) > 1:
            message += f" (and {len(reasons) - 1} more)"
        codes = dict.fromkeys(str(r.get("code")) for r in reasons)
        failure = ET.SubElement(
            case,
            "failure",
            {"message": xml_text(message[:MESSAGE_LIMIT]), "type": xml_text(",".join(codes))},
        )
        failure.text = xml_text(_reasons_text(result))
    elif result.status == SKIPPED:
        ET.SubElement(case, "skipped", {"message": xml_text(result.detail)})
    elif result.detail:
        ET.SubElement(case, "system-out").text = xml_text(result.detail)


def render_junit(document: Mapping[str, Any]) -> str:
    """JUnit XML for a report document (from _report.document.build_document)."""
    policy = document.get("policy") or {}
    root = ET.Element("testsuites", {"name": "xmpp.encryption verify"})
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    time_total = 0.0
    for domain in document.get("domains") or ():
        name = str(domain.get("domain", ""))
        results = domain_checks(domain, policy)
        counts = {
            "tests": len(results),
            "failures": sum(1 for r in results if r.status == FAILED),
            "skipped": sum(1 for r in results if r.status == SKIPPED),
        }
        elapsed = _elapsed(domain)
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": xml_text(name),
                "tests": str(counts["tests"]),
                "failures": str(counts["failures"]),
                "errors": "0",
                "skipped": str(counts["skipped"]),
                "time": f"{elapsed:.3f}",
                "timestamp": xml_text(document.get("started", "")),
            },
        )
        props = ET.SubElement(suite, "properties")
        grade = domain.get("grade") or {}
        for key, value in (
            ("grade", grade.get("grade", "")),
            ("score", grade.get("score", "")),
            ("verdict", domain.get("verdict", "")),
            ("collection_version", document.get("collection_version", "")),
        ):
            ET.SubElement(props, "property", {"name": key, "value": xml_text(value)})
        for result in results:
            _testcase(suite, name, result)
        for key in totals:
            totals[key] += counts[key]
        time_total += elapsed
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("skipped", str(totals["skipped"]))
    root.set("time", f"{time_total:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
