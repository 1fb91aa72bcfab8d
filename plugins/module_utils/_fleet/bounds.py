"""Connection bounds for a fleet scan: one global bound and one per server, held together.

``probe_endpoint`` takes one semaphore-like limiter per endpoint. A fleet hands every
endpoint of the same server (keyed by its IP address, whatever domain or port the endpoint
is for) the same ``ServerLimiter``, which takes a slot of the server's own bound first and
then one of the global bound. Taking the server's slot first means a busy server never holds
global slots that other servers could use; releasing both together means no slot is held
while waiting for another, so the two bounds cannot deadlock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class BoundStats:
    """The most connections seen open at once, overall and per server address."""

    peak: int
    peak_per_server: dict[str, int]


class FleetBounds:
    """The global bound and a ``ServerLimiter`` per server address, made on first use."""

    def __init__(self, max_connections: int, max_per_server: int) -> None:
        if max_connections < 1 or max_per_server < 1:
            raise ValueError("connection bounds must be at least 1")
        self.max_connections = max_connections
        self.max_per_server = max_per_server
        self.global_slots = asyncio.Semaphore(max_connections)
        self.servers: dict[str, ServerLimiter] = {}
        self.active = 0
        self.peak = 0

    def server(self, address: str) -> ServerLimiter:
        limiter = self.servers.get(address)
        if limiter is None:
            limiter = self.servers[address] = ServerLimiter(self, address)
        return limiter

    def stats(self) -> BoundStats:
        return BoundStats(self.peak, {k: v.peak for k, v in sorted(self.servers.items())})


class ServerLimiter(asyncio.Semaphore):
    """A server's bound that also takes (and gives back) a slot of the fleet's global bound."""

    def __init__(self, bounds: FleetBounds, address: str) -> None:
        super().__init__(bounds.max_per_server)
        self.bounds = bounds
        self.address = address
        self.active = 0
        self.peak = 0

    async def acquire(self) -> bool:
        await super().acquire()
        try:
            await self.bounds.global_slots.acquire()
        except BaseException:
            super().release()  # cancelled while waiting for a global slot: give ours back
            raise
        self.active += 1
        self.peak = max(self.peak, self.active)
        self.bounds.active += 1
        self.bounds.peak = max(self.bounds.peak, self.bounds.active)
        return True

    def release(self) -> None:
        self.active -= 1
        self.bounds.active -= 1
        self.bounds.global_slots.release()
        super().release()
