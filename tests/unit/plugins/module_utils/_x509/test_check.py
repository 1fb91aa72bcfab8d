"""check_certificate against a real PKI built in the fixture: fields, trust, identity, EKU."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import (
    X509CheckError,
    check_certificate,
    load_trust_store,
)
from ansible_collections.xmpp.encryption.tests.unit.support.pki import (
    DAY,
    FIXED,
    Pki,
    make_key,
    srv_name,
    utf8,
    xmpp_addr,
)

NOW = FIXED.now
issue = FIXED.issue
DOMAIN = "example.org"


def check(pki: Pki, chain: list[bytes], *, domain: str = DOMAIN, stream: str = "c2s", **kw: object):
    kw.setdefault("now", NOW)
    return check_certificate(
        chain, domain=domain, stream=stream, ca_path=str(pki.files["bundle"]), **kw
    )


def good(pki: Pki, **kwargs: object) -> list[bytes]:
    kwargs.setdefault("sans", [x509.DNSName(DOMAIN)])
    return [pki.new_leaf(**kwargs).der, pki.intermediate.der]


# ------------------------------------------------------------------ fields


def test_fields_of_a_good_chain(pki: Pki) -> None:
    leaf = pki.new_leaf(
        "xmpp.example.org", sans=[x509.DNSName(DOMAIN), x509.DNSName("conf.example.org")]
    )
    report = check(pki, [leaf.der, pki.intermediate.der])
    assert report.error is None
    assert report.trusted is True
    assert report.trust_error is None
    assert report.trust_errors == ()
    assert report.subject == "CN=xmpp.example.org,O=Test"
    assert report.issuer == "CN=Test Intermediate,O=Test"
    assert report.not_before == "2026-01-30T12:00:00Z"
    assert report.not_after == "2026-04-30T12:00:00Z"
    assert report.days_left == 60
    assert (report.key_type, report.key_bits, report.curve) == ("EC", 256, "secp256r1")
    assert report.signature_algorithm == "ecdsa-with-SHA256"
    assert report.san_dns == (DOMAIN, "conf.example.org")
    assert report.san_srv == ()
    assert report.san_xmpp_addr == ()
    assert report.sha256 == hashlib.sha256(leaf.der).hexdigest()
    spki = leaf.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert report.tlsa_3_1_1 == hashlib.sha256(spki).hexdigest()
    assert [e.subject for e in report.chain] == [
        "CN=xmpp.example.org,O=Test",
        "CN=Test Intermediate,O=Test",
    ]
    assert report.chain[1].issuer == "CN=Test Root,O=Test"
    assert report.chain[1].sha256 == hashlib.sha256(pki.intermediate.der).hexdigest()
    assert report.name_matches is True
    assert report.matched_identity == "DNS-ID:example.org"
    as_dict = report.as_dict()
    json.dumps(as_dict)  # plain data only
    assert as_dict["san_dns"] == [DOMAIN, "conf.example.org"]
    assert as_dict["chain"][0]["sha256"] == report.sha256


@pytest.mark.parametrize(
    ("key_factory", "key_type", "bits", "sig"),
    [
        (lambda: make_key("rsa", 1024), "RSA", 1024, "sha256WithRSAEncryption"),
        (lambda: make_key("rsa", 2048), "RSA", 2048, "sha256WithRSAEncryption"),
        (ed25519.Ed25519PrivateKey.generate, "Ed25519", 253, "ed25519"),
    ],
)
def test_key_types(pki: Pki, key_factory, key_type: str, bits: int, sig: str) -> None:
    key = key_factory()
    # The leaf signs itself, so the signature algorithm follows its own key.
    leaf = issue(DOMAIN, key=key, sans=[x509.DNSName(DOMAIN)])
    report = check(pki, [leaf.der])
    assert (report.key_type, report.key_bits, report.curve) == (key_type, bits, None)
    assert report.signature_algorithm == sig
    assert report.trust_error == "self-signed"


def test_rsa_leaf_under_the_ec_intermediate_is_trusted(pki: Pki) -> None:
    report = check(pki, good(pki, key=make_key("rsa", 2048)))
    assert (report.key_type, report.key_bits) == ("RSA", 2048)
    assert report.signature_algorithm == "ecdsa-with-SHA256"  # signed by the EC intermediate
    assert report.trusted is True


def test_garbage_der_is_a_value_not_a_traceback(pki: Pki) -> None:
    for chain in ([b"\x30\x03\x02\x01\x00"], [b"not der at all"], [b""], []):
        report = check(pki, chain)
        assert report.error
        assert report.trusted is False
        assert report.trust_error == "invalid-certificate"
    report = check(pki, [good(pki)[0], b"\x30\x82garbage"])
    assert "position 1" in report.error


def test_truncated_real_certificate(pki: Pki) -> None:
    der = good(pki)[0]
    report = check(pki, [der[: len(der) // 2]])
    assert report.trust_error == "invalid-certificate"
    assert report.subject is None


def test_malformed_otherName_value_is_reported_not_matched(pki: Pki) -> None:
    broken = x509.OtherName(
        x509.ObjectIdentifier("1.3.6.1.5.5.7.8.7"), utf8("_xmpp-client.example.org")
    )  # wrong string type
    report = check(pki, good(pki, sans=[broken]))
    assert report.san_srv == ()
    assert report.name_matches is False
    assert any("malformed otherName" in d for d in report.details)


# ------------------------------------------------------------------ trust


def test_ca_directory_and_default_store(pki: Pki) -> None:
    chain = good(pki)
    report = check_certificate(
        chain, domain=DOMAIN, stream="c2s", ca_path=str(pki.files["cadir"]), now=NOW
    )
    assert report.trusted is True
    # Our test root is in no system store: unknown there.
    system = check_certificate(chain, domain=DOMAIN, stream="c2s", ca_path=None, now=NOW)
    assert system.trusted is False
    assert system.trust_error == "unknown-issuer"


def test_bad_ca_path_is_the_callers_error(pki: Pki, tmp_path) -> None:
    with pytest.raises(X509CheckError):
        check_certificate(good(pki), domain=DOMAIN, stream="c2s", ca_path=str(tmp_path / "nope"))
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing\n")
    with pytest.raises(X509CheckError):
        check_certificate(good(pki), domain=DOMAIN, stream="c2s", ca_path=str(empty))
    with pytest.raises(X509CheckError):
        check(pki, good(pki), stream="bogus")


def test_trust_store_is_deduplicated(pki: Pki, tmp_path) -> None:
    doubled = tmp_path / "double.pem"
    doubled.write_bytes(pki.root.pem() + pki.root.pem())
    assert len(load_trust_store(str(doubled))) == 1


def test_expired_leaf(pki: Pki) -> None:
    report = check(pki, good(pki, not_before=NOW - 100 * DAY, not_after=NOW - DAY))
    assert report.trusted is False
    assert report.trust_error == "expired"
    assert report.days_left == -1
    assert "position 0" in report.trust_detail


def test_expired_intermediate(pki: Pki) -> None:
    old = issue("Old Intermediate", issuer=pki.root, ca=True, not_after=NOW - 2 * DAY)
    leaf = issue("leaf", issuer=old, sans=[x509.DNSName(DOMAIN)])
    report = check(pki, [leaf.der, old.der])
    assert report.trust_error == "expired"
    assert "position 1" in report.trust_detail
    assert report.days_left == 60  # the leaf itself is fine


def test_not_yet_valid(pki: Pki) -> None:
    report = check(pki, good(pki, not_before=NOW + DAY, not_after=NOW + 90 * DAY))
    assert report.trusted is False
    assert report.trust_error == "not-yet-valid"


def test_self_signed(pki: Pki) -> None:
    leaf = issue(DOMAIN, sans=[x509.DNSName(DOMAIN)])
    report = check(pki, [leaf.der])
    assert report.trusted is False
    assert report.trust_error == "self-signed"
    assert report.name_matches is True  # identity is judged on its own


def test_missing_intermediate_with_aia_is_incomplete(pki: Pki) -> None:
    leaf = pki.new_leaf(sans=[x509.DNSName(DOMAIN)], aia=True)
    report = check(pki, [leaf.der])
    assert report.trusted is False
    assert report.trust_error == "incomplete-chain"
    assert "Test Intermediate" in report.trust_detail


def test_missing_intermediate_without_aia_is_unknown_issuer(pki: Pki) -> None:
    report = check(pki, [pki.new_leaf(sans=[x509.DNSName(DOMAIN)]).der])
    assert report.trust_error == "unknown-issuer"


def test_unknown_root_sent_in_chain(pki: Pki) -> None:
    stranger = issue("Stranger Root", ca=True)
    leaf = issue("leaf", issuer=stranger, sans=[x509.DNSName(DOMAIN)])
    report = check(pki, [leaf.der, stranger.der])
    assert report.trust_error == "unknown-issuer"
    assert "Stranger Root" in report.trust_detail


def test_root_sent_along_is_fine(pki: Pki) -> None:
    report = check(pki, [*good(pki), pki.root.der])
    assert report.trusted is True


def test_leaf_not_first(pki: Pki) -> None:
    leaf, inter = good(pki)
    report = check(pki, [inter, leaf])
    assert report.trusted is False
    assert report.trust_error == "misordered-chain"
    assert report.trust_detail.startswith("leaf not first")
    # The fields describe the real leaf, found by its place in the path.
    assert report.subject == "CN=leaf,O=Test"
    assert report.sha256 == hashlib.sha256(leaf).hexdigest()


def test_intermediates_out_of_order(pki: Pki) -> None:
    inter2 = issue("Second Intermediate", issuer=pki.intermediate, ca=True)
    leaf = issue("leaf", issuer=inter2, sans=[x509.DNSName(DOMAIN)])
    in_order = check(pki, [leaf.der, inter2.der, pki.intermediate.der])
    assert in_order.trusted is True
    report = check(pki, [leaf.der, pki.intermediate.der, inter2.der])
    assert report.trusted is False
    assert report.trust_errors == ("misordered-chain",)
    assert report.trust_detail.startswith("intermediates out of order")
    assert "position 2" in report.trust_detail


def test_bad_signature_from_an_impostor_issuer(pki: Pki) -> None:
    # Same issuer name as the trusted root, but another key signed the intermediate.
    fake = issue("Test Root", ca=True)
    inter = issue("Test Intermediate", issuer=fake, ca=True)
    leaf = issue("leaf", issuer=inter, sans=[x509.DNSName(DOMAIN)])
    report = check(pki, [leaf.der, inter.der])
    assert report.trusted is False
    assert report.trust_error == "bad-signature"


def test_several_problems_are_all_listed(pki: Pki) -> None:
    leaf = pki.new_leaf(
        sans=[x509.DNSName(DOMAIN)], not_after=NOW - DAY, not_before=NOW - 9 * DAY, aia=True
    )
    report = check(pki, [leaf.der])
    assert report.trust_error == "expired"
    assert report.trust_errors == ("expired", "incomplete-chain")


# ------------------------------------------------------------------ identity


def test_srv_id_only_for_c2s_and_not_for_s2s(pki: Pki) -> None:
    chain = good(pki, sans=[srv_name("_xmpp-client.example.org")])
    c2s = check(pki, chain)
    assert c2s.trusted is True  # the chain validates without any DNS-ID
    assert c2s.san_srv == ("_xmpp-client.example.org",)
    assert c2s.san_dns == ()
    assert (c2s.name_matches, c2s.matched_identity) == (True, "SRV-ID:_xmpp-client.example.org")
    s2s = check(pki, chain, stream="s2s")
    assert s2s.name_matches is False
    server = check(pki, good(pki, sans=[srv_name("_xmpp-server.example.org")]), stream="s2s")
    assert server.matched_identity == "SRV-ID:_xmpp-server.example.org"


def test_srv_id_for_direct_tls(pki: Pki) -> None:
    chain = good(pki, sans=[srv_name("_xmpps-client.example.org")])
    assert check(pki, chain).name_matches is False
    assert check(pki, chain, tls_mode="direct").name_matches is True
    # A direct-TLS client also accepts the STARTTLS service's SRV-ID.
    plain = good(pki, sans=[srv_name("_xmpp-client.example.org")])
    assert check(pki, plain, tls_mode="direct").name_matches is True


def test_srv_id_for_another_domain_does_not_match(pki: Pki) -> None:
    report = check(pki, good(pki, sans=[srv_name("_xmpp-client.other.org")]))
    assert report.name_matches is False
    wildcard_srv = check(
        pki, good(pki, sans=[srv_name("_xmpp-client.*.org")]), domain="example.org"
    )
    assert wildcard_srv.name_matches is False


def test_xmpp_addr_only(pki: Pki) -> None:
    report = check(pki, good(pki, sans=[xmpp_addr("example.org")]), stream="s2s")
    assert report.san_xmpp_addr == ("example.org",)
    assert report.matched_identity == "XmppAddr:example.org"
    with_user = check(pki, good(pki, sans=[xmpp_addr("admin@example.org")]))
    assert with_user.name_matches is False


def test_xmpp_addr_idn_is_compared_as_a_label(pki: Pki) -> None:
    report = check(
        pki, good(pki, sans=[xmpp_addr("bücher.example")]), domain="xn--bcher-kva.example"
    )
    assert report.san_xmpp_addr == ("bücher.example",)
    assert report.name_matches is True
    dns = check(
        pki, good(pki, sans=[x509.DNSName("xn--bcher-kva.example")]), domain="Bücher.Example"
    )
    assert dns.matched_identity == "DNS-ID:xn--bcher-kva.example"


def test_cn_only_never_matches(pki: Pki) -> None:
    leaf = pki.new_leaf(DOMAIN, sans=None)
    report = check(pki, [leaf.der, pki.intermediate.der])
    assert report.subject == "CN=example.org,O=Test"
    assert report.trusted is True
    assert report.name_matches is False
    assert report.matched_identity is None


def test_case_insensitive(pki: Pki) -> None:
    assert check(
        pki, good(pki, sans=[x509.DNSName("EXAMPLE.org")]), domain="Example.ORG."
    ).name_matches


@pytest.mark.parametrize(
    ("presented", "domain", "expected"),
    [
        ("*.example.org", "chat.example.org", True),
        ("*.example.org", "CHAT.Example.Org", True),
        ("*.example.org", "example.org", False),  # never the bare domain
        ("*.example.org", "a.b.example.org", False),  # never across labels
        ("*.example.org", "chat.example.net", False),
        ("chat.*.org", "chat.example.org", False),  # only the left-most label
        ("c*.example.org", "chat.example.org", False),  # no partial wildcards
        ("*chat.example.org", "xchat.example.org", False),
        ("*.org", "example.org", False),  # not directly under a single label
        ("*.*.example.org", "a.b.example.org", False),
        ("*.xn--bcher-kva.example", "chat.bücher.example", True),
    ],
)
def test_wildcard_dns_ids(pki: Pki, presented: str, domain: str, expected: bool) -> None:
    report = check(pki, good(pki, sans=[x509.DNSName(presented)]), domain=domain)
    assert report.name_matches is expected
    assert report.matched_identity == (f"DNS-ID:{presented}" if expected else None)


def test_wildcard_never_in_srv_or_xmpp_addr(pki: Pki) -> None:
    report = check(
        pki,
        good(pki, sans=[srv_name("_xmpp-client.*.example.org"), xmpp_addr("*.example.org")]),
        domain="chat.example.org",
    )
    assert report.name_matches is False


# ------------------------------------------------------------------ EKU


def test_eku_client_and_server(pki: Pki) -> None:
    both = check(pki, good(pki))
    assert set(both.eku) == {"serverAuth", "clientAuth"}
    assert both.eku_client_auth is True
    assert both.eku_server_auth is True
    server_only = check(pki, good(pki, eku=[ExtendedKeyUsageOID.SERVER_AUTH]))
    assert server_only.eku == ("serverAuth",)
    assert server_only.eku_client_auth is False
    assert server_only.eku_server_auth is True


def test_absent_eku_means_unrestricted(pki: Pki) -> None:
    leaf = issue("leaf", issuer=pki.intermediate, sans=[x509.DNSName(DOMAIN)], eku=None)
    report = check(pki, [leaf.der, pki.intermediate.der])
    assert report.eku == ()
    assert report.eku_client_auth is True
    assert report.eku_server_auth is True
    assert report.trusted is True


def test_any_eku_allows_both(pki: Pki) -> None:
    report = check(pki, good(pki, eku=[x509.ObjectIdentifier("2.5.29.37.0")]))
    assert report.eku_client_auth is True
    assert report.eku_server_auth is True
    email_only = check(pki, good(pki, eku=[ExtendedKeyUsageOID.EMAIL_PROTECTION]))
    assert (email_only.eku_client_auth, email_only.eku_server_auth) == (False, False)
