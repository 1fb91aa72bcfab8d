"""Small scripted XMPP servers on 127.0.0.1 for the prober's tests, well-behaved or hostile.

A server runs a *script*: a list of steps applied to every connection it accepts::

    async with FakeServer(script(expect_header(), send(HEADER + features(starttls=True)),
                                 expect(b"<starttls"), send(PROCEED), hang())) as srv:
        ... connect to srv.host, srv.port ...

Steps are plain async callables on a ``Conn``; the ``behaviour_*`` functions at the bottom
build the scripts for each item of HOSTILE.md that concerns the XMPP layer. Every server
listens on a random port and ends its connections when the ``async with`` block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

NS_STREAMS = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"


@dataclass
class Conn:
    """One accepted connection and what the script has read from it so far."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    buffer: bytes = b""
    received: bytes = b""
    log: list[str] = field(default_factory=list)  # what a logging behaviour saw, in order

    async def read_until(self, pattern: bytes) -> bytes:
        while pattern not in self.buffer:
            data = await self.reader.read(4096)
            if not data:
                raise EOFError(f"client closed before sending {pattern!r}")
            self.buffer += data
            self.received += data
        head, _sep, self.buffer = self.buffer.partition(pattern)
        return head + pattern


Step = Callable[[Conn], Awaitable[None]]


def script(*steps: Step) -> Callable[[Conn], Awaitable[None]]:
    async def run(conn: Conn) -> None:
        for step in steps:
            await step(conn)

    return run


# --- steps --------------------------------------------------------------------------------


def expect(pattern: bytes) -> Step:
    async def step(conn: Conn) -> None:
        await conn.read_until(pattern)

    return step


def expect_header() -> Step:
    """Wait for the client's whole ``<stream:stream ...>`` tag."""

    async def step(conn: Conn) -> None:
        await conn.read_until(b"<stream:stream")
        await conn.read_until(b">")

    return step


def send(data: bytes, segment: int | None = None, pause: float = 0.002) -> Step:
    """Send ``data``, in pieces of ``segment`` bytes with a pause between when given."""

    async def step(conn: Conn) -> None:
        size = segment or len(data) or 1
        for i in range(0, len(data), size):
            conn.writer.write(data[i : i + size])
            await conn.writer.drain()
            if segment:
                await asyncio.sleep(pause)

    return step


def trickle(data: bytes, interval: float = 0.1, forever: bool = True) -> Step:
    """One byte every ``interval`` seconds; ``forever`` goes on with spaces afterwards."""

    async def step(conn: Conn) -> None:
        for i in range(len(data)):
            conn.writer.write(data[i : i + 1])
            await conn.writer.drain()
            await asyncio.sleep(interval)
        while forever:
            conn.writer.write(b" ")
            await conn.writer.drain()
            await asyncio.sleep(interval)

    return step


def flood(chunk: bytes) -> Step:
    """Send ``chunk`` again and again until the client goes away."""

    async def step(conn: Conn) -> None:
        while True:
            conn.writer.write(chunk)
            await conn.writer.drain()
            await asyncio.sleep(0)

    return step


def hang() -> Step:
    """Keep the connection open and say nothing more."""

    async def step(conn: Conn) -> None:
        await asyncio.Event().wait()

    return step


def close() -> Step:
    async def step(conn: Conn) -> None:
        conn.writer.close()

    return step


def reset() -> Step:
    """Abort with a TCP RST (SO_LINGER 0) instead of a FIN."""

    async def step(conn: Conn) -> None:
        sock = conn.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.writer.transport.abort()

    return step


def proxy(host: str, port: int, initial: bytes = b"") -> Step:
    """Relay the rest of the connection to ``host:port`` (a real TLS server, for example)."""

    async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        with contextlib.suppress(OSError):
            dst.close()

    async def step(conn: Conn) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, port)
        if initial or conn.buffer:
            up_writer.write(initial + conn.buffer)
            conn.buffer = b""
        await asyncio.gather(pump(conn.reader, up_writer), pump(up_reader, conn.writer))

    return step


