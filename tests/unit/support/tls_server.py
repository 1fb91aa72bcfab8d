"""Real OpenSSL servers (Python's ssl module) and hostile fakes on 127.0.0.1, random ports."""

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


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    # RSA, so that a legacy server can offer plain RSA key exchange too.
    return tls_files(tmp_path_factory.mktemp("pki"), "xmpp.test", kind="rsa", size=2048)


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


class OpenSslServer:
    """A real OpenSSL server: one thread per connection, handshake errors ignored."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.ctx = ctx
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.handled = 0
        self.hellos = 0  # connections that carried a TLS record: probes, not ones opened ahead
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

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
                tls.close()
        conn.close()
        self.handled += 1

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture
def openssl_server() -> Iterator[Callable[[ssl.SSLContext], OpenSslServer]]:
    servers: list[OpenSslServer] = []

    def start(ctx: ssl.SSLContext) -> OpenSslServer:
        servers.append(OpenSslServer(ctx))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def connector(port: int) -> Callable[[], Awaitable[Channel]]:
    async def connect() -> Channel:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return Channel(reader, writer)

    return connect


def parse_client_hello(record: bytes) -> dict:
    """The few fields a fake server needs from a ClientHello (test-side, independent)."""
    body = record[5 + 4 :]
    pos = 2 + 32
    pos += 1 + body[pos]
    n = int.from_bytes(body[pos : pos + 2], "big")
    suites = [int.from_bytes(body[pos + 2 + i : pos + 4 + i], "big") for i in range(0, n, 2)]
    pos += 2 + n
    pos += 1 + body[pos]
    exts: dict[int, bytes] = {}
    if pos < len(body):
        end = pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
        pos += 2
        while pos < end:
            code = int.from_bytes(body[pos : pos + 2], "big")
            size = int.from_bytes(body[pos + 2 : pos + 4], "big")
            exts[code] = body[pos + 4 : pos + 4 + size]
            pos += 4 + size
    return {"version": int.from_bytes(body[:2], "big"), "suites": suites, "extensions": exts}


def server_hello(
    suite: int,
    version: int = 0x0303,
    compression: int = 0,
    ext: bytes = b"",
    random: bytes = bytes(32),
) -> bytes:
    """A plaintext ServerHello record (TLS 1.2 style unless ``ext`` says otherwise)."""
    body = version.to_bytes(2, "big") + random + b"\x00" + suite.to_bytes(2, "big")
    body += bytes([compression])
    if ext:
        body += len(ext).to_bytes(2, "big") + ext
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


class FakeServer:
    """A hostile TLS 'server' on 127.0.0.1: ``script(hello_record, writer)`` answers."""

    def __init__(self, script: Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]) -> None:
        self.script = script
        self.accepted = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> FakeServer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            header = await reader.readexactly(5)
            record = header + await reader.readexactly(int.from_bytes(header[3:5], "big"))
            await self.script(record, writer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.transport.abort()
