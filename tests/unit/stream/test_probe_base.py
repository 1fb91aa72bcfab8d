"""Deadline.drain: bounded when the peer stops reading, no timer when nothing waits."""

import asyncio
import contextlib

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe_base import (
    Deadline,
    ProbeError,
)


@contextlib.asynccontextmanager
async def peer_that_never_reads():
    async def handle(reader, writer):
        await asyncio.sleep(30)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield writer
    finally:
        writer.transport.abort()
        server.close()


async def test_drain_is_bounded_when_the_peer_stops_reading():
    async with peer_that_never_reads() as writer:
        writer.write(bytes(64 * 1024 * 1024))  # far past the kernel's buffers
        with pytest.raises(ProbeError) as err:
            await Deadline.after(5).drain(writer, "sending", 0.3)
    assert err.value.code == "phase-timeout"


async def test_drain_after_a_small_write_sets_no_timer(monkeypatch):
    async def no_timer(*_args, **_kwargs):
        raise AssertionError("a timer for a drain that cannot wait")

    async with peer_that_never_reads() as writer:
        monkeypatch.setattr(Deadline, "run", no_timer)
        writer.write(b"<stream:stream>")
        await Deadline.after(5).drain(writer, "sending", 0.3)
