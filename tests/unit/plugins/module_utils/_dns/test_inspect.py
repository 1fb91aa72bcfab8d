"""The DNS inspector against a fake authoritative server on 127.0.0.1 serving signed zones."""

from __future__ import annotations

from pathlib import Path

import dns.name
import dns.rdatatype
import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import (
    DnsClient,
    DnsQueryError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import (
    TrustAnchorError,
    load_dnssec_anchors,
    parse_dnssec_anchors,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    DnsInspectError,
    certificate_material,
)
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import Lab, ZoneKey


def service(report, label: str):
    return next(s for s in report.services if s.service == label)


def test_secure_srv_addresses_and_tlsa(lab: Lab) -> None:
    report = lab.inspect("a.lab.test", certificate=lab.cert_pem.decode())
    client = service(report, "_xmpp-client._tcp")
    assert client.status == "records"
    assert client.fallback is False
    assert client.dnssec.status == "secure"
    assert client.dnssec.signer == "lab.test."
    assert [(t.priority, t.port, t.target) for t in client.targets] == [
        (5, 5222, "xmpp.a.lab.test."),
        (10, 5322, "xmpp2.a.lab.test."),
    ]
    first = client.targets[0]
    assert first.addresses.a == ("127.0.0.21",)
    assert first.addresses.aaaa == ("::1",)
    assert first.addresses.cname is None
    assert first.addresses.dnssec.status == "secure"
    assert first.tlsa.name == "_5222._tcp.xmpp.a.lab.test."
    assert len(first.tlsa.records) == 2
    assert first.tlsa.usable is True
    assert first.tlsa.matched == f"3 1 1 {lab.spki}"
    assert {m.record.data: m.matched for m in first.tlsa.matches} == {
        "00" * 32: False,
        lab.spki: True,
    }
    # No TLSA at the second target: a signed denial, still secure.
    second = client.targets[1]
    assert second.tlsa.records == ()
    assert second.tlsa.dnssec.status == "secure"
    assert report.tlsa_matched is True
    assert report.dnssec == "secure"
    assert report.findings == ()
    as_dict = report.as_dict()
    assert (
        as_dict["services"]["_xmpp-client._tcp"]["targets"][0]["tlsa"]["matched"]
        == f"3 1 1 {lab.spki}"
    )


def test_tlsa_matching_from_the_hash_alone(lab: Lab) -> None:
    report = lab.inspect("a.lab.test", certificate=lab.spki.upper())
    assert report.tlsa_matched is True
    other = lab.inspect("a.lab.test", certificate="ab" * 32)
    assert other.tlsa_matched is False
    assert service(other, "_xmpp-client._tcp").targets[0].tlsa.matched is None


def test_dot_target_means_no_service(lab: Lab) -> None:
    report = lab.inspect("a.lab.test")
    direct = service(report, "_xmpps-client._tcp")
    assert direct.status == "no-service"
    assert direct.targets == ()
    assert direct.dnssec.status == "secure"
    # No _xmpps-server record at all: absent, and no fallback for direct TLS.
    assert service(report, "_xmpps-server._tcp").status == "absent"


def test_no_srv_falls_back_to_the_domain(lab: Lab) -> None:
    report = lab.inspect("b.lab.test")
    client = service(report, "_xmpp-client._tcp")
    assert client.status == "fallback"
    assert client.fallback is True
    assert client.dnssec.status == "secure"  # the NXDOMAIN is proven by a signed NSEC
    assert [(t.target, t.port) for t in client.targets] == [("b.lab.test.", 5222)]
    assert client.targets[0].addresses.a == ("127.0.0.23",)
    assert [(t.target, t.port) for t in service(report, "_xmpp-server._tcp").targets] == [
        ("b.lab.test.", 5269)
    ]
    assert any(f.startswith("no-srv:") for f in report.findings)


def test_srv_target_that_is_a_cname_is_flagged(lab: Lab) -> None:
    report = lab.inspect("c.lab.test")
    target = service(report, "_xmpp-client._tcp").targets[0]
    assert target.addresses.cname == "real.c.lab.test."
    assert target.addresses.a == ("127.0.0.24",)
    assert target.addresses.dnssec.status == "secure"
    assert any(
        f.startswith("srv-target-cname:") and "alias.c.lab.test." in f for f in report.findings
    )


def test_corrupted_rrsig_is_bogus(lab: Lab) -> None:
    report = lab.inspect("bogus.lab.test")
    client = service(report, "_xmpp-client._tcp")
    assert client.dnssec.status == "bogus"
    assert report.dnssec == "bogus"
    assert "signature check failed" in client.dnssec.reason
    assert any(f.startswith("dnssec-bogus:") for f in report.findings)
    # Only the broken record set is bogus; its target's addresses are signed correctly.
    assert client.targets[0].addresses.dnssec.status == "secure"
    # The records are still reported, so an operator sees what is being served.
    assert client.targets[0].target == "xmpp.bogus.lab.test."


def test_servfail_is_bogus(lab: Lab) -> None:
    report = lab.inspect("servfail.lab.test")
    client = service(report, "_xmpp-client._tcp")
    assert client.dnssec.status == "bogus"
    assert "SERVFAIL" in client.dnssec.reason


def test_signed_child_zone_through_ds(lab: Lab) -> None:
    report = lab.inspect("sub.lab.test")
    client = service(report, "_xmpp-client._tcp")
    assert client.dnssec.status == "secure"
    assert client.dnssec.signer == "sub.lab.test."
    assert client.targets[0].addresses.dnssec.status == "secure"


def test_unsigned_child_zone_is_insecure(lab: Lab) -> None:
    report = lab.inspect("insecure.lab.test")
    client = service(report, "_xmpp-client._tcp")
    assert client.targets[0].addresses.a == ("127.0.0.41",)
    assert client.dnssec.status == "insecure"
    assert client.targets[0].addresses.dnssec.status == "insecure"
    assert report.dnssec == "insecure"


def test_wrong_anchor_makes_everything_bogus(lab: Lab, tmp_path: Path) -> None:
    wrong = tmp_path / "anchor"
    wrong.write_text(ZoneKey.new().anchor_line("lab.test."))
    report = lab.inspect("a.lab.test", trust_anchor=str(wrong))
    assert service(report, "_xmpp-client._tcp").dnssec.status == "bogus"


def test_ds_anchor_works_like_a_dnskey_anchor(lab: Lab, tmp_path: Path) -> None:
    key_line = lab.anchor.read_text().splitlines()[-1]
    dnskey = parse_dnssec_anchors(key_line)[dns.name.from_text("lab.test.")][0][0]
    ds = dns.dnssec.make_ds("lab.test.", dnskey, "SHA256")
    anchor = tmp_path / "ds"
    anchor.write_text(f"lab.test. 3600 IN DS {ds.to_text()}\n")
    report = lab.inspect("a.lab.test", trust_anchor=str(anchor))
    assert service(report, "_xmpp-client._tcp").dnssec.status == "secure"


def test_root_anchor_by_default_is_indeterminate_for_the_lab(lab: Lab) -> None:
    # lab.test is not delegated from the root, so the built-in root anchors cannot reach it.
    report = lab.inspect("a.lab.test", trust_anchor=None)
    client = service(report, "_xmpp-client._tcp")
    assert client.dnssec.status == "indeterminate"
    assert "no chain of trust" in client.dnssec.reason
    anchors = load_dnssec_anchors(None)
    tags = sorted(rd.key_tag for rd in anchors[dns.name.root][0])
    assert tags == [20326, 38696]


def test_truncated_udp_falls_back_to_tcp(lab: Lab) -> None:
    report = lab.inspect("big.lab.test")
    client = service(report, "_xmpp-client._tcp")
    assert client.status == "records"
    assert client.targets[0].target == "xmpp.big.lab.test."
    assert client.dnssec.status == "secure"
    assert lab.server.count("tcp", "_xmpp-client._tcp.big.lab.test.", "SRV") >= 1
    assert report.queries["tcp"] >= 1


def test_one_lost_packet_is_survived(lab: Lab) -> None:
    lab.server.drop[("_xmpp-client._tcp.lossy.lab.test.", "SRV")] = 1
    report = lab.inspect("lossy.lab.test")
    client = service(report, "_xmpp-client._tcp")
    assert client.status == "records"
    assert client.targets[0].addresses.a == ("127.0.0.27",)
    assert report.queries["timeouts"] == 1
    assert lab.server.count("udp", "_xmpp-client._tcp.lossy.lab.test.", "SRV") == 2


def test_silent_server_is_an_error_not_a_hang(lab: Lab) -> None:
    client = DnsClient(["127.0.0.1"], port=lab.server.port, timeout=0.1, tries=2)
    lab.server.drop[("silent.lab.test.", "A")] = 5
    with pytest.raises(DnsQueryError, match="timeout"):
        client.query("silent.lab.test.", "A")
    assert client.stats().timeouts == 2


def test_bad_inputs(lab: Lab, tmp_path: Path) -> None:
    with pytest.raises(DnsInspectError):
        lab.inspect("a.lab.test", trust_anchor=str(tmp_path / "missing"))
    empty = tmp_path / "empty"
    empty.write_text("; nothing\n")
    with pytest.raises(TrustAnchorError):
        load_dnssec_anchors(str(empty))
    with pytest.raises(DnsInspectError):
        certificate_material("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
    with pytest.raises(DnsInspectError):
        certificate_material(str(tmp_path / "nope.pem"))
    pem = tmp_path / "cert.pem"
    pem.write_bytes(lab.cert_pem)
    assert len(certificate_material(str(pem)).chain_der) == 1
    assert certificate_material(None) is None


def test_validator_nodata_is_secure(lab: Lab) -> None:
    validator = lab.validator()
    name = dns.name.from_text("xmpp.a.lab.test.")
    reply = validator.client.query(name, "MX")
    assert validator.answer(reply, name, dns.rdatatype.MX).status == "secure"
