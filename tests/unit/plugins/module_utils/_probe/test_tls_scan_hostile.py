"""HOSTILE.md 13-16 and 18: each fake ends in a clear result for its endpoint."""

from __future__ import annotations

import asyncio

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import Deadline
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_scan import (
    MAX_SUITES_PER_HELLO,
    TLS_SCAN_CHECKS,
    scan_tls,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_wire import HRR_RANDOM
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import SUITES
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.tls_servers import (
    FakeServer,
    parse_client_hello,
    reset,
    server_hello,
)
from ansible_collections.xmpp.encryption.tests.unit.support.tls_server import connector


async def run(script, checks=TLS_SCAN_CHECKS, seconds: float = 20.0):
    async with FakeServer(script) as fake:
        result = await scan_tls(
            connector(fake.port),
            sni="xmpp.test",
            checks=frozenset(checks),
            deadline=Deadline.after(seconds),
        )
        print(f"connections={result.connections} error={result.error_code}: {result.error}")
        assert result.connections == fake.accepted
        return result


async def test_unoffered_suite_is_not_believed():
    async def script(record, writer):
        writer.write(server_hello(0x0A0A))  # a GREASE value: never a real offer

    result = await run(script)
    assert result.error_code == "tls-protocol"
    assert "not offered" in result.error
    assert "0x0a0a" in result.error
    assert result.connections == 1


async def test_unoffered_version_is_not_believed():
    async def script(record, writer):
        writer.write(server_hello(parse_client_hello(record)["suites"][0], version=0x0305))

    result = await run(script)
    assert result.error_code == "tls-protocol"
    assert "version" in result.error


async def test_unoffered_tls13_group_is_not_believed():
    async def script(record, writer):
        # supported_versions = TLS 1.3, key_share for x448 (the client sent x25519 and P-256)
        ext = b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x3c\x00\x1e\x00\x38" + bytes(56)
        writer.write(server_hello(0x1301, ext=ext))

    result = await run(script)
    assert result.error_code == "tls-protocol"
    assert "key share for group x448" in result.error


async def test_reset_after_server_hello():
    async def script(record, writer):
        writer.write(server_hello(parse_client_hello(record)["suites"][-1]))
        await writer.drain()
        await asyncio.sleep(0.3)  # a reset discards unread data: let the hello be read first
        reset(writer)

    result = await run(script, checks={"certificate"})
    assert result.error_code == "reset"
    assert "after ServerHello" in result.error


async def test_plaintext_xmpp_on_direct_tls_port():
    async def script(record, writer):
        writer.write(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client'>")

    result = await run(script)
    assert result.error_code == "tls-protocol"
    assert "plaintext XML" in result.error


async def test_silence_ends_at_the_deadline():
    async def script(record, writer):
        await asyncio.sleep(30)

    result = await run(script, seconds=1.0)
    assert result.error_code == "deadline"
    assert result.complete is False


async def test_alert_to_everything():
    sizes: list[tuple[int, int]] = []

    async def script(record, writer):
        sizes.append((len(parse_client_hello(record)["suites"]), len(record) - 5))
        writer.write(b"\x15\x03\x03\x00\x02\x02\x28")  # fatal handshake_failure

    result = await run(script)
    print("hellos (suites, bytes):", sizes)
    assert all(n <= MAX_SUITES_PER_HELLO for n, _size in sizes)  # HOSTILE 16: no long offers
    assert not any(256 <= size < 512 for _suites, size in sizes)
    assert result.error_code == "tls-alert"
    assert "handshake_failure" in result.error
    assert result.versions == dict.fromkeys(result.versions, False)
    assert len(result.versions) == 5
    # first hello, then every chunk of every version once: nothing to enumerate
    assert result.connections <= 1 + 3 + 2 + 2 + 2 + 1


async def test_tcp_reset_instead_of_alert():
    async def script(record, writer):
        reset(writer)

    result = await run(script)
    assert result.error_code == "reset"
    assert not any(result.versions.values())


async def test_oversized_record():
    async def script(record, writer):
        writer.write(b"\x16\x03\x03\xff\xff" + bytes(100))

    result = await run(script)
    assert result.error_code == "tls-protocol"
    assert "65535 bytes" in result.error


async def test_endless_certificate_hits_the_byte_cap():
    async def script(record, writer):
        writer.write(server_hello(parse_client_hello(record)["suites"][-1]))
        # a Certificate message announcing 16 MB, sent as endless maximal records
        writer.write(b"\x16\x03\x03\x40\x00" + b"\x0b\xff\xff\xff" + bytes(0x4000 - 4))
        for _record in range(40):
            writer.write(b"\x16\x03\x03\x40\x00" + bytes(0x4000))
            await writer.drain()

    result = await run(script, checks={"certificate"})
    assert result.error_code == "tls-protocol"
    assert "handshake message of" in result.error


async def test_compression_taken_is_reported():
    async def script(record, writer):
        hello = parse_client_hello(record)
        if 0x002B in hello["extensions"]:  # TLS 1.3 offered: refuse, like a 1.2-only server
            writer.write(b"\x15\x03\x03\x00\x02\x02\x46")
        elif hello["version"] == 0x0303 and 0x002F in hello["suites"]:
            writer.write(server_hello(0x002F, compression=1))
        else:
            writer.write(b"\x15\x03\x03\x00\x02\x02\x28")

    result = await run(script, checks={"versions", "suites", "compression"})
    assert result.compression is True
    assert result.suites == {"TLSv1.2": ("TLS_RSA_WITH_AES_128_CBC_SHA",)}
    assert result.versions["TLSv1.2"] is True
    assert result.versions["TLSv1.3"] is False


async def test_connect_failure_is_an_endpoint_error():
    async with FakeServer(lambda r, w: asyncio.sleep(0)) as fake:
        port = fake.port
    result = await scan_tls(
        connector(port), sni="xmpp.test", checks=TLS_SCAN_CHECKS, deadline=Deadline.after(5)
    )
    assert result.error_code == "connect-failed"
    assert result.connections == 1


async def test_hybrid_group_is_reported_when_picked():
    """A server preferring X25519MLKEM768 asks for it by HelloRetryRequest."""
    tls13 = b"\x00\x2b\x00\x02\x03\x04"

    async def script(record, writer):
        hello = parse_client_hello(record)
        exts = hello["extensions"]
        if 0x002B not in exts:
            writer.write(b"\x15\x03\x03\x00\x02\x02\x46")  # protocol_version: 1.3 only
            return
        groups = exts[0x000A][2:]
        offered = [int.from_bytes(groups[i : i + 2], "big") for i in range(0, len(groups), 2)]
        shares = exts[0x0033]
        if len(shares) > 2 and shares[2:4] == b"\x00\x1d":  # an x25519 share: take it
            share = b"\x00\x33\x00\x24\x00\x1d\x00\x20" + bytes(range(32))
            writer.write(server_hello(0x1301, ext=tls13 + share))
        elif 0x11EC in offered or 0x001D in offered:
            group = 0x11EC if 0x11EC in offered else 0x001D
            share = b"\x00\x33\x00\x02" + group.to_bytes(2, "big")
            writer.write(server_hello(0x1301, ext=tls13 + share, random=HRR_RANDOM))
        else:
            writer.write(b"\x15\x03\x03\x00\x02\x02\x28")

    result = await run(script, checks={"versions", "groups"})
    assert result.versions["TLSv1.3"] is True
    assert result.groups == ("x25519", "X25519MLKEM768")


def tls12_with_sentinel(*, refuse_tls13_offers: bool):
    """A TLS 1.2 answer whose random ends in DOWNGRD\x01 (RFC 8446 4.1.3) to every 1.2 offer."""

    async def script(record, writer):
        hello = parse_client_hello(record)
        tls13_offered = 0x002B in hello["extensions"]
        picks = [s for s in hello["suites"] if s in SUITES and "TLSv1.2" in SUITES[s].versions]
        if hello["version"] != 0x0303 or not picks or (tls13_offered and refuse_tls13_offers):
            writer.write(b"\x15\x03\x03\x00\x02\x02\x28")  # handshake_failure
        else:
            writer.write(server_hello(picks[0], random=bytes(24) + b"DOWNGRD\x01"))

    return script


async def test_a_downgrade_sentinel_answering_a_higher_offer_is_reported():
    result = await run(tls12_with_sentinel(refuse_tls13_offers=False), checks={"versions"})
    assert result.versions["TLSv1.2"] is True
    assert result.versions["TLSv1.3"] is False
    assert result.downgrade is True


async def test_the_sentinel_answering_an_offer_that_tops_at_tls12_is_no_downgrade():
    result = await run(tls12_with_sentinel(refuse_tls13_offers=True), checks={"versions"})
    assert result.versions["TLSv1.2"] is True
    assert result.downgrade is False
