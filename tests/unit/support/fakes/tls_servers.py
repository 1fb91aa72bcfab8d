"""Hostile TLS fakes on 127.0.0.1: a scripted 'server' that answers a ClientHello, and the
few wire pieces it needs (parse a ClientHello, build a ServerHello, reset a connection)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable


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
