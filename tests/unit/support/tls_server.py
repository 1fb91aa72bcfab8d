"""A real TLS server (Python's ssl module, so OpenSSL) on 127.0.0.1, and its certificate files."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import Channel

from .pki import issue, make_key

# A few TLS 1.2 suites for an ECDSA key: a server limited to them is scanned quickly.
FEW_TLS12_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"


@dataclass(frozen=True)
class TlsFiles:
    """A server's certificate material on disk: a CA, a leaf under it, DH parameters."""

    chain_file: Path  # leaf + CA, PEM: what the server sends
    key_file: Path
    ca_file: Path  # the CA alone, for clients to trust
    dh_file: Path  # ffdhe2048 (RFC 7919), made by the openssl CLI
    dh_small_file: Path  # 1024-bit parameters: only usable at @SECLEVEL=0
    leaf_der: bytes
    ca_der: bytes


def tls_files(folder: Path, domain: str, *, kind: str = "ec", size: int = 256) -> TlsFiles:
    """A CA and a leaf for ``domain`` (its CN and only DNS name), keys of ``kind`` and ``size``."""
    ca = issue("Test CA", ca=True, key=make_key(kind, size))
    leaf = issue(domain, issuer=ca, dns=(domain,), key=make_key(kind, size))
    files = TlsFiles(
        folder / "chain.pem",
        folder / "key.pem",
        folder / "ca.pem",
        folder / "dh.pem",
        folder / "dh1024.pem",
        leaf.der,
        ca.der,
    )
    files.chain_file.write_bytes(leaf.pem() + ca.pem())
    files.key_file.write_bytes(leaf.key_pem())
    files.ca_file.write_bytes(ca.pem())
    subprocess.run(  # DSA-style generation is instant; 1024 bits needs @SECLEVEL=0
        ["openssl", "dhparam", "-dsaparam", "-out", str(files.dh_small_file), "1024"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
            "-out",
            str(files.dh_file),
        ],
        check=True,
        capture_output=True,
    )
    return files


def server_context(
    pki: TlsFiles,
    *,
    minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
    maximum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3,
    ciphers: str | None = None,
    server_preference: bool = False,
    curve: str | None = None,
    small_dh: bool = False,
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.chain_file, pki.key_file)
    if ciphers:
        ctx.set_ciphers(ciphers)
    ctx.load_dh_params(str(pki.dh_small_file if small_dh else pki.dh_file))
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated, and that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = minimum
    ctx.maximum_version = maximum
    if server_preference:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    if curve:
        ctx.set_ecdh_curve(curve)
    return ctx


def accepted_suites(ctx: ssl.SSLContext) -> dict[str, set[int]]:
    """What OpenSSL says this context accepts, per protocol, as IANA code points."""
    out: dict[str, set[int]] = {}
    for c in ctx.get_ciphers():
        out.setdefault(c["protocol"], set()).add(c["id"] & 0xFFFF)
    return out


class TlsServer:
    """A real OpenSSL server: one thread per connection, handshake errors ignored.

    ``accepted`` counts connections, ``hellos`` those that carried a TLS record (probes, not
    ones opened ahead), ``handled`` those it is done with. After a handshake it waits for the
    client's first byte or its close, so the client may go on (a stream header, say).
    ``with TlsServer(ctx) as server`` closes it at the end; so does the ``tls_server`` fixture.
    """

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.ctx = ctx
        self.host = "127.0.0.1"
        self.sock = socket.create_server((self.host, 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.handled = 0
        self.hellos = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def __enter__(self) -> TlsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _peer = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    async def caught_up(self, connections: int, patience: float = 5.0) -> None:
        """Wait until ``connections`` have been accepted and handled.

        A connection the client closes at once (one opened ahead and not used) is complete
        for the client before these threads have accepted and read it.
        """
        end = time.monotonic() + patience
        while self.handled < connections and time.monotonic() < end:
            await asyncio.sleep(0.01)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with contextlib.suppress(OSError, ssl.SSLError):
            if conn.recv(1, socket.MSG_PEEK):
                self.hellos += 1
                tls = self.ctx.wrap_socket(conn, server_side=True)
                tls.recv(1)
                tls.close()
        conn.close()
        self.handled += 1

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture
def tls_server() -> Iterator[Callable[[ssl.SSLContext], TlsServer]]:
    """Starts servers for a test (``tls_server(ctx)``) and closes them after it."""
    servers: list[TlsServer] = []

    def start(ctx: ssl.SSLContext) -> TlsServer:
        servers.append(TlsServer(ctx))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def connector(port: int) -> Callable[[], Awaitable[Channel]]:
    async def connect() -> Channel:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return Channel(reader, writer)

    return connect
