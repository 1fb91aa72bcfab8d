"""Checks the smoke scenario runs from the controller against the lab's published ports.

Each subcommand prints one JSON object and exits 0; the playbook decides pass or fail from
the facts, so every check can fail there with a readable message.
  stream ADDR PORT DOMAIN NAMESPACE TLS(none|direct) CAFILE   (CAFILE "-": do not verify)
  dnssec ADDR PORT ANCHOR_FILE NAME TYPE
  update ADDR PORT ZONE TSIG_NAME TSIG_ALGORITHM TSIG_SECRET
  acme DIRECTORY_URL CAFILE
  acme-validate DIRECTORY_URL CAFILE HTTP_DOMAIN CONTAINER WEBROOT DNS_DOMAIN DNS_ADDR
                TSIG_NAME TSIG_ALGORITHM TSIG_SECRET
      a real ACME exchange with Pebble: HTTP-01 for HTTP_DOMAIN (the token is written into
      CONTAINER's WEBROOT with docker exec) and DNS-01 for DNS_DOMAIN (TXT by TSIG update).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import dns.dnssec
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsigkeyring
import dns.update
import dns.zonefile
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HEADER = re.compile(rb"<stream:stream\b[^>]*>")
READ_LIMIT = 65536
DEADLINE = 5.0


def stream(
    addr: str, port: str, domain: str, namespace: str, tls: str, cafile: str
) -> dict[str, Any]:
    """Open a stream and read until the server's stream header is complete."""
    sock: socket.socket = socket.create_connection((addr, int(port)), timeout=DEADLINE)
    try:
        if tls == "direct":
            ctx = ssl.create_default_context(cafile=None if cafile == "-" else cafile)
            if cafile == "-":  # a self-signed lab host: read its header all the same
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname=domain)
        sock.sendall(
            f"<?xml version='1.0'?><stream:stream to='{domain}' xmlns='{namespace}' "
            "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>".encode()
        )
        data = b""
        end = time.monotonic() + DEADLINE
        while not HEADER.search(data) and len(data) < READ_LIMIT and time.monotonic() < end:
            sock.settimeout(max(0.1, end - time.monotonic()))
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    match = HEADER.search(data)
    header = match.group(0).decode(errors="replace") if match else ""
    return {
        "header": header,
        "namespace_ok": f"xmlns='{namespace}'" in header or f'xmlns="{namespace}"' in header,
        "from_ok": f"from='{domain}'" in header or f'from="{domain}"' in header,
        "stream_error": b"<stream:error" in data,
    }


