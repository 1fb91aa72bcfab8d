"""A small authoritative DNS server for tests: real sockets on 127.0.0.1, zones signed here.

It answers from dnspython zones (signed with ``dns.dnssec.sign_zone``, which also builds the
NSEC chain) like an authoritative server: data with its RRSIGs, NODATA/NXDOMAIN with SOA and
NSEC, CNAME chains inside the zone, DS from the parent side of a cut. Faults to order:
drop the first N UDP packets for a name, always truncate UDP for a name, SERVFAIL a name.

``build_lab`` serves the zones the inspector and module tests share (a ``Lab``: the server,
its trust anchor file, and a certificate its TLSA records name); ``build_tlsa_zones`` the
TLSA records the TLSA reader and its module read back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import socketserver
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import DnsClient
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import (
    Validator,
    load_dnssec_anchors,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import inspect_domain

from ..pki import issue

IN = dns.rdataclass.IN
NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class ZoneKey:
    private: ec.EllipticCurvePrivateKey
    dnskey: object

    @classmethod
    def new(cls) -> ZoneKey:
        private = ec.generate_private_key(ec.SECP256R1())
        dnskey = dns.dnssec.make_dnskey(
            private.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257
        )
        return cls(private, dnskey)

    def ds(self, origin: str) -> str:
        return dns.dnssec.make_ds(origin, self.dnskey, "SHA256").to_text()

    def anchor_line(self, origin: str) -> str:
        return f"{origin} 3600 IN DNSKEY {self.dnskey.to_text()}\n"


def make_zone(origin: str, body: str, key: ZoneKey | None = None) -> dns.zone.Zone:
    text = (
        f"$TTL 300\n@ SOA ns.{origin} host.{origin} 1 3600 600 86400 300\n@ NS ns.{origin}\n{body}"
    )
    zone = dns.zone.from_text(text, origin=origin, relativize=False)
    if key is not None:
        dns.dnssec.sign_zone(
            zone,
            keys=[(key.private, key.dnskey)],
            inception=NOW - dt.timedelta(hours=1),
            expiration=NOW + dt.timedelta(days=7),
        )
    return zone


def corrupt_signature(zone: dns.zone.Zone, name: str, rdtype: str) -> None:
    """Flip a byte in the RRSIG over (name, rdtype): the data stays, the signature fails."""
    owner = dns.name.from_text(name)
    covers = dns.rdatatype.from_text(rdtype)
    with zone.writer() as txn:
        sigs = txn.get(owner, dns.rdatatype.RRSIG, covers)
        assert sigs is not None, f"no RRSIG over {name} {rdtype}"
        broken = [
            rd.replace(signature=bytes([rd.signature[0] ^ 0xFF]) + rd.signature[1:]) for rd in sigs
        ]
        txn.replace(owner, dns.rdataset.from_rdata_list(sigs.ttl, broken))


class FakeDns:
    """Serves ``zones`` on 127.0.0.1:<random port> over UDP and TCP until ``close``."""

    def __init__(self, zones: list[dns.zone.Zone]) -> None:
        self.zones = {z.origin: z for z in zones}
        self.drop: Counter[tuple[str, str]] = Counter()  # (name, type) -> UDP packets to drop
        self.truncate: set[str] = set()
        self.servfail: set[str] = set()
        self.seen: list[tuple[str, str, str]] = []  # (transport, name, type)
        self._lock = threading.Lock()
        self._start()

    # ------------------------------------------------------------ sockets

    def _start(self) -> None:
        owner = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = owner.respond(data, "udp")
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn = self.request
                conn.settimeout(2)
                while True:
                    head = _recv_exact(conn, 2)
                    if head is None:
                        return
                    data = _recv_exact(conn, struct.unpack("!H", head)[0])
                    if data is None:
                        return
                    reply = owner.respond(data, "tcp")
                    if reply is not None:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)

        for _attempt in range(20):  # the TCP port must be free too
            udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Udp)
            try:
                tcp = socketserver.ThreadingTCPServer(("127.0.0.1", udp.server_address[1]), Tcp)
            except OSError:
                udp.server_close()
                continue
            break
        else:  # pragma: no cover
            raise RuntimeError("no free port pair")
        udp.daemon_threads = tcp.daemon_threads = True
        self._servers = (udp, tcp)
        self.port = udp.server_address[1]
        for server in self._servers:
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def count(self, transport: str, name: str, rdtype: str) -> int:
        with self._lock:
            return self.seen.count((transport, name.lower(), rdtype))

    # ------------------------------------------------------------ answers

    def respond(self, wire: bytes, transport: str) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        question = query.question[0]
        qname, rdtype = question.name, question.rdtype
        key = (qname.to_text().lower(), dns.rdatatype.to_text(rdtype))
        with self._lock:
            self.seen.append((transport, *key))
            if transport == "udp" and self.drop[key] > 0:
                self.drop[key] -= 1
                return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if qname.to_text().lower() in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        if transport == "udp" and qname.to_text().lower() in self.truncate:
            response.flags |= dns.flags.TC
            return response.to_wire()
        zone = self._zone_for(qname, rdtype)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        self._fill(response, zone, qname, rdtype)
        return response.to_wire()

    def _zone_for(self, qname: dns.name.Name, rdtype: int) -> dns.zone.Zone | None:
        candidates = [o for o in self.zones if qname.is_subdomain(o)]
        if rdtype == dns.rdatatype.DS:  # DS lives on the parent side of the cut
            parents = [o for o in candidates if o != qname]
            candidates = parents or candidates
        if not candidates:
            return None
        return self.zones[max(candidates, key=len)]

    def _add(self, section: list, node: object, name: dns.name.Name, rdtype: int) -> bool:
        rdataset = node.get_rdataset(IN, rdtype)
        if rdataset is None:
            return False
        section.append(dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset)))
        sigs = node.get_rdataset(IN, dns.rdatatype.RRSIG, rdtype)
        if sigs is not None:
            section.append(_sig_rrset(name, sigs, rdtype))
        return True

    def _fill(
        self, response: dns.message.Message, zone: dns.zone.Zone, qname: dns.name.Name, rdtype: int
    ) -> None:
        name = qname
        for _hop in range(8):  # follow CNAMEs inside the zone
            node = zone.get_node(name)
            if node is None:
                response.set_rcode(dns.rcode.NXDOMAIN if name == qname else dns.rcode.NOERROR)
                self._soa(response, zone)
                self._covering_nsec(response, zone, name)
                return
            if self._add(response.answer, node, name, rdtype):
                return
            if rdtype != dns.rdatatype.CNAME and self._add(
                response.answer, node, name, dns.rdatatype.CNAME
            ):
                target = node.get_rdataset(IN, dns.rdatatype.CNAME)[0].target
                if not target.is_subdomain(zone.origin):
                    return
                name = target
                continue
            self._soa(response, zone)
            self._add(response.authority, node, name, dns.rdatatype.NSEC)
            return

    def _soa(self, response: dns.message.Message, zone: dns.zone.Zone) -> None:
        self._add(response.authority, zone.get_node(zone.origin), zone.origin, dns.rdatatype.SOA)

    def _covering_nsec(
        self, response: dns.message.Message, zone: dns.zone.Zone, qname: dns.name.Name
    ) -> None:
        for owner, node in zone.nodes.items():
            nsec = node.get_rdataset(IN, dns.rdatatype.NSEC)
            if nsec is None:
                continue
            nxt = nsec[0].next
            covers = owner < qname < nxt if owner < nxt else (qname > owner or qname < nxt)
            if covers:
                self._add(response.authority, node, owner, dns.rdatatype.NSEC)
                return


def _sig_rrset(name: dns.name.Name, sigs: object, covers: int) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, IN, dns.rdatatype.RRSIG, covers)
    rrset.update(sigs)
    return rrset


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        try:
            chunk = conn.recv(size - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data


def make_cert() -> tuple[bytes, str]:
    """A self-signed certificate for the TLSA records, and its SPKI's SHA-256."""
    cert = issue("xmpp.a.lab.test")
    spki = cert.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return cert.pem(), hashlib.sha256(spki).hexdigest()