# --- XMPP building blocks -----------------------------------------------------------------


def server_header(
    ns: str = "jabber:client",
    *,
    prefix: bool = True,
    version: str | None = "1.0",
    from_: str = "example.org",
    stream_id: str = "fake-1",
    dialback: bool = False,
) -> bytes:
    db = " xmlns:db='jabber:server:dialback'" if dialback else ""
    ver = f" version='{version}'" if version else ""
    if prefix:
        tag = f"stream:stream xmlns='{ns}' xmlns:stream='{NS_STREAMS}'"
    else:
        tag = f"stream xmlns='{NS_STREAMS}'"
    return (
        f"<?xml version='1.0'?><{tag}{db} from='{from_}' id='{stream_id}'{ver} xml:lang='en'>"
    ).encode()


def features(
    *,
    starttls: bool = True,
    required: bool = False,
    mechanisms: tuple[str, ...] = (),
    dialback: bool = False,
    extra: str = "",
    prefix: bool = True,
) -> bytes:
    parts = []
    if starttls:
        req = "<required/>" if required else ""
        parts.append(f"<starttls xmlns='{NS_TLS}'>{req}</starttls>")
    if mechanisms:
        mechs = "".join(f"<mechanism>{m}</mechanism>" for m in mechanisms)
        parts.append(f"<mechanisms xmlns='{NS_SASL}'>{mechs}</mechanisms>")
    if dialback:
        parts.append("<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>")
    body = "".join(parts) + extra
    if prefix:
        return f"<stream:features>{body}</stream:features>".encode()
    return f"<features xmlns='{NS_STREAMS}'>{body}</features>".encode()


def stream_error(condition: str, text: str = "", *, prefix: bool = True, body: str = "") -> bytes:
    ns = "urn:ietf:params:xml:ns:xmpp-streams"
    inner = f"<{condition} xmlns='{ns}'>{body}</{condition}>"
    if text:
        inner += f"<text xmlns='{ns}'>{text}</text>"
    if prefix:
        return f"<stream:error>{inner}</stream:error></stream:stream>".encode()
    return f"<error xmlns='{NS_STREAMS}'>{inner}</error></stream:stream>".encode()


PROCEED = f"<proceed xmlns='{NS_TLS}'/>".encode()
TLS_FAILURE = f"<failure xmlns='{NS_TLS}'/></stream:stream>".encode()


VERIFY_INVALID = b"<db:verify from='example.org' to='x' id='i' type='invalid'>k</db:verify>"


def dialback_result(kind: str, condition: str = "", *, element: str = "result") -> bytes:
    """A ``<db:result/>`` (or ``<db:verify/>``) of ``kind``; ``condition`` adds an XEP-0220
    dialback error."""
    attrs = f"from='example.org' to='x' type='{kind}'"
    if element == "verify":
        attrs += " id='i'"
    if not condition:
        return f"<db:{element} {attrs}/>".encode()
    ns = "urn:ietf:params:xml:ns:xmpp-stanzas"
    return (
        f"<db:{element} {attrs}>"
        f"<error type='cancel'><{condition} xmlns='{ns}'/></error></db:{element}>"
    ).encode()


def sasl_failure(condition: str) -> bytes:
    return f"<failure xmlns='{NS_SASL}'><{condition}/></failure>".encode()


# Bytes as a direct-TLS server would answer an XMPP header: a fatal alert record.
TLS_ALERT = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32])
# The start of a TLS ServerHello record.
TLS_SERVER_HELLO = bytes([0x16, 0x03, 0x03, 0x00, 0x31, 0x02, 0x00, 0x00, 0x2D, 0x03, 0x03])

BILLION_LAUGHS = (
    b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    + b"".join(
        f"<!ENTITY lol{i} '{('&lol' + (str(i - 1) if i > 1 else '') + ';') * 10}'>".encode()
        for i in range(1, 10)
    )
    + b"]><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    + b"&lol9;"
)


# --- the server ---------------------------------------------------------------------------


