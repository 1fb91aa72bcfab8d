"""Start-up cost of ``tls_info``, and what each module's AnsiballZ payload ships.

Start-up: ``ansible localhost -m xmpp.encryption.tls_info`` against a closed port (a bound
socket that does not listen, so the probe itself ends in about 0.01 s) beside
``ansible localhost -m ansible.builtin.ping``, interleaved, each as a process of its own.
CPU is user + system of the whole process tree (``wait4``: ansible, its worker and the
module's interpreter); the extra cost is the difference of the medians. It is what every
``tls_info`` task pays before it probes: building the payload on the controller, and
unpacking, compiling (zipimport caches no bytecode) and importing it on the target::

    python benchmarks/startup.py [--runs 9] [--json FILE]

Wall gap (``--server``): the same beside a real server, what a task pays beyond the probe's
own ``elapsed`` when it probes something: the wall time of ``tls_info`` minus that of ping
minus ``elapsed`` (medians), against a throwaway Prosody of its own (the lab's image, not the
lab's servers; on 127.0.0.201) behind the benchmark's relay (127.0.0.202), which delays each
direction by ``--delay`` (25 ms: a 50 ms round trip). Needs docker and the lab's image.

Payload (``--payload``): for each module of ``plugins/modules``, the collection's
module_utils files Ansible's own finder (``module_common.recursive_finder``) puts in its
payload and their lines, and whether a module that runs on managed servers (the list in
scripts/check_layers.py) ships prober, grading, report or fleet code (exit status 1 if one does).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.relay import ask, running  # noqa: E402
from lab.throwaway import remove, remove_named, seed, start_seeded, wait_ready  # noqa: E402
from scripts.check_layers import CONTROLLER_ONLY, MANAGED_NODE_MODULES  # noqa: E402

COLLECTIONS = REPO / ".build" / "collections"
FQCN = "xmpp.encryption"
PACKAGE = "ansible_collections/xmpp/encryption/plugins/module_utils/"
# The wall gap's own server and relay: addresses no lab server, fleet or profile uses.
WALL_PREFIX = "xmpp-bench-wall-"
WALL_SERVER = "127.0.0.201"
WALL_RELAY = "127.0.0.202"
WALL_CONTROL = ("127.0.0.202", 7202)
WALL_DOMAIN = "wall.bench.test"
WALL_CONFIG = f"""\
-- Throwaway server for the benchmark's wall gap: Prosody's defaults, a self-signed certificate.
pidfile = "/run/prosody/prosody.pid"
data_path = "/var/lib/prosody"
log = {{ info = "/var/log/prosody/prosody.log"; error = "/var/log/prosody/prosody.err" }}
modules_enabled = {{ "saslauth"; "tls"; "dialback"; "disco"; "admin_shell"; "posix" }}
interfaces = {{ "*" }}
c2s_ports = {{ 5222 }}
authentication = "internal_hashed"
storage = "internal"
certificates = "certs"
VirtualHost "{WALL_DOMAIN}"
"""


@dataclass(frozen=True)
class Run:
    cpu: float  # user + system seconds of the process tree
    wall: float


@dataclass(frozen=True)
class Startup:
    runs: int
    ping_cpu: float  # medians
    ping_wall: float
    module_cpu: float
    module_wall: float
    probe_elapsed: float  # the module's own ``elapsed``: the probe without start-up
    load: float  # the 1-minute load average at the end: other work on the cores skews both

    @property
    def extra_cpu(self) -> float:
        return self.module_cpu - self.ping_cpu

    @property
    def extra_wall(self) -> float:
        return self.module_wall - self.ping_wall

    def as_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "extra_cpu": self.extra_cpu, "extra_wall": self.extra_wall}


@dataclass(frozen=True)
class WallGap:
    runs: int
    delay: float  # seconds added per direction
    ping_wall: float  # medians
    module_wall: float
    probe_elapsed: float
    connections: float  # the relay's count per tls_info run: it went through the relay
    load: float

    @property
    def gap(self) -> float:
        """Wall time beyond a ping and the probe itself: what the goal bounds (0.3 s)."""
        return self.module_wall - self.ping_wall - self.probe_elapsed

    def as_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "gap": self.gap}


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (nothing else takes it), not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def ansible_env() -> dict[str, str]:
    env = {**os.environ, "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_NOCOLOR": "1"}
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))
    return env


def run_ansible(module: str, args: str | None = None) -> tuple[Run, dict]:
    """One ``ansible localhost -m MODULE``: its CPU and wall time, and the module's result."""
    argv = [str(Path(sys.executable).parent / "ansible"), "localhost", "-m", module]
    if args:
        argv += ["-a", args]
    with tempfile.TemporaryFile() as out:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=ansible_env())
        # wait4, not wait: its usage counts the children ansible reaped (worker, module).
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if proc.returncode != 0 or "=>" not in text:
        raise RuntimeError(f"ansible -m {module} failed ({proc.returncode}): {text[-500:]}")
    return Run(usage.ru_utime + usage.ru_stime, wall), json.loads(text.split("=>", 1)[1])


