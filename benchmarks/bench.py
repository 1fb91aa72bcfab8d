"""`make bench`: this prober beside sslyze and testssl.sh on the lab's endpoints.

For each lab server's c2s and s2s STARTTLS port, on bare loopback and again through a relay
that delays each direction by ``--delay`` (25 ms: a 50 ms round trip, a nearby server), it
times, each as a process of its own:

- ``prober``: the collection's core (``_probe.endpoint``) doing a full probe (features,
  versions, suites, groups, certificate) through ``benchmarks/probe.py``;
- ``tls_info``: the same through Ansible (``ansible localhost -m xmpp.encryption.tls_info``);
- ``sslyze``: sslyze 6.3's default (full) scan;
- ``sslyze-same``: sslyze limited to what the prober reports (suites per version, curves,
  certificate);
- ``testssl``: testssl.sh with protocols, each cipher per protocol, server defaults and
  forward secrecy (``-p -E -S -f``); by default on one endpoint only, it takes minutes.

Before the lab, ``startup``: the CPU and wall time ``tls_info`` costs beyond an Ansible ping
when the probe itself costs nothing (a closed port; ``benchmarks/startup.py``). It needs no
lab: ``--tools startup`` measures it alone. Then ``wall``: the wall time ``tls_info`` takes
beyond a ping and the probe's own ``elapsed`` when it does probe, against a Prosody of its
own (the lab's image in a throwaway container, not a lab server) behind the relay at
``--delay``; ``--tools wall`` measures it alone (docker and the image, no lab).

Connections are counted by the relay (accepted connections per listener) for every tool;
the prober also counts its own. Then a fleet: 30 endpoints (c2s and s2s of 15 servers,
copies of the lab's three as they are, each its own Prosody process) probed together
against one of them, both ways, with the CPU time the prober, the relay and those servers
used meanwhile: they share this machine's cores, so a fleet run here is bounded by their sum.
The table goes to stdout; everything measured to ``.build/bench/results.json``.
Nothing here asserts a figure: the goals are reported beside what was measured.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.peers import (  # noqa: E402
    SSLYZE_COMPARABLE,
    PeerError,
    run_sslyze,
    run_testssl,
)
from benchmarks.relay import ask, running  # noqa: E402
from benchmarks.startup import (  # noqa: E402
    Startup,
    WallGap,
    measure_wall,
    startup_table,
    wall_table,
)
from benchmarks.startup import measure as measure_startup  # noqa: E402
from lab.throwaway import docker, remove, remove_named, wait_ready  # noqa: E402

LAB_DIR = Path(os.environ.get("XMPP_LAB_DIR", REPO / ".lab"))
OUT = REPO / ".build" / "bench"
PYTHON = sys.executable
STREAM_PORTS = {"c2s": 5222, "s2s": 5269}
RELAY_BASE = 41  # 127.0.0.41.. relay the lab's servers one by one
CONTROL = ("127.0.0.40", 7040)
# The fleet run: 30 endpoints, the c2s and s2s ports of 15 servers, each its own copy of a
# lab server (five of each) publishing on 127.0.0.101.. and relayed from 127.0.0.61..
FLEET_SERVERS = 15
FLEET_BASE = 101
FLEET_RELAY_BASE = 61
FLEET_PREFIX = "xmpp-lab-fleet-"


@dataclass(frozen=True)
class Endpoint:
    server: str
    address: str
    port: int
    domain: str
    stream: str

    @property
    def name(self) -> str:
        return f"{self.server}-{self.stream}"

    def via(self, address: str) -> Endpoint:
        return Endpoint(self.server, address, self.port, self.domain, self.stream)

    def spec(self) -> str:
        return f"{self.address}:{self.port}:{self.domain}:{self.stream}"


@dataclass(frozen=True)
class Row:
    condition: str  # loopback | +25ms
    endpoint: str
    tool: str
    seconds: float | None
    connections: int | None
    note: str = ""


def lab() -> dict:
    path = LAB_DIR / "lab.json"
    if not path.exists():
        sys.exit(f"{path} is missing: bring the lab up (lab/lab.sh up)")
    return json.loads(path.read_text())


def endpoints(doc: dict) -> list[Endpoint]:
    return [
        Endpoint(s["name"], s["address"], s["ports"][stream], s["domain"], stream)
        for s in doc["servers"]
        for stream in STREAM_PORTS
    ]


@contextmanager
def relay(routes: Sequence[str], delay: float) -> Iterator[int]:
    """Run the relay for the block; yields its process id (for its CPU time)."""
    with running(routes, delay, CONTROL) as pid:
        yield pid


def counted(fn, key: str | None) -> tuple[object, float, int | None]:  # noqa: ANN001
    """Run ``fn`` and return its value, its wall time and the relay's count for ``key``."""
    if key:
        ask(CONTROL, "reset")
    started = time.monotonic()
    value = fn()
    elapsed = time.monotonic() - started
    return value, elapsed, (ask(CONTROL, "count").get(key) if key else None)


