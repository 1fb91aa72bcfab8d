"""A TCP relay on loopback that adds latency and counts connections.

This kernel has no netem, so latency is added in user space: every chunk read from either
side is held for ``delay`` seconds before it is written on (the two directions are separate
queues, so pipelined data stays pipelined: the relay adds latency, not a bandwidth limit).
A new connection also costs the round trip of a TCP handshake: the first bytes reach the
server no earlier than ``3 * delay`` after the client connected, as on a real path. An end
of stream (a half-close, or a reset or error) is passed on one delay later, as a half-close;
a connection is closed once both directions have ended.

Run it as its own process so its work does not share an event loop (or a GIL) with the
prober being timed::

    python benchmarks/relay.py --control 127.0.0.40:7000 --delay 0.025 \
        127.0.0.41:5222=127.0.0.11:5222 127.0.0.41:5269=127.0.0.11:5269

The control port answers one line per connection: ``count`` gives a JSON object of accepted
connections per listener (``"127.0.0.41:5222": 12``), ``reset`` zeroes them first.

The relay still shares the CPU with the prober and the servers it measures (some 1,200
short connections in the benchmark's fleet run), so it is written for little CPU: asyncio's
loop watches plain non-blocking sockets (``add_reader``/``add_writer``) and a chunk costs a
queue entry and a timer callback. On streams, with tasks per direction and a sleep per
chunk, it used 1.6 to 1.8 times that CPU in the fleet run; on asyncio's transports (a task
per accepted connection and per connect, futures) about 1.2 times. It needs a selector event
loop, as on Linux and macOS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

CHUNK = 65536
# Bytes held for one direction (queued, or not yet taken by the kernel) before the relay
# stops reading its source, and the level at which it reads again: memory stays bounded if
# a side sends faster than the other takes. (So a direction carries at most about 4 MiB per
# delay, 160 MiB/s at 25 ms: far above what a probe sends.)
HIGH_WATER = 4 << 20
LOW_WATER = 1 << 20
# A link whose sockets are neither watched nor timed is referenced by nothing in asyncio:
# hold every link here until it is closed.
_LINKS: set[_Link] = set()


@dataclass(frozen=True)
class Route:
    listen_host: str
    listen_port: int
    to_host: str
    to_port: int

    @property
    def key(self) -> str:
        return f"{self.listen_host}:{self.listen_port}"

    @classmethod
    def parse(cls, text: str) -> Route:
        listen, _sep, target = text.partition("=")
        lh, _sep, lp = listen.rpartition(":")
        th, _sep, tp = target.rpartition(":")
        if not (lh and lp and th and tp):
            raise ValueError(f"route must be LISTEN_HOST:PORT=TO_HOST:PORT, not {text!r}")
        return cls(lh, int(lp), th, int(tp))


@dataclass
class Counters:
    accepted: dict[str, int] = field(default_factory=dict)

    def snapshot(self, reset: bool) -> dict[str, int]:
        out = dict(self.accepted)
        if reset:
            self.accepted = dict.fromkeys(self.accepted, 0)
        return out


def _nodelay(sock: socket.socket) -> socket.socket:
    sock.setblocking(False)
    # As asyncio's transports do: a small chunk goes out when it is due, not after an ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _Side:
    """One socket of a relayed connection, and the direction from it to the other socket.

    What it reads waits in ``queue`` as ``(due, data)``, ``b""`` standing for the end of
    stream; one timer at a time, for the head of the queue, writes what is due to the peer.
    """

    __slots__ = (
        "connected",
        "done",
        "eof",
        "fd",
        "link",
        "loop",
        "lost",
        "out",
        "paused",
        "peer",
        "queue",
        "queued",
        "reading",
        "shut",
        "sock",
        "timer",
    )

    def __init__(self, link: _Link, sock: socket.socket) -> None:
        self.link = link
        self.loop = link.loop
        self.sock = sock
        self.fd = sock.fileno()
        self.peer: _Side = self  # set by the link
        self.connected = False
        self.queue: deque[tuple[float, bytes]] = deque()
        self.queued = 0  # bytes in the queue
        self.timer: asyncio.TimerHandle | None = None
        self.out = bytearray()  # written to this socket, not yet taken by the kernel
        self.shut = False  # shut down this socket's sending side once ``out`` is empty
        self.eof = False  # the end of this side's stream is queued
        self.done = False  # this direction is over: its end passed on, or the peer is gone
        self.lost = False  # this socket failed (a reset, mostly)
        self.reading = False
        self.paused = False  # not reading while this direction holds too much

    # Reading this socket, queueing for the peer

    def start_reading(self) -> None:
        if self.connected and not (self.reading or self.eof or self.lost):
            self.reading = True
            self.loop.add_reader(self.fd, self._readable)

    def _stop_reading(self) -> None:
        if self.reading:
            self.reading = False
            self.loop.remove_reader(self.fd)

    def _readable(self) -> None:
        try:
            data = self.sock.recv(CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._lose()
            return
        if data:
            self._push(data)
        else:
            self._stop_reading()  # the socket stays open: a half-close is passed on as one
            self._push(b"")
            self.eof = True  # (set by _push too, unless this direction was over already)

    def _push(self, data: bytes) -> None:
        if self.done or self.eof:
            return
        if not data:
            self.eof = True
        link = self.link
        now = self.loop.time()
        due = max(now, link.ready) + link.delay
        self.queue.append((due, data))
        self.queued += len(data)
        if self.timer is None and self.peer.connected:
            if due <= now:  # no delay: write at once, without a trip through the loop
                self._flush(now)
            else:
                self.timer = self.loop.call_at(due, self._flush, due)
        if self.queued + len(self.peer.out) > HIGH_WATER and self.reading:
            self.paused = True
            self._stop_reading()

    def _flush(self, due: float) -> None:
        """Write to the peer everything due by now (the timer was for ``due``: that is due)."""
        self.timer = None
        peer = self.peer
        if not peer.connected:
            return  # the server is not connected yet; the link flushes when it is
        queue = self.queue
        cutoff = max(due, self.loop.time())
        chunks: list[bytes] = []
        ended = False
        while queue and queue[0][0] <= cutoff:
            data = queue.popleft()[1]
            if not data:
                ended = True
                break
            self.queued -= len(data)
            chunks.append(data)
        if chunks:
            peer.send(chunks[0] if len(chunks) == 1 else b"".join(chunks))
            if self.done:
                return  # the peer failed on that write
        if ended:
            peer.shutdown()
        elif queue:
            head = queue[0][0]
            self.timer = self.loop.call_at(head, self._flush, head)
        self.resume()

    def resume(self) -> None:
        if self.paused and self.queued + len(self.peer.out) < LOW_WATER:
            self.paused = False
            self.start_reading()

    def finish(self) -> None:
        self.done = True
        self.queue.clear()
        self.queued = 0
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    # Writing to this socket (what the peer's direction delivers)

    def send(self, data: bytes) -> None:
        if self.lost:
            return
        if self.out:  # the kernel took not all of the last write: keep the order
            self.out += data
            return
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._lose()
            return
        if sent < len(data):
            self.out += memoryview(data)[sent:]
            self.loop.add_writer(self.fd, self._writable)

    def _writable(self) -> None:
        try:
            sent = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._lose()
            return
        del self.out[:sent]
        if not self.out:
            self.loop.remove_writer(self.fd)
            if self.shut:
                self.shutdown()
            self.peer.resume()

    def shutdown(self) -> None:
        """The peer's stream ended: pass the half-close on, as TCP would, once sent."""
        if self.out:
            self.shut = True
            return
        self.shut = False
        # (The socket may have been reset before the loop has read that: ENOTCONN.)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        self.peer.finish()
        self.link.check()

    def _lose(self) -> None:
        """This socket failed: its stream ends one delay later, and nothing reaches it."""
        if self.lost:
            return
        self.lost = True
        self._stop_reading()
        if self.out:
            self.loop.remove_writer(self.fd)
            self.out.clear()
        if not self.peer.connected:
            # A client reset before the server was connected: its data is not passed on.
            self.queue.clear()
            self.queued = 0
        self._push(b"")
        peer = self.peer
        if not peer.done:
            peer.finish()
            peer.paused = False
            peer.start_reading()  # read on, so that the peer's end of stream is seen
        self.link.check()

    def close(self) -> None:
        self.finish()
        # Unwatch before closing: asyncio's selector would keep a stale entry for the fd.
        self._stop_reading()
        if self.out:
            self.loop.remove_writer(self.fd)
            self.out.clear()
        self.sock.close()


