"""The wire layer and the TLS 1.3 key schedule, against real OpenSSL where it exists."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Deadline,
    ProbeError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls13 import (
    read_encrypted_flight,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_scan import (
    MAX_SUITES_PER_HELLO,
    chunks_for,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_wire import (
    HRR_RANDOM,
    TlsReader,
    build_client_hello,
    check_server_hello,
    parse_server_hello,
    read_server_hello,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import (
    GROUPS_BY_NAME,
    SUITES,
    TLS13_SUITES,
)
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.tls_servers import (
    parse_client_hello,
    server_hello,
)
from ansible_collections.xmpp.encryption.tests.unit.support.tls_server import server_context


@pytest.mark.parametrize(
    "sni", [None, "xmpp.test", "a-rather-long-host-name.conference.example.org"]
)
@pytest.mark.parametrize("tls13", [False, True])
def test_no_hello_lands_in_the_f5_window(sni, tls13):
    """RFC 7685: ClientHellos of 256-511 bytes hang some load balancers; padding avoids it."""
    for count in range(MAX_SUITES_PER_HELLO + 1):
        hello = build_client_hello(
            version=0x0303,
            suites=list(SUITES)[:count],
            tls13_versions=(0x0304, 0x0303) if tls13 else (),
            key_share_groups=(0x001D,) if tls13 else (),
            sni=sni,
            alpn=("xmpp-client",),
        )
        assert not 256 <= len(hello.message) < 512, (count, len(hello.message))
        assert len(hello.record) == 5 + len(hello.message)
        assert parse_client_hello(hello.record)["suites"] == list(SUITES)[:count]


@pytest.mark.parametrize("version", ["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2"])
def test_chunks_cover_each_suite_once(version):
    chunks = chunks_for(version)
    flat = [code for chunk in chunks for code in chunk]
    assert all(len(chunk) <= MAX_SUITES_PER_HELLO for chunk in chunks)
    assert sorted(flat) == sorted(c for c, s in SUITES.items() if version in s.versions)


def test_sslv3_hello_and_deflate_offer():
    hello = build_client_hello(version=0x0300, suites=[0x000A], compression=(1, 0))
    assert hello.record[:3] == b"\x16\x03\x00"
    assert hello.versions == frozenset({0x0300})
    fields = parse_client_hello(hello.record)
    assert fields["version"] == 0x0300
    assert 0x002B not in fields["extensions"]  # no supported_versions below TLS 1.3


def test_hello_retry_request_is_recognised_and_checked():
    hello = build_client_hello(
        version=0x0304,
        suites=TLS13_SUITES,
        tls13_versions=(0x0304,),
        groups=(0x001D, 0x0018),
        key_share_groups=(0x001D,),
    )
    ext = b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x02\x00\x18"
    record = server_hello(0x1301, ext=ext)
    body = bytearray(record[9:])
    body[2:34] = HRR_RANDOM
    sh = parse_server_hello(bytes(body))
    assert sh.hello_retry
    assert sh.selected_group == GROUPS_BY_NAME["secp384r1"].code
    check_server_hello(hello, sh)  # offered without a share: a legitimate retry
    body[-1] = 0x1D  # a retry for the group that already had a share is not
    with pytest.raises(ProbeError, match="already had a key share"):
        check_server_hello(hello, parse_server_hello(bytes(body)))


def test_truncated_server_hello_is_refused():
    with pytest.raises(ProbeError, match="truncated ServerHello"):
        parse_server_hello(b"\x03\x03" + bytes(10))


@pytest.mark.parametrize(
    ("suite", "group"),
    [(0x1301, "x25519"), (0x1302, "secp256r1"), (0x1303, "x448"), (0x1301, "secp384r1")],
)
async def test_tls13_key_schedule_reads_the_certificate(pki, tls_server, suite, group):
    """Each AEAD and each key-share type decrypts the real server's Certificate."""
    server = tls_server(server_context(pki, minimum=ssl.TLSVersion.TLSv1_3))
    code = GROUPS_BY_NAME[group].code
    hello = build_client_hello(
        version=0x0304,
        suites=[suite],
        tls13_versions=(0x0304,),
        groups=(code,),
        key_share_groups=(code,),
        sni="xmpp.test",
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(hello.record)
        tls = TlsReader(reader, Deadline.after(10))
        sh, raw = await read_server_hello(tls, hello)
        assert (sh.version, sh.suite, sh.selected_group) == (0x0304, suite, code)
        flight = await read_encrypted_flight(tls, hello, sh, raw)
    finally:
        writer.close()
    assert flight.chain_der == (pki.leaf_der, pki.ca_der)


def _handshake_record(msg_type: int, body: bytes) -> bytes:
    message = bytes([msg_type]) + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


@pytest.mark.parametrize("segment", [1, 3, 7, None])
async def test_records_read_whole_or_split(segment):
    """Messages come out the same whether records arrive byte by byte or all together."""
    flight = _handshake_record(11, b"cert" * 50) + _handshake_record(14, b"")
    reader = asyncio.StreamReader()
    tls = TlsReader(reader, Deadline.after(5), phase_timeout=5)

    async def feed() -> None:
        step = segment or len(flight)
        for i in range(0, len(flight), step):
            reader.feed_data(flight[i : i + step])
            await asyncio.sleep(0)
        reader.feed_eof()

    feeding = asyncio.ensure_future(feed())
    assert (await tls.message())[:2] == (11, b"cert" * 50)
    assert (await tls.message())[:2] == (14, b"")
    with pytest.raises(ProbeError, match="closed without an alert after 218 bytes"):
        await tls.message()
    await feeding


async def test_trickled_record_is_bounded_by_one_phase_timeout():
    """HOSTILE 3: each byte comes in time for a read, the record as a whole does not."""
    reader = asyncio.StreamReader()
    tls = TlsReader(reader, Deadline.after(5), phase_timeout=0.3)

    async def trickle() -> None:
        for byte in _handshake_record(2, bytes(40)):
            reader.feed_data(bytes([byte]))
            await asyncio.sleep(0.02)

    trickling = asyncio.ensure_future(trickle())
    with pytest.raises(ProbeError) as err:
        await tls.message()
    trickling.cancel()
    assert err.value.code == "phase-timeout"


async def test_reader_takes_no_more_than_the_cap():
    reader = asyncio.StreamReader()
    # 109 bytes of Certificate, then a record whose body would pass the cap of 120
    reader.feed_data(_handshake_record(11, bytes(100)) + b"\x16\x03\x03\x00\x64" + bytes(995))
    tls = TlsReader(reader, Deadline.after(5), phase_timeout=5, cap=120)
    assert (await tls.message())[0] == 11
    assert len(reader._buffer) == 1000 - (120 - 109)  # read up to the cap, no further
    with pytest.raises(ProbeError, match="more than 120 bytes"):
        await tls.message()