def run_prober(specs: Sequence[str], ca: str) -> dict:
    proc = subprocess.run(
        [PYTHON, str(REPO / "benchmarks" / "probe.py"), "--ca", ca, *specs],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(proc.stdout)


def run_module(ep: Endpoint, ca: str) -> dict:
    args = f"host={ep.address} port={ep.port} domain={ep.domain} stream={ep.stream} ca_path={ca}"
    proc = subprocess.run(
        [
            *(str(Path(PYTHON).parent / "ansible"), "localhost"),
            *("-m", "xmpp.encryption.tls_info", "-a", args, "-o"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "ANSIBLE_LOCALHOST_WARNING": "false"},
        check=False,
    )
    if proc.returncode != 0:
        raise PeerError(f"tls_info failed: {proc.stdout[-500:]}{proc.stderr[-500:]}")
    return json.loads(proc.stdout.split("=>", 1)[1])


def measure_endpoint(
    ep: Endpoint, via: Endpoint, condition: str, ca: str, tools: set[str]
) -> list[Row]:
    """All tools on one endpoint; ``via`` is where they connect (the relay or the server)."""
    key = f"{via.address}:{via.port}" if via.address != ep.address else None
    rows: list[Row] = []

    if "prober" in tools:
        out, wall, conns = counted(lambda: run_prober([via.spec()], ca), key)
        res = out["results"][0]  # type: ignore[index]
        note = f"self-count {res['handshakes']}, in-process {res['elapsed']:.2f}s"
        if res["error"] or not res["complete"]:
            note += f"; INCOMPLETE {res['error']}"
        rows.append(Row(condition, ep.name, "prober", wall, conns or res["handshakes"], note))
    if "tls_info" in tools:
        try:
            res, wall, conns = counted(lambda: run_module(via, ca), key)
            rows.append(Row(condition, ep.name, "tls_info", wall, conns or res["handshakes"]))  # type: ignore[index]
        except PeerError as exc:
            rows.append(Row(condition, ep.name, "tls_info", None, None, str(exc)[:120]))
    for tool, commands in (("sslyze", ()), ("sslyze-same", (*SSLYZE_COMPARABLE, "--certinfo"))):
        if tool not in tools:
            continue
        try:
            (_run, doc), wall, conns = counted(
                lambda c=commands: run_sslyze(
                    via.address, via.port, via.domain, via.stream, commands=c
                ),
                key,
            )
            status = doc["server_scan_results"][0]["scan_status"]  # type: ignore[index]
            note = "" if status == "COMPLETED" else f"sslyze: {status}"
            rows.append(Row(condition, ep.name, tool, wall, conns, note))
        except (PeerError, subprocess.TimeoutExpired) as exc:
            rows.append(Row(condition, ep.name, tool, None, None, str(exc)[:120]))
    if "testssl" in tools:
        try:
            _run, wall, conns = counted(
                lambda: run_testssl(via.address, via.port, via.domain, via.stream), key
            )
            rows.append(Row(condition, ep.name, "testssl", wall, conns))
        except (PeerError, subprocess.TimeoutExpired) as exc:
            rows.append(Row(condition, ep.name, "testssl", None, None, str(exc)[:120]))
    return rows


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time the processes have used so far (those still running)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / ticks


def container_pids(containers: Sequence[str]) -> list[int]:
    """The host's ids of every process in these containers."""
    pids: list[int] = []
    for name in containers:
        out = docker("top", name, "-eo", "pid", check=False).stdout
        pids += [int(line) for line in out.split()[1:] if line.isdigit()]
    return pids


def proxy_pids() -> list[int]:
    """Docker's userland proxies: they carry every connection to a published port."""
    pgrep = ["pgrep", "-x", "docker-proxy"]
    out = subprocess.run(pgrep, capture_output=True, text=True, check=False).stdout  # 1: none
    return [int(pid) for pid in out.split()]


@contextmanager
def fleet_servers(servers: Sequence[dict]) -> Iterator[tuple[list[Endpoint], list[str]]]:
    """Copies of the lab's servers as they are now, five of each, and their 30 endpoints.

    Thirty endpoints that were aliases of the lab's three Prosody processes measured three
    single-threaded servers queueing some 1,250 handshakes, not the prober. Here every two
    endpoints have a process of their own, as every server of a fleet does (they still share
    this machine's cores with each other, the relay and the prober). Yields the endpoints,
    still at the servers' own addresses, and the containers; removes both images and
    containers afterwards.
    """
    remove_named(FLEET_PREFIX)
    containers: list[str] = []
    images: list[str] = []
    try:
        for server in servers:
            images.append(f"xmpp-lab/fleet-{server['name']}:bench")
            docker("commit", server["container"], images[-1])
        endpoints: list[Endpoint] = []
        for i in range(FLEET_SERVERS):
            model = servers[i % len(servers)]
            address = f"127.0.0.{FLEET_BASE + i}"
            containers.append(f"{FLEET_PREFIX}{i}")
            published = [arg for p in STREAM_PORTS.values() for arg in ("-p", f"{address}:{p}:{p}")]
            docker("run", "-d", "--name", containers[-1], *published, images[i % len(images)])
            endpoints += [
                Endpoint(model["name"], address, port, model["domain"], stream)
                for stream, port in STREAM_PORTS.items()
            ]
        for container, ep in zip(containers, endpoints[:: len(STREAM_PORTS)], strict=True):
            wait_ready(container, ep.address, ep.domain)
        yield endpoints, containers
    finally:
        remove(containers)
        for image in images:
            docker("rmi", image, check=False)


def fleet(
    targets: Sequence[Endpoint], condition: str, ca: str, cpu_of: dict[str, Sequence[int]]
) -> dict:
    """One endpoint alone, then all of them together (each with its own connection bound).

    ``cpu_of``: process ids by what they are (relay, servers, docker-proxy), whose CPU time
    while all are probed together is reported beside the prober's: they share its cores.
    """
    one, one_wall, _count = counted(lambda: run_prober([targets[0].spec()], ca), None)
    ask(CONTROL, "reset")
    before = {name: cpu_seconds(pids) for name, pids in cpu_of.items()}
    children = os.times()
    many, many_wall, _count = counted(lambda: run_prober([t.spec() for t in targets], ca), None)
    prober_cpu = sum(os.times()[2:4]) - sum(children[2:4])  # the probe.py child's user + sys
    cpu = {name: cpu_seconds(pids) - before[name] for name, pids in cpu_of.items()}
    relay_count = sum(ask(CONTROL, "count").values())
    results = many["results"]  # type: ignore[index]
    return {
        "condition": condition,
        "endpoints": len(targets),
        "one_wall": one_wall,
        "one_inprocess": one["elapsed"],  # type: ignore[index]
        "many_wall": many_wall,
        "many_inprocess": many["elapsed"],  # type: ignore[index]
        "ratio_inprocess": many["elapsed"] / one["elapsed"],  # type: ignore[index]
        "ratio_wall": many_wall / one_wall,
        "connections": sum(r["handshakes"] for r in results),
        "relay_connections": relay_count,
        "incomplete": sum(1 for r in results if r["error"] or not r["complete"]),
        "cpu_seconds": {"prober": prober_cpu, **cpu},
    }


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| condition | endpoint | tool | wall s | connections | x prober time | note |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    base = {(r.condition, r.endpoint): r.seconds for r in rows if r.tool == "prober"}
    for r in rows:
        ref = base.get((r.condition, r.endpoint))
        ratio = f"{r.seconds / ref:.1f}" if r.seconds and ref else "-"
        secs = f"{r.seconds:.2f}" if r.seconds is not None else "failed"
        conns = str(r.connections) if r.connections is not None else "-"
        lines.append(
            f"| {r.condition} | {r.endpoint} | {r.tool} | {secs} | {conns} | {ratio} | {r.note} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.platform()}, Python {platform.python_version()}"
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, {system}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.025, help="seconds per direction")
    parser.add_argument(
        "--testssl",
        default="b-c2s",
        help="endpoints for testssl.sh (comma-separated names, 'all' or 'none'); it is slow",
    )
    parser.add_argument(
        "--tools",
        default="all",
        help="per-endpoint tools (comma-separated of prober, tls_info, sslyze, sslyze-same), "
        "'all', or 'none' for the fleet run alone; testssl.sh runs only with 'all'; "
        "'startup' adds tls_info's start-up cost and 'wall' its wall gap against a server "
        "of its own; alone, they measure only that (no lab)",
    )
    parser.add_argument(
        "--startup-runs", type=int, default=9, help="runs of each command (startup, wall)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / ".build" / "collections"))
    chosen = set(args.tools.split(","))
    started = datetime.now(UTC)
    startup = None
    if args.tools == "all" or "startup" in chosen:
        # First, while no lab container of this run competes for the cores.
        print("[startup] tls_info beside ping, closed port ...", file=sys.stderr, flush=True)
        startup = measure_startup(args.startup_runs)
    wall = None
    if args.tools == "all" or "wall" in chosen:
        print("[wall] tls_info beside ping, relayed Prosody ...", file=sys.stderr, flush=True)
        wall = measure_wall(args.startup_runs, args.delay)
    if chosen <= {"startup", "wall"}:
        report(started, [], [], startup, args.delay, wall)
        return
    # pip compiled sslyze's modules when it installed them; compile the collection's too, so
    # that no tool pays for compiling its sources at every start.
    compileall.compile_dir(REPO / "plugins", quiet=1)

    doc = lab()
    ca = doc["trust"]["lab_ca"]
    eps = endpoints(doc)
    addresses = {s["name"]: s["address"] for s in doc["servers"]}
    relayed = {name: f"127.0.0.{RELAY_BASE + i}" for i, name in enumerate(sorted(addresses))}
    routes = [f"{relayed[ep.server]}:{ep.port}={ep.address}:{ep.port}" for ep in eps]
    tools_base = {"prober", "tls_info", "sslyze", "sslyze-same"}
    if args.tools != "all":
        tools_base &= set(args.tools.split(","))
        args.testssl = "none"
    if shutil.which("testssl") is None and shutil.which("testssl.sh") is None:
        args.testssl = "none"
    testssl_on = {e.name for e in eps} if args.testssl == "all" else set(args.testssl.split(","))

    rows: list[Row] = []
    fleets: list[dict] = []
    label = f"+{args.delay * 1000:.0f}ms"
    print("[fleet] starting its servers ...", file=sys.stderr, flush=True)
    with fleet_servers(doc["servers"]) as (fleet_eps, containers):
        relayed_fleet = [
            ep.via(f"127.0.0.{FLEET_RELAY_BASE + i // len(STREAM_PORTS)}")
            for i, ep in enumerate(fleet_eps)
        ]
        routes += [
            f"{via.address}:{via.port}={ep.address}:{ep.port}"
            for ep, via in zip(fleet_eps, relayed_fleet, strict=True)
        ]
        # Counting needs the relay: the loopback run goes through one with no delay.
        for condition, delay in (("loopback", 0.0), (label, args.delay)):
            with relay(routes, delay) as relay_pid:
                for ep in eps if tools_base else ():
                    tools = tools_base | ({"testssl"} if ep.name in testssl_on else set())
                    via = ep.via(relayed[ep.server])
                    print(f"[{condition}] {ep.name} ...", file=sys.stderr, flush=True)
                    rows += measure_endpoint(ep, via, condition, ca, tools)
                count = len(relayed_fleet)
                print(f"[{condition}] {count} endpoints together ...", file=sys.stderr, flush=True)
                cpu_of = {
                    "relay": [relay_pid],
                    "servers": container_pids(containers),
                    "docker-proxy": proxy_pids(),
                }
                fleets.append(fleet(relayed_fleet, condition, ca, cpu_of))
    report(started, rows, fleets, startup, args.delay, wall)


def report(
    started: datetime,
    rows: Sequence[Row],
    fleets: Sequence[dict],
    startup: Startup | None,
    delay: float,
    wall: WallGap | None = None,
) -> None:
    """The tables to stdout, everything measured to ``results.json``."""
    print(f"# xmpp.encryption prober vs sslyze and testssl.sh ({started:%Y-%m-%d %H:%M} UTC)")
    print(f"machine: {machine()}\n")
    if startup:
        print(startup_table(startup) + "\n")
    if wall:
        print(wall_table(wall) + "\n")
    if rows:
        print(table(rows))
    if fleets:
        print(
            "\n| condition | endpoints | one s | all together s | ratio | connections | incomplete "
            "| CPU s: prober / relay / servers / docker-proxy |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---|")
    for f in fleets:
        cpu = f["cpu_seconds"]
        print(
            f"| {f['condition']} | {f['endpoints']} | {f['one_wall']:.2f} | {f['many_wall']:.2f} "
            f"| {f['ratio_wall']:.2f} | {f['connections']} | {f['incomplete']} "
            f"| {cpu['prober']:.2f} / {cpu['relay']:.2f} / {cpu['servers']:.2f}"
            f" / {cpu['docker-proxy']:.2f} |"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    result = {
        "date": started.isoformat(),
        "machine": machine(),
        "delay": delay,
        "rows": [asdict(r) for r in rows],
        "fleet": fleets,
        "startup": startup.as_dict() if startup else None,
        "wall": wall.as_dict() if wall else None,
    }
    (OUT / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwritten to {OUT / 'results.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
