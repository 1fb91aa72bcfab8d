"""TLSA association data and record matching against a real chain."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.xmpp.encryption.plugins.module_utils._x509.tlsa import (
    TlsaError,
    TlsaRecord,
    association_data,
    match_record,
    match_records,
    record_for,
)
from ansible_collections.xmpp.encryption.tests.unit.support.pki import Pki


@pytest.fixture(scope="module")
def chain(pki: Pki) -> list[bytes]:
    return [pki.new_leaf(sans=[x509.DNSName("example.org")]).der, pki.intermediate.der]


def spki(der: bytes) -> bytes:
    return (
        x509.load_der_x509_certificate(der)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def test_association_data_all_selectors_and_types(chain: list[bytes]) -> None:
    leaf = chain[0]
    assert association_data(leaf, 0, 0) == leaf.hex()
    assert association_data(leaf, 0, 1) == hashlib.sha256(leaf).hexdigest()
    assert association_data(leaf, 0, 2) == hashlib.sha512(leaf).hexdigest()
    assert association_data(leaf, 1, 0) == spki(leaf).hex()
    assert association_data(leaf, 1, 1) == hashlib.sha256(spki(leaf)).hexdigest()
    assert association_data(leaf, 1, 2) == hashlib.sha512(spki(leaf)).hexdigest()
    with pytest.raises(TlsaError):
        association_data(leaf, 2, 1)
    with pytest.raises(TlsaError):
        association_data(leaf, 1, 3)
    with pytest.raises(TlsaError):
        association_data(b"garbage", 1, 1)


def test_record_for_defaults_to_3_1_1(chain: list[bytes]) -> None:
    record = record_for(chain[0])
    assert record.as_text() == f"3 1 1 {hashlib.sha256(spki(chain[0])).hexdigest()}"
    assert record.as_dict()["usage"] == 3


@pytest.mark.parametrize(("selector", "mtype"), [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)])
def test_dane_ee_and_ta_match(chain: list[bytes], selector: int, mtype: int) -> None:
    ee = TlsaRecord(3, selector, mtype, association_data(chain[0], selector, mtype).upper())
    result = match_record(ee, chain)
    assert (result.matched, result.position) == (True, 0)
    ta = TlsaRecord(2, selector, mtype, association_data(chain[1], selector, mtype))
    assert (match_record(ta, chain).matched, match_record(ta, chain).position) == (True, 1)
    # A DANE-TA record never matches the leaf, a DANE-EE record never the intermediate.
    assert match_record(TlsaRecord(2, selector, mtype, ee.data), chain).matched is False
    assert match_record(TlsaRecord(3, selector, mtype, ta.data), chain).matched is False


def test_pkix_usages_need_pkix(chain: list[bytes]) -> None:
    data = association_data(chain[0], 1, 1)
    pkix_ee = TlsaRecord(1, 1, 1, data)
    assert match_record(pkix_ee, chain, pkix_valid=True).matched is True
    assert match_record(pkix_ee, chain, pkix_valid=False).matched is False
    undecided = match_record(pkix_ee, chain)
    assert undecided.matched is None
    assert undecided.position == 0
    pkix_ta = TlsaRecord(0, 0, 1, association_data(chain[1], 0, 1))
    assert match_record(pkix_ta, chain, pkix_valid=True).position == 1


def test_only_a_hash_is_known(chain: list[bytes]) -> None:
    digest = association_data(chain[0], 1, 1)
    records = [
        TlsaRecord(3, 1, 1, digest),
        TlsaRecord(3, 1, 1, "00" * 32),
        TlsaRecord(3, 0, 1, association_data(chain[0], 0, 1)),
    ]
    results = match_records(records, spki_sha256=digest)
    assert [r.matched for r in results] == [True, False, None]


def test_unusable_parameters(chain: list[bytes]) -> None:
    assert match_record(TlsaRecord(4, 1, 1, "00"), chain).matched is False
    assert match_record(TlsaRecord(3, 1, 7, "00"), chain).matched is False
    bad = match_record(TlsaRecord(3, 1, 1, "00"), [b"junk"])
    assert bad.matched is False
    assert "cannot read" in bad.reason
