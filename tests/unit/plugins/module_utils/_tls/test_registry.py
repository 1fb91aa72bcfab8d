"""The registry against what the local OpenSSL says about every suite it knows."""

from __future__ import annotations

import ssl

from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import (
    GROUPS,
    SUITES,
    SUITES_BY_NAME,
    TLS13_SUITES,
)

OPENSSL_KEX = {
    "kx-ecdhe": {"ECDHE", "ECDH_anon"},
    "kx-dhe": {"DHE", "DH_anon"},
    "kx-rsa": {"RSA"},
    "kx-psk": {"PSK"},
    "kx-dhe-psk": {"DHE_PSK"},
    "kx-ecdhe-psk": {"ECDHE_PSK"},
    "kx-rsa-psk": {"RSA_PSK"},
    "kx-srp": {"SRP"},
    "kx-any": {"TLS13"},
}


def openssl_ciphers() -> list[dict]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return ctx.get_ciphers()


def test_every_openssl_suite_is_known_with_the_same_properties():
    ciphers = openssl_ciphers()
    assert len(ciphers) > 100
    for cipher in ciphers:
        suite = SUITES[cipher["id"] & 0xFFFF]
        assert suite.bits == cipher["strength_bits"], suite.name
        assert (suite.mac == "AEAD") == cipher["aead"], suite.name
        assert suite.kex in OPENSSL_KEX[cipher["kea"]], suite.name
        assert (suite.auth == "anon") == (cipher["auth"] == "auth-null"), suite.name
        assert (cipher["protocol"] == "TLSv1.3") == (suite.versions == {"TLSv1.3"})


def test_registry_shape():
    assert len(SUITES) == len(SUITES_BY_NAME) > 330
    assert [SUITES[c].name for c in TLS13_SUITES] == [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_CCM_SHA256",
        "TLS_AES_128_CCM_8_SHA256",
    ]
    export = SUITES_BY_NAME["TLS_RSA_EXPORT_WITH_RC4_40_MD5"]
    assert (export.export, export.bits, export.versions) == (True, 40, {"SSLv3", "TLSv1.0"})
    triple = SUITES_BY_NAME["TLS_RSA_WITH_3DES_EDE_CBC_SHA"]
    assert (triple.bits, triple.forward_secret, triple.mac) == (112, False, "SHA")
    assert SUITES_BY_NAME["TLS_ECDH_anon_WITH_AES_128_CBC_SHA"].anonymous
    assert SUITES_BY_NAME["TLS_NULL_WITH_NULL_NULL"].bits == 0
    assert GROUPS[0x11EC].name == "X25519MLKEM768"
