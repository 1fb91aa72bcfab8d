"""What every part of the prober shares: deadlines, the one error type, and the channel.

A probe talks to servers it does not control, so every wait is bounded twice: by the phase
it is in (connect, stream negotiation, handshake) and by one overall deadline for the probe.
Every failure that belongs to the endpoint (not to our code) is a ``ProbeError`` with a
stable ``code`` that reports and grading can rely on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class ProbeError(Exception):
    """A failure of the endpoint under test, with a stable machine-readable code.

    Codes in use: ``connect-timeout``, ``connect-refused``, ``connect-failed``,
    ``phase-timeout``, ``deadline``, ``byte-cap``, ``xml-forbidden``, ``xml-invalid``,
    ``stream-error``, ``starttls-failure``, ``starttls-missing``, ``protocol``, ``reset``,
    ``tls-alert``, ``tls-protocol``, ``closed`` (the server closed the connection or the
    stream where it should not have).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class Deadline:
    """An absolute point on the monotonic clock; phases take the nearer of theirs and this."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    async def run(
        self,
        awaitable: Awaitable[T],
        phase: str,
        phase_timeout: float | None = None,
        phase_code: str = "phase-timeout",
    ) -> T:
        """Await ``awaitable`` within this deadline and, if given, the phase's own timeout.

        The error's code says which ran out: ``deadline``, or ``phase_code`` when the phase's
        timeout was the nearer.
        """
        budget = self.remaining()
        code = "deadline"
        if phase_timeout is not None and phase_timeout < budget:
            budget, code = phase_timeout, phase_code
        if budget <= 0:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            elif isinstance(awaitable, asyncio.Future):
                awaitable.cancel()
            raise ProbeError(code, f"no time left for {phase}")
        try:
            # asyncio.timeout, not wait_for: no task per await (a fleet scan makes thousands).
            async with asyncio.timeout(budget):
                return await awaitable
        except TimeoutError as exc:
            raise ProbeError(code, f"{phase} did not finish within {budget:.1f} s") from exc

    async def drain(
        self, writer: asyncio.StreamWriter, phase: str, phase_timeout: float | None = None
    ) -> None:
        """``writer.drain()`` bounded like ``run``, without a timer when it cannot wait.

        drain() waits only while the transport holds unsent bytes above its high-water mark;
        after a write the kernel took whole it returns at once (or raises the connection's
        error), so the timer is set only when bytes are left.
        """
        if writer.transport.get_write_buffer_size():
            await self.run(writer.drain(), phase, phase_timeout)
        else:
            await writer.drain()


@dataclass(frozen=True)
class Channel:
    """A TCP connection ready for the first TLS byte.

    For STARTTLS it is positioned right after ``<proceed/>``; for direct TLS right after
    connect. ``injected`` holds any bytes the server sent after ``<proceed/>`` that were
    already read: they are never fed to TLS and are reported as a STARTTLS injection.
    """

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    injected: bytes = b""

    async def close(self) -> None:
        # Only unsent bytes (a peer that stopped reading) can hold the close up; without them
        # the transport closes at the loop's next turn and a timer would be spent for nothing.
        limit = 1.0 if self.writer.transport.get_write_buffer_size() else None
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(limit):  # not wait_for: no task per connection closed
                await self.writer.wait_closed()
