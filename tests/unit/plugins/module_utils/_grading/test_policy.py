"""Every policy key, its default, and its breach."""

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import grade_endpoint
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import (
    POLICY_SCHEMA,
    PolicyError,
    evaluate_policies,
    evaluate_policy,
    resolve_policy,
)
from ansible_collections.xmpp.encryption.tests.unit.support.builders.grading import (
    SECURE_DNS,
    clean_result,
    result_with,
)


def codes(breaches):
    return [b.code for b in breaches]


def test_schema_defaults():
    assert resolve_policy(None) == {
        "min_grade": "B",
        "require_plaintext_refused": True,
        "min_tls_version": "TLSv1.2",
        "require_forward_secrecy": True,
        "min_days_left": 14,
        "require_s2s_cert_auth": False,
        "require_dane": False,
    }
    assert set(POLICY_SCHEMA) == set(resolve_policy({}))


def test_clean_result_passes_defaults_and_strictest_policy():
    assert evaluate_policy(clean_result()) == []
    strict = {
        "min_grade": "A+",
        "min_tls_version": "TLSv1.2",
        "require_s2s_cert_auth": True,
        "require_dane": True,
        "min_days_left": 60,
    }
    assert evaluate_policy(clean_result("s2s"), strict, dns=SECURE_DNS) == []


def test_unknown_key_names_it_and_lists_valid_ones():
    with pytest.raises(PolicyError) as err:
        evaluate_policy(clean_result(), {"min_grades": "A"})
    text = str(err.value)
    assert "min_grades" in text
    for key in POLICY_SCHEMA:
        assert key in text


def test_unknown_key_is_an_error_even_without_results():
    with pytest.raises(PolicyError, match="require_tls"):
        evaluate_policies([], {"require_tls": True})


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ({"min_grade": "Z"}, "min_grade must be one of"),
        ({"min_tls_version": "TLSv1.4"}, "min_tls_version must be one of"),
        ({"min_days_left": "14"}, "min_days_left must be int"),
        ({"min_days_left": True}, "min_days_left must be int"),
        ({"require_dane": "yes"}, "require_dane must be bool"),
    ],
)
def test_wrong_values_are_errors(policy, needle):
    with pytest.raises(PolicyError, match=needle):
        resolve_policy(policy)


def test_unreachable_is_one_breach_of_its_own():
    r = result_with({"error": {"code": "phase-timeout", "message": "stream features took 10 s"}})
    breaches = evaluate_policy(r, {"require_dane": True})
    assert codes(breaches) == ["unreachable"]
    assert breaches[0].message.startswith("unreachable: phase-timeout")
    assert breaches[0].endpoint == "example.test c2s xmpp.example.test:5222"


# --- min_grade -------------------------------------------------------------------------------


def test_min_grade_default_b_accepts_b_and_refuses_c():
    b = result_with({"tls.versions.SSLv3": True})
    c = result_with({"tls.compression": True})
    assert "grade" not in codes(evaluate_policy(b))
    breach = evaluate_policy(c)
    assert codes(breach) == ["grade"]
    assert "grade C is below B" in breach[0].message
    assert "compression" in breach[0].message.lower()
    assert "no_compression" in breach[0].fix


def test_min_grade_a_refuses_b():
    b = result_with({"tls.versions.SSLv3": True})
    assert "grade" in codes(evaluate_policy(b, {"min_grade": "A"}))


def test_min_grade_a_plus_needs_dns():
    assert codes(evaluate_policy(clean_result(), {"min_grade": "A+"})) == ["grade"]
    assert evaluate_policy(clean_result(), {"min_grade": "A+"}, dns=SECURE_DNS) == []


def test_t_is_below_b():
    r = result_with({"certificate.trusted": False})
    assert codes(evaluate_policy(r)) == ["grade"]
    assert codes(evaluate_policy(r, {"min_grade": "T"})) == []


def test_a_given_grade_is_used():
    g = grade_endpoint(result_with({"tls.compression": True}))
    # the result itself is clean; the caller's grade decides
    assert codes(evaluate_policy(clean_result(), grade=g)) == ["grade"]


# --- require_plaintext_refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "changes", "code"),
    [
        ("c2s", {"features.starttls_required": False}, "starttls-not-required"),
        ("s2s", {"features.starttls_required": False}, "starttls-not-required"),
        ("c2s", {"features.sasl_mechanisms_before_tls": ["PLAIN"]}, "auth-before-tls"),
        (
            "s2s",
            {"features.dialback_before_tls": True, "features.starttls_required": False},
            "dialback-before-tls",
        ),
        ("c2s", {"plaintext_refused": False}, "plaintext-accepted"),
    ],
)
def test_plaintext_breach(stream, changes, code):
    r = result_with(changes, stream=stream)
    breaches = evaluate_policy(r, {"min_grade": "F"})
    # one breach per finding: dialback before TLS only counts beside an optional STARTTLS
    assert set(codes(breaches)) == {"plaintext"}
    assert any(code in b.message for b in breaches)
    assert f"{stream}_require_encryption = true" in breaches[0].fix
    off = {"min_grade": "F", "require_plaintext_refused": False}
    assert evaluate_policy(r, off) == []


