"""A TCP relay on loopback that adds latency and counts connections.

This kernel has no netem, so latency is added in user space: every chunk read from either
side is held for ``delay`` seconds before it is written on (the two directions are separate
queues, so pipelined data stays pipelined: the relay adds latency, not a bandwidth limit).
A new connection also costs the round trip of a TCP handshake: the first bytes reach the
server no earlier than ``3 * delay`` after the client connected, as on a real path.

Run it as its own process so its work does not share an event loop (or a GIL) with the
prober being timed::

    python benchmarks/relay.py --control 127.0.0.40:7000 --delay 0.025 \
        127.0.0.41:5222=127.0.0.11:5222 127.0.0.41:5269=127.0.0.11:5269

The control port answers one line per connection: ``count`` gives a JSON object of accepted
connections per listener (``"127.0.0.41:5222": 12``), ``reset`` zeroes them first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

CHUNK = 65536
# asyncio keeps only weak references to tasks, and a stream server drops its own reference
# when the client closes: hold the handlers here, or a half-closed relay is garbage-collected.
_HANDLERS: set[asyncio.Task[None]] = set()


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


async def _pump(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay: float,
    not_before: float,
) -> None:
    """Copy one direction, each chunk written ``delay`` after it was read."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def read() -> None:
        try:
            while data := await reader.read(CHUNK):
                queue.put_nowait((max(time.monotonic(), not_before) + delay, data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait((max(time.monotonic(), not_before) + delay, b""))

    async def write() -> None:
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        # The peer closed its side: pass the half-close on, as TCP would.
        if writer.can_write_eof():
            writer.write_eof()

    reading = asyncio.ensure_future(read())
    try:
        await write()
    except (ConnectionError, OSError):
        reading.cancel()
    finally:
        with contextlib.suppress(BaseException):
            await reading


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


def _handler(route: Route, delay: float, counters: Counters):  # noqa: ANN202 - a closure
    async def handle(c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            _HANDLERS.add(task)
            task.add_done_callback(_HANDLERS.discard)
        counters.accepted[route.key] = counters.accepted.get(route.key, 0) + 1
        accepted = time.monotonic()
        # The TCP handshake's round trip: the server sees the connection one RTT later.
        if delay:
            await asyncio.sleep(2 * delay)
        try:
            s_reader, s_writer = await asyncio.open_connection(route.to_host, route.to_port)
        except OSError:
            c_writer.transport.abort()  # a reset, as the client would see from the server
            return
        ready = accepted + 2 * delay
        try:
            await asyncio.gather(
                _pump(c_reader, s_writer, delay, ready),
                _pump(s_reader, c_writer, delay, ready),
            )
        finally:
            await _close(s_writer)
            await _close(c_writer)

    return handle


def _control(counters: Counters):  # noqa: ANN202 - a closure
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).strip().decode("ascii", "replace")
        if line in ("count", "reset"):
            writer.write(json.dumps(counters.snapshot(reset=line == "reset")).encode() + b"\n")
        else:
            writer.write(b'{"error": "say count or reset"}\n')
        await writer.drain()
        await _close(writer)

    return handle


async def serve(routes: Sequence[Route], delay: float, control: tuple[str, int]) -> None:
    counters = Counters(accepted={r.key: 0 for r in routes})
    servers = [
        await asyncio.start_server(
            _handler(r, delay, counters), r.listen_host, r.listen_port, backlog=512
        )
        for r in routes
    ]
    servers.append(await asyncio.start_server(_control(counters), *control))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)  # the parent waits for this line
    await stop.wait()
    for server in servers:
        server.close()


def ask(control: tuple[str, int], command: str = "count") -> dict[str, int]:
    """Ask a running relay for its counters (blocking; for the benchmark driver)."""
    import socket

    with socket.create_connection(control, timeout=5) as sock:
        sock.sendall(command.encode() + b"\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    return json.loads(data)


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