def measure(runs: int = 9) -> Startup:
    """Median CPU and wall time of ping and of tls_info on a closed port, interleaved.

    One unmeasured round first (disk cache); the order flips every round so that a slow
    drift of the machine weighs on both alike.
    """
    with closed_port() as port:
        commands = {
            "ping": ("ansible.builtin.ping", None),
            "module": (f"{FQCN}.tls_info", f"host=127.0.0.1 port={port} domain=example.org"),
        }
        samples: dict[str, list[Run]] = {name: [] for name in commands}
        elapsed: list[float] = []
        for round_ in range(runs + 1):
            order = list(commands) if round_ % 2 else list(reversed(commands))
            for name in order:
                run, result = run_ansible(*commands[name])
                code = (result.get("error") or {}).get("code")
                if name == "module" and code != "connect-refused":
                    raise RuntimeError(f"tls_info did not meet a closed port: {result}")
                if round_:
                    samples[name].append(run)
                    if name == "module":
                        elapsed.append(float(result["elapsed"]))
    med = {
        name: (statistics.median(r.cpu for r in s), statistics.median(r.wall for r in s))
        for name, s in samples.items()
    }
    load = os.getloadavg()[0]
    return Startup(runs, *med["ping"], *med["module"], statistics.median(elapsed), load)


@contextmanager
def relayed_server(delay: float) -> Iterator[tuple[str, str]]:
    """A Prosody of this run's own behind the relay; yields the relay's address and the CA
    file that verifies the server. Removes both afterwards (and what a broken run left)."""
    remove_named(WALL_PREFIX)
    name = f"{WALL_PREFIX}prosody"
    with tempfile.TemporaryDirectory(prefix=WALL_PREFIX) as tmp:
        seed_dir = seed(Path(tmp), WALL_DOMAIN, WALL_CONFIG)
        try:
            start_seeded(name, WALL_SERVER, seed_dir, (5222,))
            wait_ready(name, WALL_SERVER, WALL_DOMAIN)
            with running([f"{WALL_RELAY}:5222={WALL_SERVER}:5222"], delay, WALL_CONTROL):
                yield WALL_RELAY, str(seed_dir / "ca" / "self.crt")
        finally:
            remove([name])


def measure_wall(runs: int = 9, delay: float = 0.025) -> WallGap:
    """Median wall time of ping and of a full tls_info probe of a relayed server, interleaved.

    As ``measure``: one unmeasured round first, the order flipped every round. A run that
    did not probe the server completely, or not through the relay, fails the measurement.
    """
    with relayed_server(delay) as (address, ca):
        commands = {
            "ping": ("ansible.builtin.ping", None),
            "module": (
                f"{FQCN}.tls_info",
                f"host={address} port=5222 domain={WALL_DOMAIN} ca_path={ca}",
            ),
        }
        walls: dict[str, list[float]] = {name: [] for name in commands}
        elapsed: list[float] = []
        connections: list[int] = []
        for round_ in range(runs + 1):
            order = list(commands) if round_ % 2 else list(reversed(commands))
            for name in order:
                if name == "module":
                    ask(WALL_CONTROL, "reset")
                run, result = run_ansible(*commands[name])
                if name == "module":
                    count = ask(WALL_CONTROL, "count")[f"{address}:5222"]
                    if result.get("error") or not (result.get("tls") or {}).get("complete"):
                        raise RuntimeError(f"tls_info did not probe the server: {result}")
                    if count == 0:
                        raise RuntimeError("tls_info did not connect through the relay")
                if round_:
                    walls[name].append(run.wall)
                    if name == "module":
                        elapsed.append(float(result["elapsed"]))
                        connections.append(count)
    return WallGap(
        runs,
        delay,
        statistics.median(walls["ping"]),
        statistics.median(walls["module"]),
        statistics.median(elapsed),
        statistics.median(connections),
        os.getloadavg()[0],
    )


def wall_table(w: WallGap) -> str:
    label = f"+{w.delay * 1000:.0f} ms each way"
    return "\n".join(
        [
            f"| wall gap ({w.runs} runs, medians; load {w.load:.1f}) | wall s |",
            "|---|---:|",
            f"| ansible.builtin.ping | {w.ping_wall:.3f} |",
            f"| {FQCN}.tls_info, Prosody {label} ({w.connections:.0f} connections) "
            f"| {w.module_wall:.3f} |",
            f"| the probe itself (``elapsed``) | {w.probe_elapsed:.3f} |",
            f"| tls_info - ping - elapsed (goal: <= 0.3) | {w.gap:.3f} |",
        ]
    )


