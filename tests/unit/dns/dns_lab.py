"""The fake DNS lab: zones, faults and helpers shared by the inspector and module tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fake_dns import FakeDns, ZoneKey, corrupt_signature, make_zone

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import DnsClient
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import (
    Validator,
    load_dnssec_anchors,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import inspect_domain


def make_cert() -> tuple[bytes, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xmpp.a.lab.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return cert.public_bytes(serialization.Encoding.PEM), hashlib.sha256(spki).hexdigest()


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
