"""Validate the audit's reports: JSON against the collection's schema, JUnit against its XSD.

Each validator is first shown to reject a broken copy, so a pass means something.
Usage: validate_reports.py REPORT.json REPORT.junit.xml SCHEMA.json JUNIT.xsd
Prints one JSON line and exits 0 when both reports validate, 1 otherwise.
"""

from __future__ import annotations

import copy
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import xmlschema


def main(report: str, junit: str, schema_path: str, xsd_path: str) -> int:
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    document = json.loads(Path(report).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    broken = copy.deepcopy(document)
    broken.pop("verdict", None)
    json_can_fail = not validator.is_valid(broken)
    json_errors = [e.message for e in validator.iter_errors(document)][:5]

    xsd = xmlschema.XMLSchema(xsd_path)
    tree = ET.parse(junit)
    bad = copy.deepcopy(tree.getroot())
    for case in bad.iter("testcase"):
        case.attrib.pop("name", None)  # a test case without its required name
    junit_can_fail = not xsd.is_valid(ET.tostring(bad, encoding="unicode"))
    junit_errors = [str(e.reason) for e in xsd.iter_errors(junit)][:5]

    out = {
        "json_valid": not json_errors,
        "json_errors": json_errors,
        "json_validator_can_fail": json_can_fail,
        "junit_valid": not junit_errors,
        "junit_errors": junit_errors,
        "junit_validator_can_fail": junit_can_fail,
        "junit_failures": sum(
            1 for c in tree.getroot().iter("testcase") if c.find("failure") is not None
        ),
        "junit_suites": [s.get("name") for s in tree.getroot().iter("testsuite")],
    }
    print(json.dumps(out))
    return (
        0
        if all(
            out[k]
            for k in (
                "json_valid",
                "junit_valid",
                "json_validator_can_fail",
                "junit_validator_can_fail",
            )
        )
        else 1
    )


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
