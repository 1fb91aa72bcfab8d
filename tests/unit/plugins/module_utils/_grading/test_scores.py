"""Sub-scores and bands: the IM Observatory / SSL Labs arithmetic, extended to TLS 1.3."""

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    Subscores,
    band,
    grade_endpoint,
)
from ansible_collections.xmpp.encryption.tests.unit.support.builders.grading import result_with

AES128 = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
AES256 = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
TRIPLE_DES = "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"
ONLY_12 = {"SSLv3": False, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": False}


def versions(*offered: str) -> dict[str, bool]:
    return {v: v in offered for v in ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")}


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        (100, "A"),
        (80, "A"),
        (79.99, "B"),
        (65, "B"),
        (64.99, "C"),
        (50, "C"),
        (49.99, "D"),
        (35, "D"),
        (34.99, "E"),
        (20, "E"),
        (19.99, "F"),
        (0, "F"),
    ],
)
def test_band_edges(score, letter):
    assert band(score) == letter


def test_total_weights_are_exact_at_a_band_edge():
    assert Subscores(100, 100, 50).total() == 80.0
    assert Subscores(97.5, 100, 50).total() == 79.25


def test_clean_result_scores():
    g = grade_endpoint(result_with({}))
    assert g.subscores == Subscores(protocol=100, key_exchange=90, cipher=90)
    assert g.score == pytest.approx(93.0)
    assert g.grade == "A"


# A server at exactly 80: RSA 4096 and P-384 (key exchange 100), AES-128 and 3DES (112 bits):
# cipher (80 + 20) / 2 = 50, protocol 100. Adding TLS 1.1 drops the protocol score to 97.5.
EDGE = {
    "certificate.key_bits": 4096,
    "tls.groups": ["secp384r1"],
    "tls.cipher_suites": {"TLSv1.2": [AES128, TRIPLE_DES], "TLSv1.3": ["TLS_AES_128_GCM_SHA256"]},
}


def test_full_result_at_80_is_an_a():
    g = grade_endpoint(result_with(EDGE))
    assert g.subscores == Subscores(100, 100, 50)
    assert g.score == 80.0
    # an A, shown as A- because 3DES is a warning
    assert g.grade == "A-"
    assert [w.code for w in g.warnings] == ["weak-block-cipher"]
    assert not g.caps


def test_full_result_at_79_25_is_a_b():
    g = grade_endpoint(
        result_with({**EDGE, "tls.versions": versions("TLSv1.1", "TLSv1.2", "TLSv1.3")})
    )
    assert g.score == 79.25
    assert g.grade == "B"
    assert not g.caps


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        (("TLSv1.2",), 100),
        (("TLSv1.3",), 100),
        (("TLSv1.2", "TLSv1.3"), 100),
        (("TLSv1.0", "TLSv1.1", "TLSv1.2"), 95),
        (("TLSv1.1", "TLSv1.3"), 97.5),
        (("SSLv3", "TLSv1.2"), 90),
        (("SSLv3",), 80),
    ],
)
def test_protocol_subscore_is_mean_of_best_and_worst(offered, expected):
    g = grade_endpoint(result_with({"tls.versions": versions(*offered)}))
    assert g.subscores.protocol == expected


def test_sslv2_scores_zero():
    v = versions("TLSv1.2")
    v["SSLv2"] = True
    assert grade_endpoint(result_with({"tls.versions": v})).subscores.protocol == 50


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, 90),  # RSA 2048, x25519 (= RSA 3072)
        ({"certificate.key_bits": 4096}, 90),  # x25519 still counts as 3072
        ({"certificate.key_bits": 4096, "tls.groups": ["secp384r1"]}, 100),
        ({"certificate.key_bits": 4096, "tls.groups": ["x448", "secp521r1"]}, 100),
        ({"certificate.key_bits": 4096, "tls.groups": ["X25519MLKEM768", "secp384r1"]}, 100),
        ({"certificate.key_bits": 1024}, 80),
        ({"certificate.key_bits": 2047}, 80),
        ({"certificate.key_bits": 4095, "tls.groups": ["secp384r1"]}, 90),
        ({"certificate.key_bits": 1023}, 40),
        ({"certificate.key_bits": 768}, 40),
        ({"certificate.key_bits": 384}, 20),
        ({"certificate.key_type": "EC", "certificate.key_bits": 256}, 90),
        ({"certificate.key_type": "EC", "certificate.key_bits": 192}, 80),
        (
            {
                "certificate.key_type": "EC",
                "certificate.key_bits": 384,
                "tls.groups": ["secp384r1"],
            },
            100,
        ),
        ({"certificate.key_type": "Ed25519", "certificate.key_bits": 256}, 90),
        ({"tls.groups": ["x25519", "secp192r1"]}, 80),  # the weakest group counts
        ({"tls.groups": ["ffdhe2048"]}, 90),
        ({"certificate.key_bits": 4096, "tls.groups": ["ffdhe4096"]}, 100),
        ({"tls.min_dh_bits": 1024}, 80),
        ({"tls.min_dh_bits": 512}, 40),
    ],
)
def test_key_exchange_is_the_weakest_part(changes, expected):
    assert grade_endpoint(result_with(changes)).subscores.key_exchange == expected


def test_export_and_anonymous_suites_sink_key_exchange():
    export = result_with({"tls.cipher_suites.TLSv1.2": [AES128, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"]})
    anon = result_with({"tls.cipher_suites.TLSv1.2": [AES128, "TLS_DH_anon_WITH_AES_128_CBC_SHA"]})
    assert grade_endpoint(export).subscores.key_exchange == 40
    assert grade_endpoint(anon).subscores.key_exchange == 0


@pytest.mark.parametrize(
    ("suites12", "suites13", "expected"),
    [
        ([AES128, AES256], ["TLS_AES_128_GCM_SHA256"], 90),  # (80 + 100) / 2
        ([AES256], ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"], 100),
        ([AES128], ["TLS_AES_128_GCM_SHA256"], 80),
        ([AES256, TRIPLE_DES], [], 60),  # 3DES counts as its effective 112 bits
        ([AES256, "TLS_RSA_WITH_DES_CBC_SHA"], [], 60),
        ([AES256, "TLS_ECDHE_RSA_WITH_NULL_SHA"], [], 50),
        ([], [], 0),
    ],
)
def test_cipher_subscore_is_mean_of_strongest_and_weakest(suites12, suites13, expected):
    r = result_with({"tls.cipher_suites": {"TLSv1.2": suites12, "TLSv1.3": suites13}})
    assert grade_endpoint(r).subscores.cipher == expected


def test_duplicate_suites_across_versions_are_counted_once():
    r = result_with({"tls.cipher_suites": {"TLSv1.1": [AES128], "TLSv1.2": [AES128, AES256]}})
    assert grade_endpoint(r).subscores.cipher == 90


def test_only_12_versions_constant_is_consistent():
    assert grade_endpoint(result_with({"tls.versions": ONLY_12})).subscores.protocol == 100