@dataclass(frozen=True)
class Lab:
    server: FakeDns
    anchor: Path
    cert_pem: bytes
    spki: str

    def inspect(self, domain: str, **kwargs: object):
        kwargs.setdefault("trust_anchor", str(self.anchor))
        kwargs.setdefault("timeout", 0.3)
        return inspect_domain(domain, nameservers=["127.0.0.1"], port=self.server.port, **kwargs)

    def validator(self) -> Validator:
        client = DnsClient(["127.0.0.1"], port=self.server.port, timeout=0.3)
        return Validator(client, load_dnssec_anchors(str(self.anchor)))


def build_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    cert_pem, spki = make_cert()
    parent_key, child_key = ZoneKey.new(), ZoneKey.new()
    child = make_zone(
        "sub.lab.test.",
        """_xmpp-client._tcp SRV 0 0 5222 xmpp
xmpp A 127.0.0.31
""",
        child_key,
    )
    insecure = make_zone(
        "insecure.lab.test.",
        """_xmpp-client._tcp SRV 0 0 5222 xmpp
xmpp A 127.0.0.41
""",
    )
    parent = make_zone(
        "lab.test.",
        f"""ns A 127.0.0.14
_xmpp-client._tcp.a SRV 5 0 5222 xmpp.a
_xmpp-client._tcp.a SRV 10 0 5322 xmpp2.a
_xmpp-server._tcp.a SRV 5 0 5269 xmpp.a
_xmpps-client._tcp.a SRV 0 0 0 .
xmpp.a A 127.0.0.21
xmpp.a AAAA ::1
xmpp2.a A 127.0.0.22
_5222._tcp.xmpp.a TLSA 3 1 1 {"00" * 32}
_5222._tcp.xmpp.a TLSA 3 1 1 {spki}
b A 127.0.0.23
_xmpp-client._tcp.c SRV 0 0 5222 alias.c
alias.c CNAME real.c
real.c A 127.0.0.24
_xmpp-client._tcp.bogus SRV 0 0 5222 xmpp.bogus
xmpp.bogus A 127.0.0.25
_xmpp-client._tcp.big SRV 0 0 5222 xmpp.big
xmpp.big A 127.0.0.26
_xmpp-client._tcp.lossy SRV 0 0 5222 xmpp.lossy
xmpp.lossy A 127.0.0.27
sub NS ns.sub
sub DS {child_key.ds("sub.lab.test.")}
ns.sub A 127.0.0.14
insecure NS ns.insecure
ns.insecure A 127.0.0.14
""",
        parent_key,
    )
    corrupt_signature(parent, "_xmpp-client._tcp.bogus.lab.test.", "SRV")
    server = FakeDns([parent, child, insecure])
    server.servfail.add("_xmpp-client._tcp.servfail.lab.test.")
    server.truncate.add("_xmpp-client._tcp.big.lab.test.")
    anchor = tmp_path_factory.mktemp("anchor") / "dnssec-trust-anchor"
    anchor.write_text(
        "; written like the lab does (dig output)\n" + parent_key.anchor_line("lab.test.")
    )
    yield Lab(server, anchor, cert_pem, spki)
    server.close()


TLSA_OLD = "ab" * 32  # the record already published at every name of the TLSA zones


def build_tlsa_zones(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeDns, Path]]:
    """TLSA records to read back, and the anchor of ``signed.test``: in that zone a signed
    record at ``_5222._tcp.xmpp``, a forged one (its signature broken) at ``_5269._tcp.xmpp``;
    in ``plain.test`` one that nothing signs."""
    key = ZoneKey.new()
    signed = make_zone(
        "signed.test.",
        f"""_5222._tcp.xmpp TLSA 3 1 1 {TLSA_OLD}
_5269._tcp.xmpp TLSA 3 1 1 {TLSA_OLD}
""",
        key,
    )
    corrupt_signature(signed, "_5269._tcp.xmpp.signed.test.", "TLSA")
    plain = make_zone("plain.test.", f"_5222._tcp.xmpp TLSA 3 1 1 {TLSA_OLD}\n")
    anchor = tmp_path_factory.mktemp("anchor") / "anchor"
    anchor.write_text(key.anchor_line("signed.test."))
    server = FakeDns([signed, plain])
    yield server, anchor
    server.close()