class _Link:
    """A relayed connection: the client's socket, the server's, and the handshake's delay."""

    __slots__ = ("client", "closed", "connecting", "delay", "listener", "loop", "ready", "server")

    def __init__(self, listener: _Listener, client: socket.socket) -> None:
        self.listener = listener
        self.loop = listener.loop
        self.delay = listener.delay
        self.closed = False
        self.connecting = False
        # The TCP handshake's round trip: the server sees the connection one RTT later.
        self.ready = self.loop.time() + 2 * self.delay
        self.client = _Side(self, _nodelay(client))
        self.server = _Side(self, _nodelay(socket.socket(listener.family, socket.SOCK_STREAM)))
        self.client.peer, self.server.peer = self.server, self.client
        self.client.connected = True
        self.client.start_reading()
        _LINKS.add(self)
        if self.delay:
            self.loop.call_at(self.ready, self._connect)
        else:
            self._connect()

    def _connect(self) -> None:
        if self.closed:
            return
        try:
            self.server.sock.connect(self.listener.target)
        except (BlockingIOError, InterruptedError):
            self.connecting = True
            self.loop.add_writer(self.server.fd, self._connect_done)
            return
        except OSError:
            self.close()
            return
        self._connected()

    def _connect_done(self) -> None:
        self.connecting = False
        self.loop.remove_writer(self.server.fd)
        if self.server.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self.close()  # refused: the client's connection is closed with nothing passed on
        else:
            self._connected()

    def _connected(self) -> None:
        self.server.connected = True
        self.server.start_reading()
        if self.client.queue:
            self.client._flush(self.loop.time())  # what the client sent meanwhile

    def check(self) -> None:
        if self.client.done and self.server.done:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            _LINKS.discard(self)
            if self.connecting:
                self.loop.remove_writer(self.server.fd)
            self.server.close()
            self.client.close()