def startup_table(s: Startup) -> str:
    return "\n".join(
        [
            f"| start-up ({s.runs} runs, medians; load {s.load:.1f}) | CPU s | wall s |",
            "|---|---:|---:|",
            f"| ansible.builtin.ping | {s.ping_cpu:.3f} | {s.ping_wall:.3f} |",
            f"| {FQCN}.tls_info, closed port | {s.module_cpu:.3f} | {s.module_wall:.3f} |",
            f"| tls_info - ping (goal: CPU <= 0.3) | {s.extra_cpu:.3f} | {s.extra_wall:.3f} |",
            f"| the probe itself (``elapsed``) | - | {s.probe_elapsed:.3f} |",
        ]
    )


@dataclass(frozen=True)
class Payload:
    module: str
    files: dict[str, int]  # the collection's module_utils files shipped: lines each
    module_lines: int  # the module file itself
    ansible_lines: int  # ansible's own module_utils, which every module ships

    @property
    def packages(self) -> list[str]:
        return sorted({path.split("/")[0] for path in self.files if "/" in path})

    @property
    def lines(self) -> int:
        return sum(self.files.values())

    @property
    def forbidden(self) -> list[str]:
        """Packages a module that runs on managed servers ships but must not."""
        if not self.module.startswith(MANAGED_NODE_MODULES):
            return []
        return [p for p in self.packages if p in CONTROLLER_ONLY]


def payloads(modules_dir: Path = REPO / "plugins" / "modules") -> list[Payload]:
    """What Ansible's own dependency finder puts in each module's payload.

    It installs Ansible's collection loader: call it in a process that has not imported the
    collection some other way (``--payload`` does).
    """
    # Imported here: ansible's controller code is only needed for this table.
    from ansible._internal._ansiballz._builder import ExtensionManager
    from ansible.executor.module_common import recursive_finder
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=[str(COLLECTIONS)])._install()
    now = datetime.datetime.now(datetime.UTC)
    result: list[Payload] = []
    for path in sorted(modules_dir.glob("*.py")):
        fqn = f"ansible_collections.xmpp.encryption.plugins.modules.{path.stem}"
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(), "w") as zf:
            recursive_finder(path.stem, fqn, data, zf, now, ExtensionManager())
            shipped = {name: zf.read(name).count(b"\n") for name in zf.namelist()}
        ours = {n[len(PACKAGE) :]: lines for n, lines in shipped.items() if n.startswith(PACKAGE)}
        theirs = sum(lines for n, lines in shipped.items() if n.startswith("ansible/"))
        result.append(Payload(path.stem, ours, data.count(b"\n"), theirs))
    return result


def payload_table(rows: Sequence[Payload]) -> str:
    lines = [
        "| module | module_utils files | their lines | module lines | ansible's lines "
        "| packages | prober/grading/report/fleet on a managed server |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for p in rows:
        on_server = (
            ", ".join(p.forbidden) or "none" if p.module.startswith(MANAGED_NODE_MODULES) else "-"
        )
        files = sum(1 for name in p.files if not name.endswith("__init__.py"))
        lines.append(
            f"| {p.module} | {files} | {p.lines} | {p.module_lines} | {p.ansible_lines} "
            f"| {' '.join(p.packages)} | {on_server} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="measured runs of each command")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--payload", action="store_true", help="print each module's payload instead"
    )
    parser.add_argument("--files", action="store_true", help="with --payload: list the files")
    parser.add_argument(
        "--server",
        action="store_true",
        help="the wall gap against a throwaway Prosody behind the relay instead (docker)",
    )
    parser.add_argument("--delay", type=float, default=0.025, help="with --server: per direction")
    args = parser.parse_args(argv)
    if args.payload:
        rows = payloads()
        print(payload_table(rows))
        if args.files:
            for p in rows:
                print(f"\n{p.module}: " + ", ".join(f"{n} ({c})" for n, c in p.files.items()))
        if args.json:
            write_json(args.json, [asdict(p) for p in rows])
        return 1 if any(p.forbidden for p in rows) else 0
    if args.server:
        wall = measure_wall(args.runs, args.delay)
        print(wall_table(wall))
        if args.json:
            write_json(args.json, wall.as_dict())
        return 0
    result = measure(args.runs)
    print(startup_table(result))
    if args.json:
        write_json(args.json, result.as_dict())
    return 0


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