@dataclass
class FakeServer:
    """An asyncio TCP server on 127.0.0.1 that runs ``handler`` for every connection."""

    handler: Callable[[Conn], Awaitable[None]]
    host: str = "127.0.0.1"
    port: int = 0
    connections: int = 0
    active: int = 0
    peak: int = 0  # the most connections open at once (for connection-limit tests)
    conns: list[Conn] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Conn(reader, writer)
        self.conns.append(conn)
        try:
            await self.handler(conn)
        except (OSError, EOFError, asyncio.IncompleteReadError):
            pass  # the client went away: normal for a probe
        finally:
            self.active -= 1
            self._tasks.discard(task)
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()

    async def __aenter__(self) -> FakeServer:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 1.0)


@contextlib.contextmanager
def blackhole() -> object:
    """A 127.0.0.1 port whose accept queue is full, so new SYNs are dropped (no answer).

    Linux drops a SYN when the listen backlog is full (with SYN cookies too), which is the
    nearest local stand-in for a firewall that drops packets: connect() just waits.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _attempt in range(4):
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fillers.append(s)
        yield ("127.0.0.1", port)
    finally:
        for s in fillers:
            s.close()
        listener.close()


# --- behaviours (HOSTILE.md items 2-14, 17, 18) --------------------------------------------


def behaviour_good(
    *,
    ns: str = "jabber:client",
    required: bool = False,
    mechanisms: tuple[str, ...] = (),
    dialback: bool = False,
    segment: int | None = None,
    after_proceed: bytes = b"",
    auth_reply: bytes | None = None,
    dialback_reply: bytes | None = None,
    verify_reply: bytes | None = None,
    then: Step | None = None,
) -> Callable[[Conn], Awaitable[None]]:
    """A well-behaved STARTTLS server; ``auth_reply``/``dialback_reply``/``verify_reply``
    answer plaintext tries.

    After ``<proceed/>`` (plus ``after_proceed``) it runs ``then`` (default: hang).
    """
    hello = server_header(ns, dialback=dialback or ns == "jabber:server") + features(
        required=required, mechanisms=mechanisms, dialback=dialback
    )

    async def run(conn: Conn) -> None:
        await expect_header()(conn)
        await send(hello, segment)(conn)
        while True:
            data = await conn.read_until(b">")
            if b"<starttls" in data:
                await send(PROCEED + after_proceed, segment)(conn)
                await (then or hang())(conn)
                return
            if b"<auth" in data and auth_reply is not None:
                await conn.read_until(b"</auth>")
                await send(auth_reply, segment)(conn)
            elif b"<db:result" in data and dialback_reply is not None:
                await conn.read_until(b"</db:result>")
                await send(dialback_reply, segment)(conn)
            elif b"<db:verify" in data and verify_reply is not None:
                await conn.read_until(b"</db:verify>")
                await send(verify_reply, segment)(conn)

    return run


# What a strict server may answer a <starttls/> sent before its features.
REFUSALS: dict[str, bytes] = {
    "stream-error": server_header() + stream_error("policy-violation", "features first"),
    "failure": server_header() + TLS_FAILURE,
    "close": b"",
}


async def _starttls_early(conn: Conn, grace: float) -> bool:
    """Whether ``<starttls`` comes with the header or within ``grace`` s (pipelined)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + grace
    while b"<starttls" not in conn.buffer and (left := end - loop.time()) > 0:
        try:
            data = await asyncio.wait_for(conn.reader.read(4096), left)
        except TimeoutError:
            break
        if not data:
            break
        conn.buffer += data
        conn.received += data
    return b"<starttls" in conn.buffer


