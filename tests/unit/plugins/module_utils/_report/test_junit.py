"""JUnit XML: valid against the Ant/Jenkins structure, one suite per domain, failures with fixes."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from ansible_collections.xmpp.encryption.plugins.module_utils._report.checks import (
    CHECK_IDS,
    domain_checks,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.junit import render_junit
from ansible_collections.xmpp.encryption.tests.unit.support.builders import report as builder

XSD = xmlschema.XMLSchema(Path(__file__).with_name("junit.xsd"))


def suites(xml_text):
    root = ET.fromstring(xml_text)
    return root, {s.get("name"): s for s in root.findall("testsuite")}


def case(suite, title):
    (found,) = [c for c in suite.findall("testcase") if c.get("name") == title]
    return found


def test_fleet_report_is_valid_junit():
    XSD.validate(render_junit(builder.document()))


def test_the_xsd_can_fail():
    text = render_junit(builder.document())
    assert not XSD.is_valid(text.replace('tests="', 'tests="-', 1))
    assert not XSD.is_valid(text.replace('name="endpoints reachable"', 'name=""', 1))
    assert not XSD.is_valid(text.replace('time="0"', 'time="soon"', 1))
    assert not XSD.is_valid(text.replace("</properties>", "</properties><skipped/>", 1))


def test_one_suite_per_domain_with_every_check_and_consistent_counts():
    root, by_name = suites(render_junit(builder.document()))
    assert list(by_name) == ["good.example", "legacy.example", "selfsigned.example", "down.example"]
    total = {"tests": 0, "failures": 0, "skipped": 0}
    for name, suite in by_name.items():
        cases = suite.findall("testcase")
        assert {c.get("classname") for c in cases} == {name}
        assert len(cases) >= len(CHECK_IDS)
        counted = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for key, value in counted.items():
            assert int(suite.get(key)) == value
            total[key] += value
    for key, value in total.items():
        assert int(root.get(key)) == value
    assert int(root.get("failures")) > 0


def test_a_passing_domain_has_no_failure():
    by_name = suites(render_junit(builder.document()))[1]
    good = by_name["good.example"]
    assert good.get("failures") == "0"
    props = {p.get("name"): p.get("value") for p in good.iter("property")}
    assert props["grade"] == "A+"
    assert props["verdict"] == "pass"
    out = case(good, "minimum TLS version").findtext("system-out")
    assert "TLSv1.2, TLSv1.3" in out


def test_failures_carry_the_policy_message_and_fix():
    doc = builder.document()
    legacy = next(d for d in doc["domains"] if d["domain"] == "legacy.example")
    by_name = suites(render_junit(doc))[1]
    failure = case(by_name["legacy.example"], "plaintext refused (c2s)").find("failure")
    plaintext = [b for b in legacy["breaches"] if b["code"] == "plaintext"]
    assert plaintext
    assert failure.get("message").startswith(plaintext[0]["message"])
    for b in plaintext:
        assert b["message"] in failure.text
        assert b["fix"] in failure.text
    assert failure.get("type") == "plaintext"
    tls = case(by_name["legacy.example"], "minimum TLS version").find("failure")
    assert tls is not None
    assert "TLSv1.0" in tls.get("message") or "1.0" in tls.get("message")
    # s2s of the legacy domain requires STARTTLS: only c2s fails on plaintext.
    assert case(by_name["legacy.example"], "plaintext refused (s2s)").find("failure") is None


def test_self_signed_fails_certificate_trusted_through_the_grade():
    doc = builder.document()
    by_name = suites(render_junit(doc))[1]
    suite = by_name["selfsigned.example"]
    failure = case(suite, "certificate trusted").find("failure")
    assert failure is not None
    assert failure.get("type") == "certificate-untrusted"
    assert "Fix: " in failure.text
    assert case(suite, "grade at least the minimum").find("failure") is not None
    assert case(suite, "certificate name").find("failure") is None


def test_unreachable_domain_fails_reachable_and_skips_the_rest():
    by_name = suites(render_junit(builder.document()))[1]
    suite = by_name["down.example"]
    assert case(suite, "endpoints reachable").find("failure") is not None
    skipped = case(suite, "certificate trusted").find("skipped")
    assert skipped.get("message") == "no endpoint could be probed"
    assert suite.get("failures") == "1"


def test_dane_is_skipped_unless_the_policy_requires_it():
    domain = builder.good()
    (dane,) = [r for r in domain_checks(domain, {"require_dane": False}) if r.id == "dane"]
    assert dane.status == "skipped"
    (dane,) = [r for r in domain_checks(domain, {"require_dane": True}) if r.id == "dane"]
    assert dane.status == "passed"
    assert "TLSA 3 1 1" in dane.detail


def test_a_breach_no_check_claims_gets_a_test_case_of_its_own():
    domain = builder.good()
    domain["breaches"] = [builder.breach("brand-new-rule", None, "Something new.", "Do this.")]
    by_name = suites(render_junit(builder.document([domain])))[1]
    failure = case(by_name["good.example"], "policy: brand-new-rule").find("failure")
    assert failure.get("message") == "Something new."
    assert "Fix: Do this." in failure.text


def test_s2s_plaintext_breach_goes_to_the_s2s_case():
    s2s = builder.endpoint("x.example", "s2s", plaintext_refused=False)
    domain = builder.graded_domain("x.example", [builder.endpoint("x.example"), s2s], None)
    results = {r.id: r for r in domain_checks(domain, {})}
    assert results["plaintext-s2s"].status == "failed"
    assert results["plaintext-c2s"].status == "passed"


@pytest.mark.parametrize("hostile", ["\x00\x01bad", "]]></failure><x>", "&amp; <b>", "\ud800"])
def test_hostile_strings_stay_well_formed_and_readable(hostile):
    domain = builder.selfsigned()
    domain["breaches"][0]["message"] = "trust " + hostile
    domain["breaches"][0]["fix"] = hostile
    text = render_junit(builder.document([domain]))
    XSD.validate(text)
    by_name = suites(text)[1]
    failure = case(by_name["selfsigned.example"], "grade at least the minimum").find("failure")
    printable = "".join(ch if ch >= " " and ch != "\ud800" else "\ufffd" for ch in hostile)
    assert failure.get("message").startswith("trust " + printable)
    assert printable in failure.text
