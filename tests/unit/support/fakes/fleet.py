"""A fleet of fake XMPP servers on 127.0.0.N that count their connections, over real TLS.

Each server speaks STARTTLS (the stream engineer's ``behaviour_good``) and relays the TLS
bytes to one real OpenSSL server, so every probe is a real scan. A connection counts as open
from accept until the client's side ends (EOF), the moment the client gave it up, so the
peaks below are what the prober held open at once, per server address and over all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .xmpp_servers import Conn, FakeServer, behaviour_good


@dataclass
class ConnCounter:
    active: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)
    total_active: int = 0
    total_peak: int = 0

    def open(self, key: str) -> Callable[[], None]:
        self.active[key] = self.active.get(key, 0) + 1
        self.opened[key] = self.opened.get(key, 0) + 1
        self.peak[key] = max(self.peak.get(key, 0), self.active[key])
        self.total_active += 1
        self.total_peak = max(self.total_peak, self.total_active)
        done = False

        def close() -> None:
            nonlocal done
            if not done:
                done = True
                self.active[key] -= 1
                self.total_active -= 1

        return close


def _relay(tls_host: str, tls_port: int, client_gone: Callable[[], None]):
    async def step(conn: Conn) -> None:
        up_reader, up_writer = await asyncio.open_connection(tls_host, tls_port)
        if conn.buffer:
            up_writer.write(conn.buffer)
            conn.buffer = b""

        async def down() -> None:
            with contextlib.suppress(OSError):
                while data := await up_reader.read(65536):
                    conn.writer.write(data)
                    await conn.writer.drain()
            with contextlib.suppress(OSError):
                conn.writer.close()  # the TLS server gave up (a refused hello): so do we

        back = asyncio.ensure_future(down())
        try:
            with contextlib.suppress(OSError):
                while data := await conn.reader.read(65536):
                    up_writer.write(data)
                    await up_writer.drain()
        finally:
            client_gone()
            back.cancel()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await back
            up_writer.close()

    return step


def counting_xmpp(
    counter: ConnCounter, key: str, tls_host: str, tls_port: int
) -> Callable[[Conn], Awaitable[None]]:
    """A STARTTLS server (TLS required) whose connections are counted under ``key``."""

    async def run(conn: Conn) -> None:
        close = counter.open(key)
        try:
            await behaviour_good(required=True, then=_relay(tls_host, tls_port, close))(conn)
        finally:
            close()

    return run


async def start_servers(
    counter: ConnCounter, addresses: list[str], tls_host: str, tls_port: int
) -> list[FakeServer]:
    servers = []
    for address in addresses:
        srv = FakeServer(counting_xmpp(counter, address, tls_host, tls_port), host=address)
        servers.append(await srv.__aenter__())
    return servers
