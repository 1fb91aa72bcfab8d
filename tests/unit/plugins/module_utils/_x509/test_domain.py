"""One conversion for every domain the collection uses: UTS #46 / IDNA 2008, one set of rules."""

from __future__ import annotations

import pytest
from cryptography import x509

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.names import (
    CertNameError,
    normalize_name,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    EndpointTarget,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import check_certificate
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.domain import (
    DomainError,
    domain_to_ascii,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.identity import (
    reference_identity,
)
from ansible_collections.xmpp.encryption.tests.unit.support.pki import FIXED, Pki

NOW = FIXED.now


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("faß.de", "xn--fa-hia.de"),  # IDNA 2003 (Python's codec) says fass.de
        ("FASS.de", "fass.de"),
        ("Bücher.Example.", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        ("ⅷ.example", "viii.example"),  # UTS #46 mapping
    ],
)
def test_domain_to_ascii(raw: str, expected: str) -> None:
    assert domain_to_ascii(raw) == expected


# What certificate_plan refuses (tests/unit/plugins/module_utils/_certificate/test_names.py),
# reference_identity refuses too, for the same reason.
REFUSED = [
    ("a..example", "empty label"),
    ("*.example.org", "wildcard"),
    ("ex_ample.org", "invalid label"),
    ("-bad.example.org", "invalid label"),
    ("user@example.org", "invalid label"),
    ("example.123", "all-numeric"),
    ("a" * 64 + ".org", "at most 63"),
    (".".join(["a" * 63] * 4) + ".org", "at most 253"),
    ("xn--zz.example", "invalid A-label"),
    ("", "is empty"),
]


@pytest.mark.parametrize(("raw", "reason"), REFUSED)
def test_reference_identity_refuses_what_certificate_plan_refuses(raw: str, reason: str) -> None:
    with pytest.raises(CertNameError, match=reason):
        normalize_name(raw, "domains[0]")
    with pytest.raises(DomainError, match=reason):
        reference_identity(raw, "c2s")
    with pytest.raises(ValueError, match=reason):
        EndpointTarget("127.0.0.1", 5222, raw or " ")


def test_reference_identity_uses_idna2008() -> None:
    ref = reference_identity("Faß.DE.", "s2s")
    assert ref.dns_ids == ("xn--fa-hia.de",)
    assert ref.srv_ids == ("_xmpp-server.xn--fa-hia.de",)


def test_an_ip_address_domain_is_probed_but_matches_no_identity(pki: Pki) -> None:
    assert EndpointTarget("127.0.0.1", 5222, "127.0.0.1").domain == "127.0.0.1"
    chain = [pki.new_leaf(sans=[x509.DNSName("127.0.0.1")]).der, pki.intermediate.der]
    report = check_certificate(
        chain, domain="127.0.0.1", stream="c2s", ca_path=str(pki.files["bundle"]), now=NOW
    )
    assert report.name_matches is False
    assert report.trusted is True
    assert any("is an IP address" in d for d in report.details)


def test_identity_of_an_idn_is_its_idna2008_name(pki: Pki) -> None:
    def matches(presented: str) -> bool:
        chain = [pki.new_leaf(sans=[x509.DNSName(presented)]).der, pki.intermediate.der]
        report = check_certificate(
            chain, domain="faß.example", stream="c2s", ca_path=str(pki.files["bundle"]), now=NOW
        )
        return report.name_matches

    assert matches("xn--fa-hia.example")
    assert not matches("fass.example")