class _Listener:
    """A route's listening socket: it counts the clients and starts a link for each."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, route: Route, delay: float, counters: Counters
    ) -> None:
        self.loop = loop
        self.route = route
        self.delay = delay
        self.counters = counters
        # Resolved once: routes name addresses, and a lookup per connection costs CPU.
        family, _type, _proto, _name, self.target = socket.getaddrinfo(
            route.to_host, route.to_port, type=socket.SOCK_STREAM
        )[0]
        self.family = socket.AddressFamily(family)
        listen_family = socket.getaddrinfo(
            route.listen_host, route.listen_port, type=socket.SOCK_STREAM
        )[0][0]
        self.sock = socket.create_server(
            (route.listen_host, route.listen_port), family=listen_family, backlog=512
        )
        self.sock.setblocking(False)
        loop.add_reader(self.sock.fileno(), self._accept)

    def _accept(self) -> None:
        for _attempt in range(512):  # then let the loop run the links' callbacks too
            try:
                client, _address = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError:
                # Out of file descriptors, say: as asyncio does, accept again a second later.
                fd = self.sock.fileno()
                self.loop.remove_reader(fd)
                self.loop.call_later(1.0, self.loop.add_reader, fd, self._accept)
                return
            accepted = self.counters.accepted
            accepted[self.route.key] = accepted.get(self.route.key, 0) + 1
            try:
                _Link(self, client)
            except OSError:
                client.close()  # no socket for the server side: closed, as a refusal is

    def close(self) -> None:
        self.loop.remove_reader(self.sock.fileno())
        self.sock.close()


def _control(counters: Counters):  # noqa: ANN202 - a closure
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).strip().decode("ascii", "replace")
        if line in ("count", "reset"):
            writer.write(json.dumps(counters.snapshot(reset=line == "reset")).encode() + b"\n")
        else:
            writer.write(b'{"error": "say count or reset"}\n')
        await writer.drain()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()

    return handle


async def serve(routes: Sequence[Route], delay: float, control: tuple[str, int]) -> None:
    counters = Counters(accepted={r.key: 0 for r in routes})
    loop = asyncio.get_running_loop()
    listeners = [_Listener(loop, r, delay, counters) for r in routes]
    # The control port is asked a few times per run: streams are simpler and cost nothing.
    server = await asyncio.start_server(_control(counters), *control)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)  # the parent waits for this line
    await stop.wait()
    for listener in listeners:
        listener.close()
    server.close()


def ask(control: tuple[str, int], command: str = "count") -> dict[str, int]:
    """Ask a running relay for its counters (blocking; for the benchmark driver)."""
    with socket.create_connection(control, timeout=5) as sock:
        sock.sendall(command.encode() + b"\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    return json.loads(data)


@contextlib.contextmanager
def running(routes: Sequence[str], delay: float, control: tuple[str, int]) -> Iterator[int]:
    """This relay as a process of its own for the block; yields its id (for its CPU time)."""
    proc = subprocess.Popen(
        [
            *(sys.executable, __file__, "--delay", str(delay)),
            *("--control", f"{control[0]}:{control[1]}", *routes),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if proc.stdout is None or proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the relay did not start")
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.025, help="seconds per direction")
    parser.add_argument("--control", required=True, help="HOST:PORT of the control listener")
    parser.add_argument("routes", nargs="+", help="LISTEN_HOST:PORT=TO_HOST:PORT")
    args = parser.parse_args(argv)
    host, _sep, port = args.control.rpartition(":")
    asyncio.run(serve([Route.parse(r) for r in args.routes], args.delay, (host, int(port))))


if __name__ == "__main__":
    main()
