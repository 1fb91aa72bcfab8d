"""The report document: counts, verdict, input errors, and the JSON Schema that holds it."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._report.document import (
    ReportError,
    build_document,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.json_document import (
    render_json,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.schema import (
    SCHEMA,
    schema_json,
)
from ansible_collections.xmpp.encryption.tests.unit.support.builders import report as builder

REPO = Path(__file__).resolve().parents[5]
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_docs_schema_file_is_the_schema_in_the_code():
    on_disk = (REPO / "docs" / "report.schema.json").read_text(encoding="utf-8")
    assert on_disk == schema_json(), "run the command in docs/reports.md to regenerate it"
    assert json.loads(on_disk) == SCHEMA


def test_fleet_document_validates_and_counts_are_computed():
    doc = json.loads(render_json(builder.document()))
    VALIDATOR.validate(doc)
    assert doc["schema_version"] == 1
    assert doc["counts"] == {
        "domains": 4,
        "domains_passed": 1,
        "domains_failed": 3,
        "endpoints": 6,
        "endpoints_unreachable": 1,
        "breaches": sum(len(d["breaches"]) for d in doc["domains"]),
        "grades": {"A+": 1, "T": 1, "F": 2},
    }
    assert list(doc["counts"]["grades"]) == ["A+", "T", "F"]  # best first
    assert doc["verdict"] == "fail"
    verdicts = {d["domain"]: d["verdict"] for d in doc["domains"]}
    assert verdicts == {
        "good.example": "pass",
        "legacy.example": "fail",
        "selfsigned.example": "fail",
        "down.example": "fail",
    }


def test_verdict_given_by_the_caller_wins_and_is_checked():
    assert builder.document([builder.good()])["verdict"] == "pass"
    assert builder.document([builder.good()], verdict="fail")["verdict"] == "fail"
    with pytest.raises(ReportError, match="verdict"):
        builder.document(verdict="maybe")


def test_empty_fleet_is_a_valid_document():
    doc = builder.document([])
    VALIDATOR.validate(doc)
    assert doc["counts"]["domains"] == 0
    assert doc["counts"]["grades"] == {}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("domain"), "no domain name"),
        (lambda d: d.update(grade={"grade": "Z"}), "no grade"),
        (lambda d: d.update(breaches="plaintext"), "breaches is not a list"),
        (lambda d: d.update(breaches=[{"message": "x"}]), "has no code"),
        (lambda d: d.update(endpoints=[{"host": "x"}]), "not a tls_info result"),
    ],
)
def test_malformed_domain_is_refused_with_its_name(mutate, message):
    domain = builder.good()
    mutate(domain)
    with pytest.raises(ReportError, match=message):
        builder.document([domain])


def test_non_json_values_become_strings_and_input_is_not_changed():
    domain = builder.good()
    domain["endpoints"][0]["elapsed"] = 0.5
    domain["endpoints"][0]["certificate"]["san_dns"] = ("good.example",)  # a tuple
    before = copy.deepcopy(domain)
    doc = build_document([domain], started="s", finished="f")
    assert doc["domains"][0]["endpoints"][0]["certificate"]["san_dns"] == ["good.example"]
    assert domain == before
    VALIDATOR.validate(doc)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("verdict",), "maybe"),
        (("schema_version",), 2),
        (("domains", 0, "grade", "grade"), "A++"),
        (("domains", 0, "endpoints", 0, "endpoint", "stream"), "x2s"),
        (("domains", 0, "endpoints", 0, "endpoint", "port"), 70000),
        (("domains", 0, "endpoints", 0, "tls", "versions", "TLSv9"), True),
        (("domains", 0, "endpoints", 0, "certificate", "days_left"), "soon"),
        (("counts", "grades", "Q"), 1),
    ],
)
def test_schema_rejects_a_wrong_document(path, value):
    doc = builder.document()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(doc)


def test_json_keeps_hostile_text_exact():
    doc = builder.document()
    parsed = json.loads(render_json(doc))
    subjects = [
        e["certificate"]["subject"]
        for d in parsed["domains"]
        for e in d["endpoints"]
        if e.get("certificate")
    ]
    assert builder.HOSTILE_SUBJECT in subjects
