"""A domain is as good as its worst endpoint, and keeps every endpoint's reasons."""

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    GRADES,
    Grade,
    Subscores,
    grade_domain,
    grade_endpoint,
    worse,
)
from ansible_collections.xmpp.encryption.tests.unit.support.builders.grading import (
    SECURE_DNS,
    clean_result,
    result_with,
)


def test_grade_order_puts_t_between_e_and_f():
    assert GRADES == ("A+", "A", "A-", "B", "C", "D", "E", "T", "F")
    assert worse("E", "T") == "T"
    assert worse("T", "F") == "F"
    assert worse("A+", "A-") == "A-"


def test_worst_endpoint_wins_and_reasons_are_tagged():
    c2s = grade_endpoint(clean_result("c2s"), SECURE_DNS)
    s2s = grade_endpoint(result_with({"tls.versions.SSLv3": True}, stream="s2s"), SECURE_DNS)
    direct = grade_endpoint(
        result_with({"certificate.days_left": 10}, tls_mode="direct"), SECURE_DNS
    )
    assert (c2s.grade, s2s.grade, direct.grade) == ("A+", "B", "A-")
    d = grade_domain([c2s, s2s, direct], "example.test")
    assert d.grade == "B"
    assert d.endpoint == "example.test"
    assert [(c.code, c.endpoint) for c in d.caps] == [
        ("sslv3", "example.test s2s xmpp.example.test:5269")
    ]
    assert [(w.code, w.endpoint) for w in d.warnings] == [
        ("certificate-expiring", "example.test c2s xmpp.example.test:5223")
    ]
    assert d.score == min(c2s.score, s2s.score, direct.score)
    assert d.subscores.protocol == 90


def test_all_a_plus_is_a_plus():
    grades = [
        grade_endpoint(clean_result(stream, mode), SECURE_DNS)
        for stream in ("c2s", "s2s")
        for mode in ("starttls", "direct")
    ]
    assert grade_domain(grades).grade == "A+"


def test_one_unreachable_endpoint_fails_the_domain():
    ok = grade_endpoint(clean_result(), SECURE_DNS)
    down = grade_endpoint(
        result_with({"error": {"code": "connect-refused", "message": "refused"}}, stream="s2s")
    )
    d = grade_domain([ok, down])
    assert d.grade == "F"
    assert d.caps[0].code == "unreachable"
    assert d.caps[0].endpoint.startswith("example.test s2s")


@pytest.mark.parametrize(("a", "b", "worst"), [("T", "E", "T"), ("T", "F", "F"), ("A-", "A", "A-")])
def test_domain_grade_uses_the_order(a, b, worst):
    sub = Subscores(0, 0, 0)
    assert grade_domain([Grade(a, 0, sub), Grade(b, 0, sub)]).grade == worst


def test_no_endpoints_is_f():
    d = grade_domain([], "example.test")
    assert d.grade == "F"
    assert d.caps[0].code == "no-endpoints"


def test_round_trip_through_dict():
    g = grade_endpoint(result_with({"tls.versions.SSLv3": True, "certificate.days_left": 3}))
    assert Grade.from_dict(g.as_dict()) == g
    d = grade_domain([g], "example.test")
    assert Grade.from_dict(d.as_dict()) == d