class Chain:
    """Walks a DNSSEC chain from an answer's signer up to the lab's trust anchor."""

    def __init__(self, addr: str, port: int, anchor: dns.rrset.RRset) -> None:
        self.addr, self.port, self.anchor = addr, port, anchor

    def query(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> tuple[dns.rrset.RRset, dns.rrset.RRset]:
        msg = dns.message.make_query(name, rdtype, want_dnssec=True)
        resp = dns.query.tcp(msg, self.addr, port=self.port, timeout=DEADLINE)
        if resp.rcode() != dns.rcode.NOERROR:
            raise dns.dnssec.ValidationFailure(
                f"{name} {rdtype.name}: {dns.rcode.to_text(resp.rcode())}"
            )
        rrset = resp.find_rrset(resp.answer, name, dns.rdataclass.IN, rdtype)
        sigs = resp.find_rrset(resp.answer, name, dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
        return rrset, sigs

    def keys(self, zone: dns.name.Name) -> dns.rrset.RRset:
        dnskey, sigs = self.query(zone, dns.rdatatype.DNSKEY)
        if zone == self.anchor.name:
            dns.dnssec.validate(dnskey, sigs, {zone: self.anchor})
            return dnskey
        ds = self.validated(zone, dns.rdatatype.DS)
        digests = {(d.key_tag, d.digest) for d in ds}
        if not any(
            (dns.dnssec.key_id(k), dns.dnssec.make_ds(zone, k, d.digest_type).digest) in digests
            for k in dnskey
            for d in ds
        ):
            raise dns.dnssec.ValidationFailure(f"no DNSKEY of {zone} matches its DS")
        dns.dnssec.validate(dnskey, sigs, {zone: dnskey})
        return dnskey

    def validated(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.rrset.RRset:
        rrset, sigs = self.query(name, rdtype)
        signer = sigs[0].signer
        dns.dnssec.validate(rrset, sigs, {signer: self.keys(signer)})
        return rrset


def dnssec(addr: str, port: str, anchor_file: str, name: str, rdtype: str) -> dict[str, Any]:
    with open(anchor_file, encoding="ascii") as handle:
        (anchor,) = dns.zonefile.read_rrsets(handle.read(), rdclass=None)
    chain = Chain(addr, int(port), anchor)
    try:
        rrset = chain.validated(dns.name.from_text(name), dns.rdatatype.from_text(rdtype))
    except (dns.dnssec.ValidationFailure, KeyError) as exc:
        return {"validated": False, "reason": str(exc) or type(exc).__name__, "records": []}
    return {"validated": True, "reason": "", "records": sorted(r.to_text() for r in rrset)}


def _txt(addr: str, port: int, name: dns.name.Name, expect: bool) -> list[str]:
    """TXT data at NAME; polls briefly because BIND signs an update before it serves it."""
    end = time.monotonic() + 3.0
    while True:
        resp = dns.query.tcp(dns.message.make_query(name, "TXT"), addr, port=port, timeout=DEADLINE)
        found = [
            r.to_text() for rrset in resp.answer for r in rrset if rrset.rdtype == dns.rdatatype.TXT
        ]
        if bool(found) == expect or time.monotonic() > end:
            return found
        time.sleep(0.1)


def update(
    addr: str, port: str, zone: str, key_name: str, algorithm: str, secret: str
) -> dict[str, Any]:
    """A TSIG-signed update is applied; the same update unsigned is refused and leaves nothing."""
    nport = int(port)
    keyring = dns.tsigkeyring.from_text({key_name: (algorithm, secret)})
    token = secrets.token_hex(6)
    signed_name = dns.name.from_text(f"_smoke-signed-{token}.{zone}")
    unsigned_name = dns.name.from_text(f"_smoke-unsigned-{token}.{zone}")

    signed = dns.update.UpdateMessage(
        zone, keyring=keyring, keyname=key_name, keyalgorithm=algorithm
    )
    signed.add(signed_name, 60, "TXT", f'"{token}"')
    signed_rcode = dns.query.tcp(signed, addr, port=nport, timeout=DEADLINE).rcode()
    signed_seen = _txt(addr, nport, signed_name, expect=True)

    cleanup = dns.update.UpdateMessage(
        zone, keyring=keyring, keyname=key_name, keyalgorithm=algorithm
    )
    cleanup.delete(signed_name)
    cleanup_rcode = dns.query.tcp(cleanup, addr, port=nport, timeout=DEADLINE).rcode()

    unsigned = dns.update.UpdateMessage(zone)
    unsigned.add(unsigned_name, 60, "TXT", f'"{token}"')
    unsigned_rcode = dns.query.tcp(unsigned, addr, port=nport, timeout=DEADLINE).rcode()
    unsigned_seen = _txt(addr, nport, unsigned_name, expect=True)
    return {
        "signed_rcode": dns.rcode.to_text(signed_rcode),
        "signed_visible": f'"{token}"' in signed_seen,
        "cleanup_rcode": dns.rcode.to_text(cleanup_rcode),
        "unsigned_rcode": dns.rcode.to_text(unsigned_rcode),
        "unsigned_visible": bool(unsigned_seen),
    }


def acme(url: str, cafile: str) -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=cafile)
    with urllib.request.urlopen(url, context=ctx, timeout=DEADLINE) as resp:
        directory = json.loads(resp.read())
    try:
        with urllib.request.urlopen(url, context=ssl.create_default_context(), timeout=DEADLINE):
            untrusted = "accepted"
    except (ssl.SSLError, OSError) as exc:
        untrusted = f"refused: {type(exc).__name__}"
    return {"keys": sorted(directory), "without_minica": untrusted}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Acme:
    """Just enough RFC 8555 to have Pebble validate challenges: ES256 account, JWS POSTs."""

    def __init__(self, directory_url: str, cafile: str) -> None:
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.dir = self._get(directory_url)
        self.key = ec.generate_private_key(ec.SECP256R1())
        nums = self.key.public_key().public_numbers()
        self.jwk = {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64(nums.x.to_bytes(32, "big")),
            "y": _b64(nums.y.to_bytes(32, "big")),
        }
        canonical = json.dumps(self.jwk, sort_keys=True, separators=(",", ":")).encode()
        self.thumbprint = _b64(hashlib.sha256(canonical).digest())
        self.kid = ""
        self.nonce = ""

    def _get(self, url: str) -> dict[str, Any]:
        with urllib.request.urlopen(url, context=self.ctx, timeout=DEADLINE) as resp:
            return json.loads(resp.read())

    def _new_nonce(self) -> str:
        req = urllib.request.Request(self.dir["newNonce"], method="HEAD")
        with urllib.request.urlopen(req, context=self.ctx, timeout=DEADLINE) as resp:
            return resp.headers["Replay-Nonce"]

    def post(self, url: str, payload: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        protected: dict[str, Any] = {"alg": "ES256", "nonce": self.nonce or self._new_nonce()}
        protected["url"] = url
        if self.kid:
            protected["kid"] = self.kid
        else:
            protected["jwk"] = self.jwk
        body64 = "" if payload is None else _b64(json.dumps(payload).encode())
        head64 = _b64(json.dumps(protected).encode())
        der = self.key.sign(f"{head64}.{body64}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s_ = decode_dss_signature(der)
        jws = {
            "protected": head64,
            "payload": body64,
            "signature": _b64(r.to_bytes(32, "big") + s_.to_bytes(32, "big")),
        }
        req = urllib.request.Request(
            url, data=json.dumps(jws).encode(), headers={"Content-Type": "application/jose+json"}
        )
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=DEADLINE) as resp:
                self.nonce = resp.headers.get("Replay-Nonce", "")
                raw = resp.read()
                return (json.loads(raw) if raw else {}), resp.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            self.nonce = exc.headers.get("Replay-Nonce", "")
            raise ValueError(
                f"ACME {url}: {exc.code} {exc.read().decode(errors='replace')}"
            ) from exc

    def account(self) -> None:
        _account, self.kid = self.post(self.dir["newAccount"], {"termsOfServiceAgreed": True})

    def challenge(self, domain: str, kind: str) -> tuple[str, dict[str, Any]]:
        order, _order_url = self.post(
            self.dir["newOrder"], {"identifiers": [{"type": "dns", "value": domain}]}
        )
        authz_url = order["authorizations"][0]
        authz, _location = self.post(authz_url, None)
        (chal,) = [c for c in authz["challenges"] if c["type"] == kind]
        return authz_url, chal

    def validate(self, authz_url: str, chal: dict[str, Any]) -> str:
        self.post(chal["url"], {})
        end = time.monotonic() + 20
        while time.monotonic() < end:
            authz, _location = self.post(authz_url, None)
            if authz["status"] != "pending":
                detail = [c.get("error", {}).get("detail", "") for c in authz["challenges"]]
                return authz["status"] + "".join(f" ({d})" for d in detail if d)
            time.sleep(0.5)
        return "timeout"


def acme_validate(
    url: str,
    cafile: str,
    http_domain: str,
    container: str,
    webroot: str,
    dns_domain: str,
    dns_addr: str,
    key_name: str,
    algorithm: str,
    secret: str,
) -> dict[str, Any]:
    client = Acme(url, cafile)
    client.account()

    authz_url, chal = client.challenge(http_domain, "http-01")
    token = chal["token"]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", token):  # it becomes a file name in the container
        raise ValueError(f"unexpected ACME token {token!r}")
    path = f"{webroot}/.well-known/acme-challenge/{token}"
    keyauth = f"{token}.{client.thumbprint}"
    docker = ["docker", "exec", "-i", container]
    # argv without a shell, to the lab's own container
    subprocess.run(
        [*docker, "tee", path], input=keyauth.encode(), stdout=subprocess.DEVNULL, check=True
    )
    try:
        http_status = client.validate(authz_url, chal)
    finally:
        subprocess.run([*docker, "rm", "-f", path], check=False)

    authz_url, chal = client.challenge(dns_domain, "dns-01")
    digest = _b64(hashlib.sha256(f"{chal['token']}.{client.thumbprint}".encode()).digest())
    zone = dns_domain.split(".", 1)[1]
    keyring = dns.tsigkeyring.from_text({key_name: (algorithm, secret)})
    name = f"_acme-challenge.{dns_domain}."
    upd = dns.update.UpdateMessage(zone, keyring=keyring, keyname=key_name, keyalgorithm=algorithm)
    upd.replace(name, 60, "TXT", f'"{digest}"')
    dns.query.tcp(upd, dns_addr, timeout=DEADLINE)
    _txt(dns_addr, 53, dns.name.from_text(name), expect=True)
    try:
        dns_status = client.validate(authz_url, chal)
    finally:
        upd = dns.update.UpdateMessage(
            zone, keyring=keyring, keyname=key_name, keyalgorithm=algorithm
        )
        upd.delete(name)
        dns.query.tcp(upd, dns_addr, timeout=DEADLINE)
    return {"http01": http_status, "dns01": dns_status}


COMMANDS = {
    "stream": (stream, 6),
    "dnssec": (dnssec, 5),
    "update": (update, 6),
    "acme": (acme, 2),
    "acme-validate": (acme_validate, 10),
}


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in COMMANDS or len(argv) - 2 != COMMANDS[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    func = COMMANDS[argv[1]][0]
    try:
        result = func(*argv[2:])
    except Exception as exc:  # any failure is a finding for the playbook to assert on
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
