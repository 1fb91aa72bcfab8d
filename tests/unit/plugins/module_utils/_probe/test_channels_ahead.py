"""Connections opened ahead of a scan's chains: how many, who gets them, none left open."""

from __future__ import annotations

import asyncio

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Channel,
    ProbeError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.channels_ahead import (
    DEPTH,
    ChannelsAhead,
)


class FakeChannel(Channel):
    closed = False

    async def close(self) -> None:
        object.__setattr__(self, "closed", True)


class Opener:
    """A connect function that records what it opened; ``gate`` holds every opening."""

    def __init__(self, fail: bool = False) -> None:
        self.opened: list[FakeChannel] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = fail

    async def __call__(self) -> Channel:
        await self.gate.wait()
        if self.fail:
            raise ProbeError("connect-refused", "no")
        channel = FakeChannel(None, None)  # type: ignore[arg-type]
        self.opened.append(channel)
        return channel


async def test_a_single_probe_opens_nothing_ahead():
    opener = Opener()
    ahead = ChannelsAhead(opener)
    for made in range(3):
        channel = await ahead.next()
        assert channel is opener.opened[-1]
        assert len(opener.opened) == made + 1
    assert ahead.discard() == []


async def test_a_chain_keeps_depth_ahead_and_never_more_than_it_can_use():
    opener = Opener()
    ahead = ChannelsAhead(opener)
    used = [await ahead.next(left=50) for _step in range(3)]
    await asyncio.sleep(0)  # let the openings ahead run
    assert len(opener.opened) == len(used) + DEPTH
    # Two steps left at most: one for this step, one ahead.
    used.append(await ahead.next(left=2))
    await asyncio.sleep(0)
    assert len(opener.opened) == len(used) + 1
    # The chain's last possible step opens nothing more.
    used.append(await ahead.next(left=1))
    await asyncio.sleep(0)
    assert len(opener.opened) == len(used)
    assert used == opener.opened


async def test_what_one_chain_opened_ahead_serves_the_next_probe_of_another():
    opener = Opener()
    ahead = ChannelsAhead(opener)
    first = await ahead.next(left=50)  # this chain's next steps are being opened
    await asyncio.sleep(0)
    other = await ahead.next()  # a single probe elsewhere in the scan
    assert [first, other] == opener.opened[:2]
    assert len(opener.opened) == 1 + DEPTH  # nothing new was opened for it
    assert len(ahead.discard()) == DEPTH - 1


async def test_unused_connections_are_closed_once_open_not_cut_off():
    opener = Opener()
    ahead = ChannelsAhead(opener)
    await ahead.next(left=50)
    await asyncio.sleep(0)
    opener.gate.clear()  # the next openings are still in the middle of their exchange
    step = ahead.next(left=50)
    closing = ahead.discard()
    assert len(closing) == DEPTH
    opener.gate.set()
    await asyncio.gather(*closing)
    this_step = await step
    unused = [c for c in opener.opened if c is not this_step][-DEPTH:]
    assert all(c.closed for c in unused)
    assert not this_step.closed


async def test_a_failed_opening_ahead_ends_quietly():
    opener = Opener(fail=True)
    ahead = ChannelsAhead(opener)
    step = ahead.next(left=50)
    await asyncio.gather(*ahead.discard())  # no exception escapes
    with pytest.raises(ProbeError, match="no"):
        await step