def test_plaintext_not_tested_is_no_breach():
    assert evaluate_policy(result_with({"plaintext_refused": None})) == []


def test_features_not_probed_is_a_plaintext_breach_on_starttls_only():
    breaches = evaluate_policy(result_with({"features": None}))
    assert codes(breaches) == ["plaintext"]
    assert "not verified" in breaches[0].message
    assert evaluate_policy(result_with({"features": None}, tls_mode="direct")) == []


# --- min_tls_version -------------------------------------------------------------------------


def test_min_tls_version():
    old = result_with({"tls.versions.TLSv1.0": True})
    breaches = evaluate_policy(old)
    assert codes(breaches) == ["tls-version"]
    assert "TLSv1.0" in breaches[0].message
    assert evaluate_policy(old, {"min_tls_version": "TLSv1.0"}) == []
    only13 = evaluate_policy(clean_result(), {"min_tls_version": "TLSv1.3"})
    assert codes(only13) == ["tls-version"]
    assert "TLSv1.2" in only13[0].message


# --- require_forward_secrecy -----------------------------------------------------------------


def test_require_forward_secrecy():
    r = result_with(
        {
            "tls.cipher_suites.TLSv1.2": [
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_RSA_WITH_AES_128_GCM_SHA256",
            ]
        }
    )
    breaches = evaluate_policy(r)
    assert codes(breaches) == ["forward-secrecy"]
    assert "TLS_RSA_WITH_AES_128_GCM_SHA256" in breaches[0].message
    assert evaluate_policy(r, {"require_forward_secrecy": False}) == []


# --- min_days_left ---------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "breach"), [(14, False), (13, True), (0, True), (-3, True)])
def test_min_days_left_default(days, breach):
    r = result_with({"certificate.days_left": days})
    found = evaluate_policy(r, {"min_grade": "F"})
    assert ("certificate-days" in codes(found)) is breach
    if days < 0:
        assert "expired" in found[0].message


def test_min_days_left_custom():
    r = result_with({"certificate.days_left": 45})
    assert codes(evaluate_policy(r, {"min_days_left": 60})) == ["certificate-days"]


# --- require_s2s_cert_auth -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"certificate.eku_client_auth": False}, "clientAuth"),
        ({"certificate.trusted": False}, "trusted"),
        ({"certificate.name_matches": False}, "names the domain"),
    ],
)
def test_require_s2s_cert_auth(changes, missing):
    policy = {"require_s2s_cert_auth": True, "min_grade": "F"}
    s2s = result_with(changes, stream="s2s")
    breaches = evaluate_policy(s2s, policy)
    assert codes(breaches) == ["s2s-cert-auth"]
    assert missing in breaches[0].message
    assert "SASL EXTERNAL" in breaches[0].message
    # off by default, and never about c2s
    assert "s2s-cert-auth" not in codes(evaluate_policy(s2s, {"min_grade": "F"}))
    assert evaluate_policy(result_with(changes), policy) == []


# --- require_dane ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dns", "needle"),
    [
        (None, "no DNS result"),
        ({"srv_secure": False, "tlsa_matched": True}, "not DNSSEC-secure"),
        ({"srv_secure": True, "tlsa_matched": False}, "no DNSSEC-secure TLSA"),
    ],
)
def test_require_dane(dns, needle):
    breaches = evaluate_policy(clean_result(), {"require_dane": True}, dns=dns)
    assert codes(breaches) == ["dane"]
    assert needle in breaches[0].message
    assert evaluate_policy(clean_result(), {}, dns=dns) == []


def test_many_results_with_dns_by_domain():
    other = result_with({"endpoint.domain": "other.test"})
    dns = {"example.test": SECURE_DNS, "other.test": {"srv_secure": True, "tlsa_matched": False}}
    breaches = evaluate_policies([clean_result(), other], {"require_dane": True}, dns=dns)
    assert [(b.code, b.endpoint.split()[0]) for b in breaches] == [("dane", "other.test")]


def test_breach_as_dict():
    d = evaluate_policy(result_with({"tls.versions.TLSv1.0": True}))[0].as_dict()
    assert set(d) == {"code", "endpoint", "message", "fix"}
