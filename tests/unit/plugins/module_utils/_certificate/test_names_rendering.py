"""The plan rendered as community.crypto ``subject_alt_name`` entries, parsed by community.crypto.

The entries go through community.crypto's own parser (the one ``openssl_csr`` uses), into a
CSR, and into a certificate signed the way ``x509_certificate`` (ownca) does it: the CSR's
extensions copied unchanged. The certificate is then read back with cryptography, with our
import check, and with the OpenSSL command line.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta

from ansible_collections.community.crypto.plugins.module_utils._crypto.cryptography_support import (
    cryptography_get_name,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.import_check import (
    ImportPolicy,
    Source,
    check_import,
    names_from_certificate,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.names import (
    compare_names,
    plan_certificates,
    san_srv_id,
)
from ansible_collections.xmpp.encryption.tests.unit.support.pki import NOW, Issued, issue, make_key

PLAN = plan_certificates(
    ["example.org", "bücher.example"], components=["upload.example.org"], subdomains=["conference"]
)[0]


def sign_like_ownca(
    entries: list[str], ca: Issued, common_name: str | None = "example.org"
) -> Issued:
    """CSR with the entries parsed by community.crypto, then signed copying its extensions."""
    key = make_key()
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(subject))
        .add_extension(
            x509.SubjectAlternativeName([cryptography_get_name(e) for e in entries]), False
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            False,
        )
        .sign(key, hashes.SHA256())
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=90))
    )
    for ext in csr.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    # ownca's defaults: create_subject_key_identifier and create_authority_key_identifier.
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), False
    ).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def test_public_rendering_is_dns_only():
    assert PLAN.subject_alt_name("public") == [f"DNS:{n}" for n in PLAN.dns_names]


def test_internal_rendering_round_trips_through_community_crypto():
    ca = issue("Lab CA", ca=True)
    server = sign_like_ownca(PLAN.subject_alt_name("internal"), ca, PLAN.common_name)
    san = server.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    others = san.get_values_for_type(x509.OtherName)
    srv = [o.value for o in others if o.type_id.dotted_string == "1.3.6.1.5.5.7.8.7"]
    xmpp = [o.value for o in others if o.type_id.dotted_string == "1.3.6.1.5.5.7.8.5"]
    # SRV-ID: IA5String (tag 0x16); XmppAddr: UTF8String (tag 0x0c), the JID in U-labels.
    assert b"\x16\x18_xmpp-client.example.org" in srv
    assert b"\x16\x18_xmpp-server.example.org" in srv
    assert b"\x16\x23_xmpp-server.conference.example.org" in srv
    assert all(v[0] == 0x16 for v in srv)
    assert xmpp == [b"\x0c\x0bexample.org", b"\x0c\x0fb\xc3\xbccher.example"]
    eku = server.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    # Read back by our own checker: exactly the planned identities, nothing missing or extra.
    presented = names_from_certificate(server.cert)
    diff = compare_names(PLAN.names("internal"), presented)
    assert diff.missing == ()
    assert diff.extra == ()
    report = check_import(
        Source("certificate", content=server.pem()),
        ImportPolicy(required=PLAN.names("internal"), trust_anchors=(ca.cert,)),
        private_key=Source("key", content=server.key_pem()),
        now=NOW,
    )
    assert report.valid, report.problems


def test_openssl_reads_srvname_and_xmppaddr(tmp_path):
    ca = issue("Lab CA", ca=True)
    server = sign_like_ownca(PLAN.subject_alt_name("internal"), ca)
    path = tmp_path / "server.pem"
    path.write_bytes(server.pem())
    text = subprocess.run(
        ["openssl", "x509", "-in", str(path), "-noout", "-ext", "subjectAltName"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "SRVName::_xmpp-client.example.org" in text
    assert "SRVName::_xmpp-server.upload.example.org" in text
    assert "XmppAddr::example.org" in text
    assert "DNS:xn--bcher-kva.example" in text


def test_long_srv_id_uses_long_form_length():
    srv_id = "_xmpp-server." + ".".join(["a" * 60, "b" * 60, "c" * 20]) + ".example"
    entry = san_srv_id(srv_id)
    assert entry.startswith("otherName:1.3.6.1.5.5.7.8.7;16:81:a3:")
    parsed = cryptography_get_name(entry)
    assert parsed.value == b"\x16\x81\xa3" + srv_id.encode()
    ca = issue("Lab CA", ca=True)
    server = sign_like_ownca(["DNS:example.org", entry], ca)
    assert names_from_certificate(server.cert).srv_ids == (srv_id,)


def test_empty_subject_with_non_critical_san_is_caught_by_the_check():
    """What openssl_csr makes without common_name and with subject_alt_name_critical false."""
    ca = issue("Lab CA", ca=True)
    server = sign_like_ownca(PLAN.subject_alt_name("public"), ca, common_name=None)
    report = check_import(
        Source("certificate", content=server.pem()),
        ImportPolicy(required=PLAN.names("public"), trust_anchors=(ca.cert,)),
        now=NOW,
    )
    assert [p.code for p in report.problems] == ["chain-untrusted"]
    assert "subjectAltName MUST be critical" in report.problems[0].message
