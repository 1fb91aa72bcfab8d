"""A real TLS server (Python's ssl, so OpenSSL) on 127.0.0.1 with a small test PKI."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The suites the server accepts with TLS 1.2; few, so a full scan stays quick.
TLS12_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"


@dataclass(frozen=True)
class Pki:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path
    leaf_der: bytes


def make_pki(directory: Path, domain: str) -> Pki:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stream Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=20))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pki = Pki(directory / "ca.pem", directory / "cert.pem", directory / "key.pem", b"")
    pki.ca_pem.write_bytes(ca.public_bytes(pem))
    pki.cert_pem.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    pki.key_pem.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Pki(pki.ca_pem, pki.cert_pem, pki.key_pem, leaf.public_bytes(serialization.Encoding.DER))


def server_context(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    ctx.load_cert_chain(pki.cert_pem, pki.key_pem)
    return ctx


def accepted_suites(ctx: ssl.SSLContext) -> dict[str, set[int]]:
    """What OpenSSL says this context accepts, per protocol, as IANA code points."""
    out: dict[str, set[int]] = {}
    for c in ctx.get_ciphers():
        out.setdefault(c["protocol"], set()).add(c["id"] & 0xFFFF)
    return out


class TlsServer:
    """``asyncio`` TLS server; ``completed`` counts handshakes that went all the way."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.ctx = ctx
        self.host = "127.0.0.1"
        self.port = 0
        self.completed = 0
        self._server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.completed += 1
        with contextlib.suppress(Exception):
            await reader.read(1)
        writer.close()

    async def __aenter__(self) -> TlsServer:
        loop = asyncio.get_running_loop()
        previous = loop.get_exception_handler()

        def quiet(lp: asyncio.AbstractEventLoop, context: dict) -> None:
            # A scan makes the server refuse many hellos: that is expected, not an error.
            if isinstance(context.get("exception"), (ssl.SSLError, OSError)):
                return
            if previous:
                previous(lp, context)
            else:
                lp.default_exception_handler(context)

        loop.set_exception_handler(quiet)
        self._server = await asyncio.start_server(
            self._serve, self.host, 0, ssl=self.ctx, ssl_handshake_timeout=5
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 1.0)
