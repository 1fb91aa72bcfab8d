"""Draining and closing: bounded when the peer stops reading, no timer when nothing waits."""

import asyncio
import contextlib
import time

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Channel,
    Deadline,
    ProbeError,
)


@contextlib.asynccontextmanager
async def peer_that_never_reads():
    async def handle(reader, writer):
        await asyncio.sleep(30)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.transport.abort()
        server.close()


async def test_drain_is_bounded_when_the_peer_stops_reading():
    async with peer_that_never_reads() as (_reader, writer):
        writer.write(bytes(64 * 1024 * 1024))  # far past the kernel's buffers
        with pytest.raises(ProbeError) as err:
            await Deadline.after(5).drain(writer, "sending", 0.3)
    assert err.value.code == "phase-timeout"


async def test_drain_after_a_small_write_sets_no_timer(monkeypatch):
    async def no_timer(*_args, **_kwargs):
        raise AssertionError("a timer for a drain that cannot wait")

    async with peer_that_never_reads() as (_reader, writer):
        monkeypatch.setattr(Deadline, "run", no_timer)
        writer.write(b"<stream:stream>")
        await Deadline.after(5).drain(writer, "sending", 0.3)


@pytest.mark.parametrize("unsent", [0, 64 * 1024 * 1024])
async def test_close_ends_with_or_without_unsent_bytes(unsent):
    async with peer_that_never_reads() as (reader, writer):
        writer.write(bytes(unsent) or b"<stream:stream>")
        started = time.monotonic()
        await Channel(reader, writer).close()
        assert time.monotonic() - started < (1.5 if unsent else 0.5)
        assert writer.transport.is_closing()
