"""Every import check against certificates built by cryptography (no fixtures on disk)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.import_check import (
    ImportPolicy,
    Source,
    check_import,
    load_ca_certificates,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.names import (
    required_names,
)
from ansible_collections.xmpp.encryption.tests.unit.support.pki import (
    NOW,
    issue,
    make_key,
    make_pki,
    srv_name,
    xmpp_addr,
)

REQUIRED = required_names(dns_ids=["example.org", "conference.example.org"])


def src(label: str, data: bytes) -> Source:
    return Source(label=label, content=data)


def run(pki, *, cert=None, chain=None, key=None, anchors=True, required=REQUIRED, **policy):
    anchor_certs = (pki.root.cert,) if anchors else None
    return check_import(
        src("certificate", cert if cert is not None else pki.leaf.pem()),
        ImportPolicy(required=required, trust_anchors=anchor_certs, **policy),
        chain=src("chain", chain if chain is not None else pki.intermediate.pem()),
        private_key=src("private_key", key if key is not None else pki.leaf.key_pem()),
        now=NOW,
    )


def codes(report) -> list[str]:
    return [p.code for p in report.problems]


def test_good_import_is_valid_and_reports_facts():
    pki = make_pki()
    report = run(pki)
    assert codes(report) == []
    assert report.valid
    assert report.trusted is True
    assert report.names.dns_ids == ("example.org", "conference.example.org")
    assert report.days_left in (89, 90)
    der = pki.leaf.cert.public_bytes(serialization.Encoding.DER)
    assert report.fingerprint == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert report.key is not None
    assert report.key.kind == "ecdsa"
    assert report.chain == ("CN=example.org", "CN=Test Intermediate")


def test_fullchain_in_one_file_is_valid():
    pki = make_pki()
    report = run(pki, cert=pki.leaf.pem() + pki.intermediate.pem(), chain=b"")
    # An empty chain file is unreadable, so use no chain source at all instead.
    assert "chain-unreadable" in codes(report)
    report = check_import(
        src("certificate", pki.leaf.pem() + pki.intermediate.pem()),
        ImportPolicy(required=REQUIRED, trust_anchors=(pki.root.cert,)),
        private_key=src("key", pki.leaf.key_pem()),
        now=NOW,
    )
    assert report.valid, report.problems


@pytest.mark.parametrize(("kind", "size"), [("ec", 256), ("rsa", 2048), ("ed25519", 0)])
def test_key_match_and_mismatch_for_each_key_type(kind, size):
    accepted = ("rsa", "ecdsa", "ed25519")
    pki = make_pki(key=make_key(kind, size))
    assert run(pki, accepted_key_types=accepted).valid
    other = make_key(kind, size)
    other_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    report = run(pki, key=other_pem, accepted_key_types=accepted)
    assert codes(report) == ["key-mismatch"]


def test_encrypted_key_needs_its_passphrase_and_is_never_echoed():
    pki = make_pki()
    locked = pki.leaf.key_pem(passphrase=b"s3cret")
    policy = ImportPolicy(required=REQUIRED)
    cert = src("certificate", pki.leaf.pem() + pki.intermediate.pem())
    wrong = check_import(cert, policy, private_key=src("key", locked), now=NOW)
    assert codes(wrong) == ["key-unreadable"]
    right = check_import(
        cert, policy, private_key=src("key", locked), passphrase=b"s3cret", now=NOW
    )
    assert right.valid
    plain_body = pki.leaf.key_pem().decode().splitlines()[1]
    dumped = json.dumps(wrong.as_dict()) + json.dumps(right.as_dict())
    assert plain_body not in dumped
    assert locked.decode().splitlines()[2] not in dumped
    assert "s3cret" not in dumped


def test_missing_intermediate_with_trust_anchor():
    pki = make_pki()
    report = run(pki, chain=pki.root.pem())
    # The chain holds only the root: the intermediate between leaf and root is missing.
    assert codes(report) == ["chain-incomplete"]
    assert "CN=Test Intermediate" in report.problems[0].message
    assert report.trusted is True  # it does end at the anchor, but a link is missing


def test_leaf_alone_ends_below_no_anchor():
    pki = make_pki()
    report = check_import(
        src("certificate", pki.leaf.pem()),
        ImportPolicy(required=REQUIRED, trust_anchors=(pki.root.cert,)),
        now=NOW,
    )
    assert codes(report) == ["chain-incomplete"]
    assert report.trusted is False
    # Without ca_path nothing can say whether a leaf alone is complete.
    unknown = check_import(
        src("certificate", pki.leaf.pem()), ImportPolicy(required=REQUIRED), now=NOW
    )
    assert unknown.valid
    assert unknown.trusted is None


def test_chain_ending_with_root_is_accepted_when_root_is_an_anchor():
    pki = make_pki()
    assert run(pki, chain=pki.intermediate.pem() + pki.root.pem()).valid


def test_misordered_chain():
    pki = make_pki()
    report = run(pki, chain=pki.root.pem() + pki.intermediate.pem())
    assert "chain-order" in codes(report)
    first = next(p for p in report.problems if p.code == "chain-order")
    assert "certificate 3 (CN=Test Intermediate)" in first.message


def test_ca_first_is_misordered():
    pki = make_pki()
    report = run(pki, cert=pki.intermediate.pem() + pki.leaf.pem(), chain=pki.root.pem())
    assert "chain-order" in codes(report)
    assert "key-mismatch" in codes(report)


def test_chain_from_another_root_is_not_trusted():
    pki = make_pki()
    stranger = make_pki()
    report = run(pki, chain=stranger.intermediate.pem())
    assert "chain-incomplete" in codes(report)


def test_root_that_is_not_an_anchor():
    pki = make_pki()
    stranger = make_pki()
    report = check_import(
        src("certificate", pki.leaf.pem() + pki.intermediate.pem() + pki.root.pem()),
        ImportPolicy(required=REQUIRED, trust_anchors=(stranger.root.cert,)),
        now=NOW,
    )
    assert codes(report) == ["chain-untrusted"]


def test_signature_that_does_not_verify():
    pki = make_pki()
    impostor = issue("Test Intermediate", issuer=pki.root, ca=True)  # same name, other key
    report = run(pki, chain=impostor.pem())
    assert codes(report)[0] == "chain-signature"


def test_intermediate_that_is_not_a_ca():
    root = issue("Test Root", ca=True)
    not_ca = issue("Not A CA", issuer=root, dns=("x.example.org",))
    leaf = issue("example.org", issuer=not_ca, dns=("example.org", "conference.example.org"))
    report = check_import(
        src("certificate", leaf.pem() + not_ca.pem()),
        ImportPolicy(required=REQUIRED, trust_anchors=(root.cert,)),
        now=NOW,
    )
    assert codes(report) == ["chain-not-ca"]


def test_path_validation_catches_what_links_do_not():
    root = issue("Test Root", ca=True, path_length=0)
    inter = issue("Test Intermediate", issuer=root, ca=True)
    leaf = issue("example.org", issuer=inter, dns=("example.org", "conference.example.org"))
    report = check_import(
        src("certificate", leaf.pem() + inter.pem()),
        ImportPolicy(required=REQUIRED, trust_anchors=(root.cert,)),
        now=NOW,
    )
    assert codes(report) == ["chain-untrusted"]
    assert report.trusted is False


@pytest.mark.parametrize(
    ("not_before", "not_after", "expected"),
    [
        (-100, -1, ["expired"]),
        (1, 90, ["not-yet-valid"]),
        (-1, 10, ["expires-soon"]),
        (-1, 31, []),
    ],
)
def test_validity_period(not_before, not_after, expected):
    pki = make_pki(
        not_before=NOW + timedelta(days=not_before), not_after=NOW + timedelta(days=not_after)
    )
    assert codes(run(pki, min_days=30)) == expected


def test_expired_intermediate():
    root = issue("Test Root", ca=True)
    inter = issue("Old Intermediate", issuer=root, ca=True, not_after=NOW - timedelta(days=1))
    leaf = issue("example.org", issuer=inter, dns=("example.org", "conference.example.org"))
    report = check_import(
        src("certificate", leaf.pem() + inter.pem()),
        ImportPolicy(required=REQUIRED, trust_anchors=(root.cert,)),
        now=NOW,
    )
    assert codes(report) == ["chain-expired"]


def test_names_not_covered():
    pki = make_pki()
    required = required_names(dns_ids=["example.org", "upload.example.org", "Example.ORG."])
    report = run(pki, required=required)
    assert codes(report) == ["names-missing"]
    assert report.missing_names == ("DNS-ID:upload.example.org",)
    assert report.extra_names == ("DNS-ID:conference.example.org",)
    assert "upload.example.org" in report.problems[0].message


def test_wildcard_coverage():
    pki = make_pki(dns=("example.org", "*.example.org"))
    covered = required_names(
        dns_ids=["example.org", "conference.example.org", "upload.example.org"]
    )
    assert run(pki, required=covered).valid
    deep = required_names(dns_ids=["muc.chat.example.org"])
    assert run(pki, required=deep).missing_names == ("DNS-ID:muc.chat.example.org",)
    only_wildcard = make_pki(dns=("*.example.org",))
    bare = required_names(dns_ids=["example.org"])
    assert run(only_wildcard, required=bare).missing_names == ("DNS-ID:example.org",)


def test_partial_wildcard_covers_nothing():
    pki = make_pki(dns=("c*.example.org",))
    report = run(pki, required=required_names(dns_ids=["conference.example.org"]))
    assert report.missing_names == ("DNS-ID:conference.example.org",)


def test_srv_id_and_xmpp_addr_coverage():
    others = (
        srv_name("_xmpp-client.example.org"),
        srv_name("_xmpp-server.example.org"),
        xmpp_addr("example.org"),
    )
    pki = make_pki(sans=others)
    required = required_names(
        dns_ids=["example.org"],
        srv_ids=[
            "_xmpp-client.example.org",
            "_xmpp-server.example.org",
            "_xmpp-server.conference.example.org",
        ],
        xmpp_addrs=["example.org"],
    )
    report = run(pki, required=required)
    assert report.names.srv_ids == ("_xmpp-client.example.org", "_xmpp-server.example.org")
    assert report.names.xmpp_addrs == ("example.org",)
    assert report.missing_names == ("SRV-ID:_xmpp-server.conference.example.org",)


def test_idn_xmpp_addr_in_u_labels_matches_a_label_requirement():
    pki = make_pki(dns=("xn--bcher-kva.example",), sans=(xmpp_addr("bücher.example"),))
    required = required_names(dns_ids=["bücher.example"], xmpp_addrs=["xn--bcher-kva.example"])
    assert run(pki, required=required).valid


@pytest.mark.parametrize(
    ("kind", "size", "accepted", "expected"),
    [
        ("rsa", 1024, ("rsa", "ecdsa"), ["key-type"]),
        ("rsa", 2048, ("rsa", "ecdsa"), []),
        ("ec", 384, ("rsa", "ecdsa"), []),
        ("ed25519", 0, ("rsa", "ecdsa"), ["key-type"]),
        ("ec", 256, ("rsa",), ["key-type"]),
    ],
)
def test_key_type_policy(kind, size, accepted, expected):
    pki = make_pki(key=make_key(kind, size))
    assert codes(run(pki, accepted_key_types=accepted)) == expected


def test_eku_without_server_auth_and_advisory_without_client_auth():
    pki = make_pki(eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    assert codes(run(pki)) == ["eku"]
    server_only = make_pki(eku=(ExtendedKeyUsageOID.SERVER_AUTH,))
    report = run(server_only)
    assert report.valid
    assert [w.code for w in report.advisories] == ["no-client-auth"]


def test_unreadable_inputs_are_problems_not_crashes(tmp_path):
    pki = make_pki()
    report = check_import(
        Source("certificate", path=str(tmp_path / "absent.pem")),
        ImportPolicy(required=REQUIRED),
        private_key=src("key", b"garbage"),
        now=NOW,
    )
    assert codes(report) == ["cert-unreadable"]
    report = run(pki, key=b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    assert codes(report) == ["key-unreadable"]
    report = run(pki, cert=b"not pem")
    assert codes(report)[0] == "cert-unreadable"


def test_every_problem_is_listed_at_once():
    pki = make_pki(not_after=NOW - timedelta(days=1), not_before=NOW - timedelta(days=30))
    other = make_key()
    other_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    required = required_names(dns_ids=["upload.example.org"])
    report = run(pki, chain=pki.root.pem(), key=other_pem, required=required)
    assert set(codes(report)) == {"key-mismatch", "chain-incomplete", "expired", "names-missing"}


def test_trust_anchors_from_file_and_directory(tmp_path):
    pki = make_pki()
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(make_pki().root.pem() + pki.root.pem())
    assert len(load_ca_certificates(str(bundle))) == 2
    folder = tmp_path / "cas"
    folder.mkdir()
    (folder / "a.crt").write_bytes(pki.root.pem())
    (folder / "notes.txt").write_text("ignored")
    anchors = load_ca_certificates(str(folder))
    assert [a.subject for a in anchors] == [pki.root.cert.subject]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no certificate"):
        load_ca_certificates(str(empty))
