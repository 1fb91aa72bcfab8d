"""plugins/modules/acme_responder.py end to end through AnsibleModule; the responder itself
is swapped for a sleep, so no test listens on a port."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.responder import (
    read_record,
    read_stat,
)
from ansible_collections.xmpp.encryption.plugins.modules import acme_responder
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module


def run(args: dict) -> tuple[int, dict]:
    return run_module(acme_responder, args)


@pytest.fixture
def asleep(monkeypatch):
    """The responder's command, recorded; a sleep runs in its place."""
    calls = []

    def argv(python, root, port, timeout):
        calls.append((python, root, port, timeout))
        return ["sleep", "60"]

    monkeypatch.setattr(acme_responder, "http01_argv", argv)
    return calls


def test_start_then_stop_by_name(tmp_path, asleep):
    state = str(tmp_path / "state")
    args = {"name": "a.test", "root": str(tmp_path), "port": 8080, "timeout": 30}
    rc, out = run({**args, "state_dir": state})
    assert rc == 0, out
    assert asleep == [(sys.executable, str(tmp_path), 8080, 30)]
    assert out["changed"] is True
    assert out["argv"] == ["sleep", "60"]
    assert out["log"] == f"{state}/a.test.log"
    assert read_stat(out["pid"]).start_time == out["start_time"]
    assert read_record(state, "a.test").pid == out["pid"]

    rc, stopped = run({"name": "a.test", "state": "stopped", "state_dir": state})
    assert rc == 0
    assert stopped["changed"] is True
    assert stopped["pid"] == out["pid"]
    ended = read_stat(out["pid"])  # a zombie until this test process, its parent, reaps it
    assert ended is None or ended.state == "Z"
    assert read_record(state, "a.test") is None

    rc, again = run({"name": "a.test", "state": "stopped", "state_dir": state})
    assert (rc, again["changed"], "pid" in again) == (0, False, False)


def test_check_mode_starts_and_stops_nothing(tmp_path, asleep):
    state = str(tmp_path / "state")
    check = {"state_dir": state, "_ansible_check_mode": True}
    rc, out = run({"name": "a.test", "root": str(tmp_path), **check})
    assert (rc, out["changed"], out["argv"]) == (0, True, ["sleep", "60"])
    assert read_record(state, "a.test") is None

    rc, out = run({"name": "a.test", "root": str(tmp_path), "state_dir": state})
    rc, checked = run({"name": "a.test", "state": "stopped", **check})
    assert (rc, checked["changed"], checked["pid"]) == (0, True, out["pid"])
    assert read_record(state, "a.test").pid == out["pid"]
    run({"name": "a.test", "state": "stopped", "state_dir": state})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "a.test"}, "state is started but all of the following are missing: root"),
        ({"name": "../a", "state": "stopped"}, "invalid responder name '../a'"),
        ({"name": "a.test", "root": "/nonexistent/dir"}, "/nonexistent/dir, does not exist"),
    ],
)
def test_bad_input_fails_with_the_reason(tmp_path, asleep, args, message):
    rc, out = run({**args, "state_dir": str(tmp_path)})
    assert rc == 1
    assert message in out["msg"]
    assert asleep == []
