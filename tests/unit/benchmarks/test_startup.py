"""benchmarks/startup.py and its place in bench.py: payloads, the closed port, the report."""

import contextlib
import importlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _load(name: str):
    """Import a benchmark script as ``benchmarks.NAME``, as bench.py itself does."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    spec = importlib.util.spec_from_file_location(
        f"benchmarks.{name}", REPO / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


startup = _load("startup")
MANAGED = ("prosody_config", "prosody_config_info", "prosody_sessions", "certificate_check")


@pytest.fixture(scope="module")
def payloads(tmp_path_factory):
    # A process of its own: the table needs Ansible's collection loader, which cannot take
    # over a collection this test session has already imported from the plain path.
    out = tmp_path_factory.mktemp("payload") / "payload.json"
    script = REPO / "benchmarks" / "startup.py"
    # Exit status 1 when a managed-server module ships what it must not: the test says which.
    subprocess.run([sys.executable, script, "--payload", "--json", out], check=False)
    return {row["module"]: startup.Payload(**row) for row in json.loads(out.read_text())}


def test_every_module_has_a_payload_row(payloads):
    modules = {p.stem for p in (REPO / "plugins" / "modules").glob("*.py")}
    assert set(payloads) == modules
    assert all(p.lines > 0 and p.ansible_lines > 0 for p in payloads.values())


def test_modules_on_managed_servers_ship_no_prober_grading_report_or_fleet(payloads):
    for name in MANAGED:
        assert payloads[name].packages, name
        assert payloads[name].forbidden == [], name
    managed = [p for p in payloads.values() if p.module.startswith(startup.MANAGED_NODE_MODULES)]
    assert all(not p.forbidden for p in managed)


def test_tls_info_ships_the_prober_and_nothing_above_it(payloads):
    # Grading, reports, DNS and the fleet are other modules' business: every line shipped is
    # parsed on the controller and compiled on the target at every call.
    shipped = set(payloads["tls_info"].packages)
    assert {"_probe", "_tls", "_x509"} <= shipped
    assert not shipped & {"_grading", "_report", "_fleet", "_dns", "_certificate", "_prosody"}


def test_prober_code_on_a_managed_server_is_flagged():
    shipped = {"_prosody/lua.py": 600, "_probe/stream.py": 700, "_grading/grade.py": 150}
    on_server = startup.Payload("prosody_config", shipped, 200, 10000)
    assert on_server.forbidden == ["_grading", "_probe"]
    assert on_server.lines == 1450
    assert startup.Payload("tls_info", shipped, 300, 10000).forbidden == []
    table = startup.payload_table([on_server])
    assert (
        "| prosody_config | 3 | 1450 | 200 | 10000 | _grading _probe _prosody | _grading, _probe |"
        in table
    )


def test_closed_port_refuses_connections():
    with startup.closed_port() as port, pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_one_tls_info_run_against_a_closed_port_is_measured():
    with startup.closed_port() as port:
        run, result = startup.run_ansible(
            "xmpp.encryption.tls_info", f"host=127.0.0.1 port={port} domain=example.org"
        )
    assert result["error"]["code"] == "connect-refused"
    assert run.cpu > 0
    assert run.wall > 0


def test_bench_measures_startup_alone_without_the_lab(monkeypatch, tmp_path, capsys):
    bench = _load("bench")
    figures = startup.Startup(3, 1.0, 1.1, 1.2, 1.4, 0.01, 0.5)
    monkeypatch.setattr(bench, "measure_startup", lambda runs: figures)
    monkeypatch.setattr(bench, "OUT", tmp_path)
    monkeypatch.setattr(bench, "lab", lambda: pytest.fail("the lab was used"))
    bench.main(["--tools", "startup"])
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["startup"]["extra_cpu"] == pytest.approx(0.2)
    assert written["startup"]["extra_wall"] == pytest.approx(0.3)
    assert written["rows"] == []
    assert written["fleet"] == []
    out = capsys.readouterr().out
    assert "| tls_info - ping (goal: CPU <= 0.3) | 0.200 | 0.300 |" in out


def test_tls_info_loads_no_certificate_checks_until_a_certificate_comes():
    # What tls_info imports and runs against an endpoint that sends no certificate: the
    # certificate checks (and what only they import) stay unloaded, in a fresh interpreter:
    # only the domain conversion (for SNI) and the caller-error type are loaded.
    code = """if True:
        import socket, sys
        from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
            run_probe,
        )
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            result = run_probe({"host": "127.0.0.1", "port": sock.getsockname()[1]})
        assert result["error"]["code"] == "connect-refused", result
        print(",".join(sorted(m.rsplit(".", 1)[1] for m in sys.modules if "._x509." in m)))
    """
    env = {**os.environ, "PYTHONPATH": str(REPO / ".build" / "collections")}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert proc.stdout.split() == ["domain,errors"]


def test_the_checks_error_is_the_one_tls_info_catches():
    mu = "ansible_collections.xmpp.encryption.plugins.module_utils"
    check = importlib.import_module(f"{mu}._x509.check")
    endpoint = importlib.import_module(f"{mu}._probe.endpoint")
    assert endpoint.X509CheckError is check.X509CheckError
    with pytest.raises(endpoint.X509CheckError):
        endpoint.run_probe({"host": "127.0.0.1", "port": 1, "ca_path": "/nonexistent/ca.pem"})


def test_bench_measures_the_wall_gap_alone_without_the_lab(monkeypatch, tmp_path, capsys):
    bench = _load("bench")
    figures = startup.WallGap(5, 0.025, 1.0, 2.5, 1.2, 27, 0.5)
    asked = []
    monkeypatch.setattr(bench, "measure_wall", lambda runs, delay: asked.append(delay) or figures)
    monkeypatch.setattr(bench, "measure_startup", lambda runs: pytest.fail("startup measured"))
    monkeypatch.setattr(bench, "OUT", tmp_path)
    monkeypatch.setattr(bench, "lab", lambda: pytest.fail("the lab was used"))
    bench.main(["--tools", "wall", "--delay", "0.025"])
    assert asked == [0.025]
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["wall"]["gap"] == pytest.approx(0.3)
    assert written["startup"] is None
    assert written["rows"] == []
    out = capsys.readouterr().out
    assert "| tls_info - ping - elapsed (goal: <= 0.3) | 0.300 |" in out
    assert "+25 ms each way (27 connections) | 2.500 |" in out


def _fake_wall_runs(monkeypatch, result: dict, count: int) -> None:
    @contextlib.contextmanager
    def server(_delay):
        yield "127.0.0.202", "/ca.pem"

    def run(module, _args=None):
        return startup.Run(1.0, 2.0 if "tls_info" in module else 1.0), result

    monkeypatch.setattr(startup, "relayed_server", server)
    monkeypatch.setattr(startup, "run_ansible", run)
    monkeypatch.setattr(startup, "ask", lambda _c, _cmd: {"127.0.0.202:5222": count})


def test_wall_gap_is_module_minus_ping_minus_elapsed(monkeypatch):
    _fake_wall_runs(monkeypatch, {"error": None, "tls": {"complete": True}, "elapsed": 0.8}, 27)
    wall = startup.measure_wall(runs=3)
    assert (wall.ping_wall, wall.module_wall, wall.probe_elapsed) == (1.0, 2.0, 0.8)
    assert wall.gap == pytest.approx(0.2)
    assert wall.connections == 27


@pytest.mark.parametrize(
    ("result", "count", "message"),
    [
        ({"error": {"code": "connect-refused"}, "tls": None, "elapsed": 0.1}, 1, "did not probe"),
        ({"error": None, "tls": {"complete": False}, "elapsed": 0.8}, 27, "did not probe"),
        ({"error": None, "tls": {"complete": True}, "elapsed": 0.8}, 0, "through the relay"),
    ],
)
def test_wall_gap_refuses_a_run_that_did_not_probe_the_relayed_server(
    monkeypatch, result, count, message
):
    _fake_wall_runs(monkeypatch, result, count)
    with pytest.raises(RuntimeError, match=message):
        startup.measure_wall(runs=3)


def test_relay_runs_as_a_process_and_counts_its_connections():
    relay = _load("relay")
    with socket.socket() as target:
        target.bind(("127.0.0.1", 0))
        target.listen()
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            listen = free.getsockname()[1]
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            control = ("127.0.0.1", free.getsockname()[1])
        route = f"127.0.0.1:{listen}=127.0.0.1:{target.getsockname()[1]}"
        with relay.running([route], 0.0, control) as pid:
            assert pid > 0
            socket.create_connection(("127.0.0.1", listen), timeout=2).close()
            target.settimeout(5)
            target.accept()[0].close()
            assert relay.ask(control) == {f"127.0.0.1:{listen}": 1}


def test_seed_holds_a_config_a_certificate_for_the_domain_and_its_ca(tmp_path):
    throwaway = importlib.import_module("lab.throwaway")
    seed = throwaway.seed(tmp_path, "wall.test", "-- config\n")
    assert (seed / "prosody.cfg.lua").read_text() == "-- config\n"
    cert = (seed / "certs" / "wall.test" / "fullchain.pem").read_bytes()
    assert cert.startswith(b"-----BEGIN CERTIFICATE-----")
    assert (seed / "ca" / "self.crt").read_bytes() == cert
    assert (seed / "users").read_text() == ""
