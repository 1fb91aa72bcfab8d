"""Connections opened ahead of the probes of one TLS scan.

A suite or group chain cannot choose its next offer before the server answered the last
one, but the connection that offer goes out on does not depend on the answer. Opening it
while the answer is awaited takes the TCP handshake and the STARTTLS exchange off the
chain's critical path: a step then costs the ClientHello's round trip alone, not three.

Every probe of a scan takes its connection from one queue, in the order they were opened,
so a connection a chain opened ahead and no longer needs (its last offer was refused)
serves the next probe of any other chain. Only the end of the whole scan can leave some
unused, at most ``DEPTH``; no chain opens more than it could still use.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Channel,
    ProbeError,
)

# Two ahead cover the two round trips (TCP, STARTTLS) a connection needs before its
# ClientHello; more would only wait longer and hold more of the server's connection bound.
# Measured on the lab at a 50 ms round trip: a modern server's scan 1.23 -> 1.13 s for two
# connections more (25 -> 27); four ahead made it slower again (1.18 s, 29 connections).
DEPTH = 2


class ChannelsAhead:
    """A scan's queue of connection attempts, started in order, handed out in order."""

    def __init__(self, connect: Callable[[], Awaitable[Channel]], depth: int = DEPTH) -> None:
        self._connect = connect
        self._depth = depth
        self._pending: deque[asyncio.Task[Channel]] = deque()

    def next(self, left: int = 1) -> asyncio.Task[Channel]:
        """The connection for this probe; opens up to ``depth`` more for the steps after it.

        ``left``: how many steps, this one included, the caller's chain can still make at
        most (a single probe: 1, nothing ahead).
        """
        if not self._pending:
            self._start()
        channel = self._pending.popleft()
        while len(self._pending) < min(self._depth, left - 1):
            self._start()
        return channel

    def _start(self) -> None:
        self._pending.append(asyncio.ensure_future(self._connect()))

    def discard(self) -> list[asyncio.Task[None]]:
        """Close the connections no probe will use, each as soon as it is open.

        They are not cancelled: one cut in the middle of its TCP or STARTTLS exchange would
        still have reached the server, uncounted. The returned tasks end when all are closed.
        """
        closing = [asyncio.ensure_future(_close_when_open(task)) for task in self._pending]
        self._pending.clear()
        return closing


async def _close_when_open(opening: asyncio.Task[Channel]) -> None:
    try:
        channel = await opening
    except (ProbeError, OSError):
        return
    await channel.close()


__all__ = ["DEPTH", "ChannelsAhead"]