def behaviour_quickstart(
    *,
    strict: str | None = None,
    inject_when_pipelined: bytes = b"",
    then: Step | None = None,
    grace: float = 0.05,
) -> Callable[[Conn], Awaitable[None]]:
    """A STARTTLS server that logs, per connection, the order in which it got the client's
    ``header`` and ``starttls`` and sent its ``features`` and ``proceed``.

    A ``<starttls/>`` that arrives before the features were sent (within ``grace`` s of the
    header) is pipelined (XEP-0305): answered with features and ``<proceed/>`` at once, plus
    ``inject_when_pipelined``; or, when ``strict`` names one of ``REFUSALS``, refused with
    it. ``<auth/>`` is failed with encryption-required; after ``<proceed/>`` comes ``then``.
    """
    hello = server_header() + features(mechanisms=("PLAIN",))

    async def run(conn: Conn) -> None:
        await expect_header()(conn)
        conn.log.append("header")
        if await _starttls_early(conn, grace):
            conn.log.append("starttls")
            await conn.read_until(b"/>")
            if strict is not None:
                await send(REFUSALS[strict])(conn)
                await close()(conn)
                return
            conn.log += ["features", "proceed"]
            await send(hello + PROCEED + inject_when_pipelined)(conn)
        else:
            conn.log.append("features")
            await send(hello)(conn)
            await _answer_until_starttls(conn)
            conn.log += ["starttls", "proceed"]
            await send(PROCEED)(conn)
        await (then or hang())(conn)

    return run


async def _answer_until_starttls(conn: Conn) -> None:
    """Fail plaintext ``<auth/>`` (the features probe) until ``<starttls/>`` comes."""
    while True:
        data = await conn.read_until(b">")
        if b"<starttls" in data:
            return
        if b"<auth" in data:
            await conn.read_until(b"</auth>")
            await send(sasl_failure("encryption-required"))(conn)


def behaviour_silent() -> Callable[[Conn], Awaitable[None]]:
    return script(hang())


def behaviour_trickle(interval: float = 0.1) -> Callable[[Conn], Awaitable[None]]:
    return script(trickle(server_header(), interval=interval, forever=True))


def behaviour_raw(
    data: bytes, *, wait_header: bool = True, end: Step | None = None
) -> Callable[[Conn], Awaitable[None]]:
    """Send ``data`` (after the client's header unless told otherwise), then ``end`` or hang."""
    steps = [expect_header()] if wait_header else []
    return script(*steps, send(data), end or hang())


def behaviour_dialback(
    *,
    required: bool = False,
    verify_reply: bytes | None = VERIFY_INVALID,
    result_reply: bytes | None = None,
    result_delay: float = 0.0,
) -> Callable[[Conn], Awaitable[None]]:
    """An s2s server that takes the plaintext key, answers ``<db:verify/>`` with
    ``verify_reply`` (None: never) and sends ``result_reply`` ``result_delay`` s after the key
    (a refusal or a dialback result), then says nothing more.
    """
    hello = server_header("jabber:server", dialback=True) + features(
        required=required, dialback=True
    )

    async def answer_key(conn: Conn) -> None:
        if result_reply is not None:
            await asyncio.sleep(result_delay)
            await send(result_reply)(conn)

    async def run(conn: Conn) -> None:
        await expect_header()(conn)
        await send(hello)(conn)
        await conn.read_until(b"</db:result>")
        later = asyncio.ensure_future(answer_key(conn))
        try:
            await conn.read_until(b"</db:verify>")
            if verify_reply is not None:
                await send(verify_reply)(conn)
            await later
            await hang()(conn)
        finally:
            later.cancel()

    return run


def behaviour_endless() -> Callable[[Conn], Awaitable[None]]:
    """Features that never end: each piece is well-formed, the whole is unbounded."""
    return script(
        expect_header(),
        send(server_header() + b"<stream:features>"),
        flood(b"<x xmlns='urn:example:endless'>" + b"y" * 1000 + b"</x>"),
    )


def behaviour_starttls_failure() -> Callable[[Conn], Awaitable[None]]:
    return script(
        expect_header(),
        send(server_header() + features()),
        expect(b"<starttls"),
        send(TLS_FAILURE),
        close(),
    )


def behaviour_reset_after(data: bytes) -> Callable[[Conn], Awaitable[None]]:
    return script(expect_header(), send(data), asleep(0.05), reset())


def asleep(seconds: float) -> Step:
    async def step(conn: Conn) -> None:
        await asyncio.sleep(seconds)

    return step
