"""Caps, warnings, T versus F, and A+/A/A-: every rule on one change to a clean A result."""

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    DnsEvidence,
    grade_endpoint,
)
from ansible_collections.xmpp.encryption.tests.unit.support.builders.grading import (
    SECURE_DNS,
    clean_result,
    result_with,
)

AES128 = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
AES256 = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"


def versions(*offered: str) -> dict[str, bool]:
    return {v: v in offered for v in ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")}


# (test id, stream, changes, cap code, cap, final grade)
CAP_CASES = [
    ("starttls-not-required", "c2s", {"features.starttls_required": False}, "F", "F"),
    ("starttls-not-offered", "c2s", {"features.starttls_offered": False}, "F", "F"),
    ("auth-before-tls", "c2s", {"features.sasl_mechanisms_before_tls": ["PLAIN"]}, "F", "F"),
    (
        "dialback-before-tls",
        "s2s",
        {"features.dialback_before_tls": True, "features.starttls_required": False},
        "F",
        "F",
    ),
    ("plaintext-accepted", "c2s", {"plaintext_refused": False}, "F", "F"),
    ("starttls-injection", "c2s", {"starttls_injection": True}, "F", "F"),
    ("sslv2", "c2s", {"tls.versions.SSLv2": True}, "F", "F"),
    (
        "sslv3-only",
        "c2s",
        {
            "tls.versions": versions("SSLv3"),
            "tls.cipher_suites": {"SSLv3": ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]},
        },
        "F",
        "F",
    ),
    ("no-tls", "c2s", {"tls.versions": versions(), "tls.cipher_suites": {}}, "F", "F"),
    ("key-under-1024", "c2s", {"certificate.key_bits": 1000}, "F", "F"),
    ("md5-signature", "c2s", {"certificate.signature_algorithm": "md5WithRSAEncryption"}, "F", "F"),
    ("certificate-expired", "c2s", {"certificate.days_left": -1}, "F", "F"),
    ("tls-not-probed", "c2s", {"tls": None}, "F", "F"),
    (
        "null-cipher",
        "c2s",
        {"tls.cipher_suites.TLSv1.2": [AES128, "TLS_ECDHE_RSA_WITH_NULL_SHA"]},
        "F",
        "F",
    ),
    (
        "anonymous-suite",
        "c2s",
        {"tls.cipher_suites.TLSv1.2": [AES128, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"]},
        "F",
        "F",
    ),
    (
        "export-suite",
        "c2s",
        {"tls.cipher_suites.TLSv1.2": [AES128, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"]},
        "F",
        "F",
    ),
    ("sslv3", "c2s", {"tls.versions.SSLv3": True}, "B", "B"),
    ("tls-downgrade", "c2s", {"tls.downgrade": True}, "B", "B"),
    ("key-under-2048", "c2s", {"certificate.key_bits": 1024}, "B", "B"),
    (
        "key-under-2048",
        "c2s",
        {"certificate.key_type": "EC", "certificate.key_bits": 192},
        "B",
        "B",
    ),
    ("dh-under-2048", "c2s", {"tls.min_dh_bits": 1024}, "B", "B"),
    (
        "no-forward-secrecy",
        "c2s",
        {
            "tls.versions": versions("TLSv1.2"),
            "tls.cipher_suites": {"TLSv1.2": ["TLS_RSA_WITH_AES_128_GCM_SHA256"]},
            "tls.forward_secrecy": False,
        },
        "B",
        "B",
    ),
    ("compression", "c2s", {"tls.compression": True}, "C", "C"),
    (
        "rc4",
        "c2s",
        {"tls.cipher_suites.TLSv1.2": [AES128, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"]},
        "C",
        "C",
    ),
    (
        "no-tls12",
        "c2s",
        {
            "tls.versions": versions("TLSv1.0", "TLSv1.1"),
            "tls.cipher_suites": {"TLSv1.0": ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]},
        },
        "C",
        "C",
    ),
    (
        "certificate-untrusted",
        "c2s",
        {"certificate.trusted": False, "certificate.trust_error": "unknown-issuer"},
        "T",
        "T",
    ),
    ("name-mismatch", "c2s", {"certificate.name_matches": False}, "T", "T"),
]


@pytest.mark.parametrize(
    ("code", "stream", "changes", "cap", "grade"), CAP_CASES, ids=[c[0] for c in CAP_CASES]
)
def test_each_cap(code, stream, changes, cap, grade):
    # the unchanged result is an A, so the cap alone explains the grade
    assert grade_endpoint(clean_result(stream), SECURE_DNS).grade == "A+"
    g = grade_endpoint(result_with(changes, stream=stream), SECURE_DNS)
    found = {c.code: c for c in g.caps}
    assert code in found, [c.code for c in g.caps]
    assert found[code].cap == cap
    assert g.grade == grade
    # an operator gets words and a setting, not a code
    assert len(found[code].reason) > 20
    assert len(found[code].fix) > 20


def test_unreachable_endpoint_is_f_with_the_error_as_reason():
    g = grade_endpoint(
        result_with({"error": {"code": "connect-timeout", "message": "no answer within 5.0 s"}})
    )
    assert g.grade == "F"
    assert g.score == 0
    assert [c.code for c in g.caps] == ["unreachable"]
    assert "connect-timeout" in g.caps[0].reason
    assert "no answer within 5.0 s" in g.caps[0].reason


@pytest.mark.parametrize(
    ("stream", "changes", "setting"),
    [
        ("c2s", {"features.starttls_required": False}, "c2s_require_encryption = true"),
        ("s2s", {"features.starttls_required": False}, "s2s_require_encryption = true"),
        (
            "c2s",
            {"features.sasl_mechanisms_before_tls": ["PLAIN"]},
            "allow_unencrypted_plain_auth = false",
        ),
        ("c2s", {"plaintext_refused": False}, "allow_unencrypted_plain_auth = false"),
        (
            "s2s",
            {"features.dialback_before_tls": True, "features.starttls_required": False},
            "s2s_secure_auth",
        ),
        ("c2s", {"tls.versions.SSLv3": True}, 'protocol = "tlsv1_2+"'),
        ("c2s", {"tls.compression": True}, "no_compression"),
        ("c2s", {"tls.min_dh_bits": 1024}, "dhparam"),
        ("c2s", {"certificate.key_bits": 1024}, "certificate role"),
    ],
)
def test_fix_names_the_prosody_setting(stream, changes, setting):
    g = grade_endpoint(result_with(changes, stream=stream))
    assert any(setting in c.fix for c in g.caps), [c.fix for c in g.caps]


def test_plaintext_fix_warns_that_reload_is_not_enough():
    g = grade_endpoint(result_with({"features.starttls_required": False}))
    assert "prosodyctl reload" in g.caps[0].fix


def test_sasl_reason_names_the_mechanisms():
    g = grade_endpoint(
        result_with({"features.sasl_mechanisms_before_tls": ["PLAIN", "SCRAM-SHA-1"]})
    )
    assert "PLAIN, SCRAM-SHA-1" in g.caps[0].reason


def test_untested_plaintext_is_no_cap():
    assert grade_endpoint(result_with({"plaintext_refused": None})).grade == "A"


def test_direct_tls_has_no_starttls_rules():
    r = clean_result(tls_mode="direct")
    assert r["features"]["starttls_offered"] is False
    assert grade_endpoint(r).grade == "A"
    assert grade_endpoint(result_with({"plaintext_refused": False}, tls_mode="direct")).grade == "F"


@pytest.mark.parametrize(
    "changes",
    [
        {"tls.versions.SSLv3": True},  # B
        {"tls.compression": True},  # C
    ],
)
def test_untrusted_below_a_is_f_not_t(changes):
    g = grade_endpoint(result_with({**changes, "certificate.trusted": False}))
    assert g.grade == "F"


def test_untrusted_a_minus_is_t():
    g = grade_endpoint(result_with({"certificate.name_matches": False, "certificate.days_left": 5}))
    assert g.grade == "T"


# --- warnings --------------------------------------------------------------------------------

WARNING_CASES = [
    ("certificate-expiring", "c2s", {"certificate.days_left": 30}),
    ("certificate-expiring", "c2s", {"certificate.days_left": 0}),
    ("s2s-no-client-auth", "s2s", {"certificate.eku_client_auth": False}),
    ("old-tls", "c2s", {"tls.versions.TLSv1.1": True}),
    ("old-tls", "c2s", {"tls.versions.TLSv1.0": True}),
    (
        "weak-block-cipher",
        "c2s",
        {"tls.cipher_suites.TLSv1.2": [AES128, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"]},
    ),
    (
        "partial-forward-secrecy",
        "c2s",
        {"tls.cipher_suites.TLSv1.2": [AES128, "TLS_RSA_WITH_AES_256_GCM_SHA384"]},
    ),
    ("sha1-signature", "c2s", {"certificate.signature_algorithm": "sha1WithRSAEncryption"}),
    ("trust-unknown", "c2s", {"certificate.trusted": None}),
    ("incomplete-probe", "c2s", {"features": None}),
    ("incomplete-probe", "c2s", {"certificate": None}),
    ("incomplete-probe", "c2s", {"tls.complete": False}),
    ("unknown-suite", "c2s", {"tls.cipher_suites.TLSv1.2": [AES128, "TLS_MADE_UP_WITH_NOTHING"]}),
]


@pytest.mark.parametrize(
    ("code", "stream", "changes"),
    WARNING_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(WARNING_CASES)],
)
def test_each_warning_makes_a_an_a_minus(code, stream, changes):
    g = grade_endpoint(result_with(changes, stream=stream), SECURE_DNS)
    assert code in [w.code for w in g.warnings]
    assert not g.caps
    assert g.grade == "A-"
    w = next(w for w in g.warnings if w.code == code)
    assert w.cap is None
    assert len(w.reason) > 20
    assert len(w.fix) > 20


def test_renewal_window_edge():
    assert grade_endpoint(result_with({"certificate.days_left": 31})).grade == "A"
    assert grade_endpoint(result_with({"certificate.days_left": 30})).grade == "A-"
    relaxed = grade_endpoint(result_with({"certificate.days_left": 20}), renew_days=10)
    assert relaxed.grade == "A"
    strict = grade_endpoint(result_with({"certificate.days_left": 40}), renew_days=45)
    assert [w.code for w in strict.warnings] == ["certificate-expiring"]


def test_s2s_eku_warning_explains_sasl_external():
    g = grade_endpoint(result_with({"certificate.eku_client_auth": False}, stream="s2s"))
    reason = g.warnings[0].reason
    assert "SASL EXTERNAL" in reason
    assert "dialback" in reason
    assert "s2s_secure_auth" in reason


def test_c2s_without_client_auth_eku_is_fine():
    assert grade_endpoint(result_with({"certificate.eku_client_auth": False})).grade == "A"


def test_warnings_do_not_lower_a_b():
    g = grade_endpoint(result_with({"tls.versions.SSLv3": True, "certificate.days_left": 3}))
    assert g.grade == "B"
    assert [w.code for w in g.warnings] == ["certificate-expiring"]


# --- A+ --------------------------------------------------------------------------------------


def test_a_plus_needs_secure_dns():
    assert grade_endpoint(clean_result(), SECURE_DNS).grade == "A+"
    assert grade_endpoint(clean_result(), SECURE_DNS).plus_missing == ()
    plain = grade_endpoint(clean_result())
    assert plain.grade == "A"
    assert {m.code for m in plain.plus_missing} == {"srv-not-secure", "no-dane"}


@pytest.mark.parametrize(
    ("dns", "missing"),
    [
        ({"srv_secure": False, "tlsa_matched": True}, {"srv-not-secure"}),
        ({"srv_secure": True, "tlsa_matched": False}, {"no-dane"}),
        ({"dnssec": "secure", "tlsa": {"matched": False}}, {"no-dane"}),
        ({"dnssec": "bogus", "tlsa": {"matched": True}}, {"srv-not-secure"}),
        ({"example.test": {"srv_secure": True, "tlsa_matched": False}}, {"no-dane"}),
        ({"other.test": SECURE_DNS}, {"srv-not-secure", "no-dane"}),
    ],
)
def test_a_plus_dns_conditions(dns, missing):
    g = grade_endpoint(clean_result(), dns)
    assert g.grade == "A"
    assert {m.code for m in g.plus_missing} == missing


def test_dns_info_shape_and_evidence_object_give_a_plus():
    assert (
        grade_endpoint(clean_result(), {"dnssec": "secure", "tlsa": {"matched": True}}).grade
        == "A+"
    )
    assert grade_endpoint(clean_result(), DnsEvidence(True, True)).grade == "A+"
    assert grade_endpoint(clean_result(), {"example.test": SECURE_DNS}).grade == "A+"


def test_a_plus_needs_tls13():
    r = result_with({"tls.versions.TLSv1.3": False, "tls.cipher_suites.TLSv1.3": []})
    g = grade_endpoint(r, SECURE_DNS)
    assert g.grade == "A"
    assert [m.code for m in g.plus_missing] == ["no-tls13"]


def test_a_plus_needs_nothing_below_tls12():
    g = grade_endpoint(result_with({"tls.versions.TLSv1.1": True}), SECURE_DNS)
    assert g.grade == "A-"
    assert {"warnings", "tls-below-1.2"} <= {m.code for m in g.plus_missing}


def test_a_plus_needs_forward_secrecy_everywhere():
    r = result_with({"tls.cipher_suites.TLSv1.2": [AES128, "TLS_RSA_WITH_AES_128_GCM_SHA256"]})
    g = grade_endpoint(r, SECURE_DNS)
    assert g.grade == "A-"
    assert "not-all-forward-secret" in {m.code for m in g.plus_missing}


def test_a_plus_untrusted_is_t():
    g = grade_endpoint(result_with({"certificate.trusted": False}), SECURE_DNS)
    assert g.grade == "T"


def test_as_dict_shape():
    d = grade_endpoint(result_with({"tls.versions.SSLv3": True})).as_dict()
    assert set(d) == {"grade", "score", "subscores", "caps", "warnings", "plus_missing", "endpoint"}
    assert d["caps"][0] == {
        "code": "sslv3",
        "cap": "B",
        "reason": d["caps"][0]["reason"],
        "fix": d["caps"][0]["fix"],
    }
    assert set(d["subscores"]) == {"protocol", "key_exchange", "cipher"}
    assert d["endpoint"] == "example.test c2s xmpp.example.test:5222"


def test_missing_sections_do_not_crash():
    g = grade_endpoint({"endpoint": {"host": "h", "port": 1, "domain": "d", "stream": "c2s"}})
    assert g.grade == "F"


def test_features_not_probed_is_no_plaintext_cap_but_no_a():
    g = grade_endpoint(result_with({"features": None}), SECURE_DNS)
    assert g.caps == ()
    assert g.grade == "A-"
    assert "stream features" in g.warnings[0].reason
    # direct TLS has no stream features before TLS to miss
    direct = grade_endpoint(result_with({"features": None}, tls_mode="direct"), SECURE_DNS)
    assert direct.grade == "A+"


def test_certificate_not_probed_scores_key_exchange_from_groups():
    g = grade_endpoint(result_with({"certificate": None, "tls.groups": ["secp384r1"]}))
    assert g.subscores.key_exchange == 100
    assert [w.code for w in g.warnings] == ["incomplete-probe"]


def test_dialback_offered_with_starttls_required_is_no_cap():
    # Prosody lists dialback before TLS even with s2s_require_encryption, then refuses to
    # authenticate the stream until TLS is up: nothing can federate in clear.
    g = grade_endpoint(result_with({"features.dialback_before_tls": True}, stream="s2s"))
    assert "dialback-before-tls" not in {c.code for c in g.caps}
    assert g.grade.startswith("A")
