"""Connections opened ahead of a serial chain of probes.

A suite or group chain cannot choose its next offer before the server answered the last
one, but the connection that offer goes out on does not depend on the answer. Opening it
while the answer is awaited takes the TCP handshake and the STARTTLS exchange off the
chain's critical path: a step then costs the ClientHello's round trip alone, not three.

The price is at the end: the answer that ends a chain (a refusal) cannot be foreseen, so
the connections opened ahead of it go unused unless a later probe takes them (the order
probes after a version's suite chains do). Short chains open none ahead, and no chain opens
more than it could still use.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from ansible_collections.xmpp.encryption.plugins.module_utils._probe_base import (
    Channel,
    ProbeError,
)

# Two ahead cover the two round trips (TCP, STARTTLS) a connection needs before its
# ClientHello; more would only wait longer and hold more of the server's connection bound.
DEPTH = 2
# A chain that has made this many steps is likely long (a legacy server's 29 TLS 1.2 suites);
# shorter ones (a modern server's 3) would waste more connections than they save round trips.
WARM_AFTER = 5


class ChannelsAhead:
    """A queue of connection attempts, started in order, handed out in order."""

    def __init__(self, connect: Callable[[], Awaitable[Channel]], depth: int = DEPTH) -> None:
        self._connect = connect
        self._depth = depth
        self._pending: deque[asyncio.Task[Channel]] = deque()

    def next(self, made: int, left: int) -> asyncio.Task[Channel]:
        """The connection for this step; opens up to ``depth`` more for the steps after it.

        ``made``: steps the chain has made; ``left``: how many steps, this one included, it
        can still make at most.
        """
        if not self._pending:
            self._start()
        channel = self._pending.popleft()
        wanted = min(self._depth, left - 1) if made >= WARM_AFTER else 0
        while len(self._pending) < wanted:
            self._start()
        return channel

    def _start(self) -> None:
        self._pending.append(asyncio.ensure_future(self._connect()))

    def discard(self) -> list[asyncio.Task[None]]:
        """Close the connections no step will use, each as soon as it is open.

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
