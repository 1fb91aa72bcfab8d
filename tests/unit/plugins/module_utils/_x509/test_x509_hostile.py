"""Chains a hostile server can send: too long, full of look-alike issuers, unparsable names."""

from __future__ import annotations

import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import (
    MAX_CHAIN_CERTIFICATES,
    check_certificate,
    load_trust_store,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.trust import (
    distinct_issuers,
    find_leaf,
)
from ansible_collections.xmpp.encryption.tests.unit.support.pki import (
    DAY,
    FIXED,
    Pki,
    make_key,
)

NOW = FIXED.now

DOMAIN = "example.org"
SELF_ISSUED = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])


def self_issued(count: int, *, one_key: bool = True) -> list[x509.Certificate]:
    """``count`` small CA certificates, all named alike and issued by that name."""
    shared = make_key()
    certs = []
    for serial in range(1, count + 1):
        key = shared if one_key else make_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(SELF_ISSUED)
            .issuer_name(SELF_ISSUED)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(NOW - DAY)
            .not_valid_after(NOW + DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        )
        certs.append(builder.sign(key, hashes.SHA256()))
    return certs


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def timed_check(pki: Pki, chain: list[bytes]):
    anchors = load_trust_store(str(pki.files["bundle"]))  # outside the timing: read once per scan
    started = time.monotonic()
    report = check_certificate(
        chain, domain=DOMAIN, stream="c2s", ca_path=None, now=NOW, anchors=anchors
    )
    return report, time.monotonic() - started


def test_hundreds_of_self_issued_certificates_cost_no_time(pki: Pki) -> None:
    # 649 such certificates once took two minutes; these 301 took 27 s before the cap.
    chain = [pki.new_leaf(sans=[x509.DNSName(DOMAIN)]).der] + [der(c) for c in self_issued(300)]
    report, elapsed = timed_check(pki, chain)
    assert elapsed < 1.0
    assert report.trusted is False
    assert report.trust_error == "invalid-certificate"
    assert "301 certificates" in report.trust_detail
    # the rest of the report is kept: the leaf is the first certificate, as a client takes it
    assert report.name_matches is True
    assert report.san_dns == (DOMAIN,)
    assert report.key_type == "EC"
    assert len(report.chain) == MAX_CHAIN_CERTIFICATES


def test_a_chain_at_the_cap_is_still_evaluated(pki: Pki) -> None:
    good = [pki.new_leaf(sans=[x509.DNSName(DOMAIN)]).der, pki.intermediate.der]
    padding = [der(c) for c in self_issued(MAX_CHAIN_CERTIFICATES - 2)]
    report, _elapsed = timed_check(pki, good + padding)
    assert report.trusted is True, report.trust_detail
    report, _elapsed = timed_check(pki, [*good, *padding, pki.root.der])
    assert report.trust_error == "invalid-certificate"
    assert report.name_matches is True


@pytest.mark.parametrize("one_key", [True, False])
def test_look_alike_issuers_up_to_the_cap_are_cheap(pki: Pki, one_key: bool) -> None:
    leaf = pki.new_leaf(sans=[x509.DNSName(DOMAIN)]).der
    chain = [leaf] + [der(c) for c in self_issued(MAX_CHAIN_CERTIFICATES - 1, one_key=one_key)]
    report, elapsed = timed_check(pki, chain)
    assert elapsed < 2.0
    assert report.trusted is False
    assert report.name_matches is True


def test_copies_of_one_issuer_do_not_multiply_the_paths(pki: Pki) -> None:
    # Four copies of a CA certificate (one name, one key) cost cryptography's path builder
    # 46 s: it tried every order of them. One of each name and key is all it needs.
    ca_key = make_key()
    copies = []
    for serial in range(1, 5):
        copies.append(
            x509.CertificateBuilder()
            .subject_name(SELF_ISSUED)
            .issuer_name(pki.intermediate.cert.subject)
            .public_key(ca_key.public_key())
            .serial_number(serial)
            .not_valid_before(NOW - DAY)
            .not_valid_after(NOW + DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(pki.intermediate.key, hashes.SHA256())
        )
    assert distinct_issuers(copies) == copies[:1]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)]))
        .issuer_name(SELF_ISSUED)
        .public_key(make_key().public_key())
        .serial_number(9)
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    chain = [der(leaf), *(der(c) for c in copies), pki.intermediate.der]
    report, elapsed = timed_check(pki, chain)
    assert elapsed < 5.0
    assert report.name_matches is True


def test_leaf_is_found_with_one_signature_check_per_issuer() -> None:
    certs = self_issued(200)
    started = time.monotonic()
    assert find_leaf(certs) == 0  # every one issues every other: ambiguous, so the first
    assert time.monotonic() - started < 1.0  # 200 x 200 signature checks took 13 s


def test_subject_with_invalid_utf8_is_an_invalid_certificate(pki: Pki) -> None:
    placeholder = "ZZZZZZ"
    leaf = pki.new_leaf(placeholder, sans=[x509.DNSName(DOMAIN)]).der
    assert leaf.count(placeholder.encode()) == 1
    # same length, so the DER stays well formed; the signature breaks, which does not matter
    broken = leaf.replace(placeholder.encode(), b"\xff\xfe\xc3\x28ab")
    report, _elapsed = timed_check(pki, [broken, pki.intermediate.der])
    assert report.trusted is False
    assert report.trust_error == "invalid-certificate"
    assert "the subject of position 0 cannot be parsed" in report.trust_detail
    assert report.subject is None
    assert report.issuer is not None
    assert report.chain[0].subject is None
    assert report.chain[1].subject is not None
    # the rest of the result is kept
    assert report.name_matches is True
    assert report.matched_identity == f"DNS-ID:{DOMAIN}"
    assert report.not_after is not None
    assert report.key_type == "EC"
    assert report.sha256 is not None
    assert report.as_dict()["chain"][0]["subject"] is None
