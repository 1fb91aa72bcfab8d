"""Denial-of-existence checks on hand-built NSEC and NSEC3 records (no signatures involved)."""

from __future__ import annotations

import base64

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdatatype
import dns.rrset
import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import _denies

ZONE = "n3.test."
NAMES = [ZONE, f"ns.{ZONE}", f"xmpp.{ZONE}"]
TYPES = {
    ZONE: "SOA NS DNSKEY NSEC3PARAM RRSIG",
    f"ns.{ZONE}": "A RRSIG",
    f"xmpp.{ZONE}": "A AAAA RRSIG",
}


def nsec3_chain() -> dict[str, dns.rrset.RRset]:
    hashed = sorted((dns.dnssec.nsec3_hash(n, b"", 0, 1), n) for n in NAMES)
    chain = {}
    for i, (h, name) in enumerate(hashed):
        nxt = hashed[(i + 1) % len(hashed)][0]
        owner = dns.name.from_text(f"{h.lower()}.{ZONE}")
        rd = dns.rdata.from_text("IN", "NSEC3", f"1 0 0 - {nxt} {TYPES[name]}")
        chain[name] = dns.rrset.from_rdata(owner, 300, rd)
    return chain


def hash_of(name: str) -> str:
    return dns.dnssec.nsec3_hash(name, b"", 0, 1)


def test_nsec3_nodata() -> None:
    chain = nsec3_chain()
    ns = dns.name.from_text(f"ns.{ZONE}")
    assert _denies(chain[f"ns.{ZONE}"], ns, dns.rdatatype.MX, nxdomain=False) is True
    assert _denies(chain[f"ns.{ZONE}"], ns, dns.rdatatype.A, nxdomain=False) is False
    # A matching NSEC3 never proves that the name does not exist.
    assert _denies(chain[f"ns.{ZONE}"], ns, dns.rdatatype.A, nxdomain=True) is False


def test_nsec3_covering_proves_nxdomain() -> None:
    chain = nsec3_chain()
    missing = dns.name.from_text(f"nothere.{ZONE}")
    h = hash_of(missing)
    covering = [
        rrset for rrset in chain.values() if _denies(rrset, missing, dns.rdatatype.A, nxdomain=True)
    ]
    assert len(covering) == 1  # exactly one link of the chain spans the hash
    owner = covering[0].name.labels[0].decode().upper()
    nxt = base64.b32hexencode(covering[0][0].next).decode().rstrip("=")
    assert (owner < h < nxt) or (nxt < owner and (h > owner or h < nxt))


@pytest.mark.parametrize(
    ("owner", "nxt", "qname", "expected"),
    [
        ("a.z.test.", "c.z.test.", "b.z.test.", True),
        ("a.z.test.", "c.z.test.", "d.z.test.", False),
        ("x.z.test.", "z.test.", "y.z.test.", True),  # the last NSEC wraps to the apex
        ("x.z.test.", "z.test.", "b.z.test.", False),
    ],
)
def test_nsec_nxdomain_cover(owner: str, nxt: str, qname: str, expected: bool) -> None:
    rd = dns.rdata.from_text("IN", "NSEC", f"{nxt} A RRSIG NSEC")
    rrset = dns.rrset.from_rdata(owner, 300, rd)
    assert _denies(rrset, dns.name.from_text(qname), dns.rdatatype.A, nxdomain=True) is expected


def test_nsec_nodata_respects_the_bitmap_and_cname() -> None:
    rd = dns.rdata.from_text("IN", "NSEC", "c.z.test. A RRSIG NSEC")
    rrset = dns.rrset.from_rdata("a.z.test.", 300, rd)
    name = dns.name.from_text("a.z.test.")
    assert _denies(rrset, name, dns.rdatatype.TLSA, nxdomain=False) is True
    assert _denies(rrset, name, dns.rdatatype.A, nxdomain=False) is False
    alias = dns.rrset.from_rdata(
        "a.z.test.", 300, dns.rdata.from_text("IN", "NSEC", "c.z.test. CNAME RRSIG NSEC")
    )
    assert _denies(alias, name, dns.rdatatype.A, nxdomain=False) is False
