"""The slixmpp helper the Molecule scenarios call (tests/integration/xmpp_message.py).

No server here: fake clients stand in for slixmpp's, so what is tested is the account syntax
and what the hold report counts (logged in, survived, TLS sessions dropped, reconnected).
"""

import argparse
import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HELPER = Path(__file__).resolve().parents[2] / "integration" / "xmpp_message.py"
spec = importlib.util.spec_from_file_location("xmpp_message", HELPER)
xm = importlib.util.module_from_spec(spec)
sys.modules["xmpp_message"] = xm  # dataclasses look their module up there
spec.loader.exec_module(xm)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "alice@a.lab.test:pw@127.0.0.2:5222",
            ("alice@a.lab.test", "pw", "127.0.0.2", 5222, "tls"),
        ),
        (
            "tls:alice@a.lab.test:pw@127.0.0.2:5222",
            ("alice@a.lab.test", "pw", "127.0.0.2", 5222, "tls"),
        ),
        (
            "plain:bob@b.lab.test:p:w@127.0.0.3:5222",
            ("bob@b.lab.test", "p:w", "127.0.0.3", 5222, "plain"),
        ),
    ],
)
def test_account_syntax(text, expected):
    a = xm.Account.parse(text)
    assert (a.jid, a.password, a.host, a.port, a.mode) == expected


@pytest.mark.parametrize("text", ["alice@a.lab.test@127.0.0.2:5222", "tls:alice:pw@host:port", ""])
def test_bad_account(text):
    with pytest.raises(argparse.ArgumentTypeError):
        xm.Account.parse(text)


class FakeClient:
    """What the helper uses of slixmpp's ClientXMPP; BEHAVIOUR says what the server does."""

    def __init__(self, session_ref, behaviour, tls):
        self.ref, self.behaviour, self.tls = session_ref, behaviour, tls
        self.transport = SimpleNamespace(get_extra_info=lambda _name: object() if tls else None)
        self.boundjid = SimpleNamespace(domain="a.lab.test")
        self.plugin = {"xep_0199": SimpleNamespace(ping=self.ping)}

    def connect(self, _host, _port):
        s = self.ref[0]
        if self.behaviour == "refuse":
            s.failed = "authentication failed"
        s.started.set()

    async def ping(self, jid, timeout):
        if self.behaviour == "no-pong":
            raise TimeoutError

    def disconnect(self, wait=0):
        pass


def fake_sessions(monkeypatch, behaviours, closed):
    """Accounts in order get the behaviours; accounts whose key is in CLOSED are cut off."""

    def make(account, ca_file, *, tls=None):
        use_tls = account.mode == "tls" if tls is None else tls
        ref = []
        behaviour = behaviours.get((account.key, use_tls), "ok")
        s = xm.Session(account, FakeClient(ref, behaviour, use_tls))
        ref.append(s)
        s.closed_later = account.key in closed and tls is None  # not the TLS reconnect
        return s

    monkeypatch.setattr(xm, "make_session", make)

    original = xm.log_in

    async def log_in(sessions, timeout):
        await original(sessions, timeout)
        for s in sessions:  # the server closes these after login (enforcement)
            if s.closed_later:
                s.disconnects += 1

    monkeypatch.setattr(xm, "log_in", log_in)
    monkeypatch.setattr(asyncio, "sleep", _no_sleep)


async def _no_sleep(_seconds):
    return None


def hold(tmp_path, accounts):
    (tmp_path / "stop").write_text("stop\n")
    args = argparse.Namespace(
        ca_file="ca.pem",
        timeout=1.0,
        account=[xm.Account.parse(a) for a in accounts],
        ready_file=str(tmp_path / "ready"),
        stop_file=str(tmp_path / "stop"),
        max_seconds=1.0,
    )
    return asyncio.run(xm.cmd_hold(args))


TLS_A = "alice@a.lab.test:pw@127.0.0.2:5222"
TLS_B = "tls:bob@b.lab.test:pw@127.0.0.3:5222"
PLAIN_A = "plain:alice@a.lab.test:pw@127.0.0.2:5222"


def test_hold_all_survive_with_a_closed_plaintext_session(monkeypatch, tmp_path):
    fake_sessions(monkeypatch, {}, closed={"alice@a.lab.test/plain"})
    result, ok = hold(tmp_path, [TLS_A, TLS_B, PLAIN_A])
    ready = json.loads((tmp_path / "ready").read_text())
    assert ready == {
        "logged_in": 3,
        "encrypted": {
            "alice@a.lab.test/tls": True,
            "bob@b.lab.test/tls": True,
            "alice@a.lab.test/plain": False,
        },
    }
    assert ok
    assert (result["tls_sessions"], result["tls_dropped"], result["logged_in"]) == (2, 0, 3)
    assert result["survived"] == 2
    plain = [e for e in result["sessions"] if e["mode"] == "plain"]
    assert plain == [
        {
            "jid": "alice@a.lab.test",
            "mode": "plain",
            "logged_in": True,
            "encrypted_at_start": False,
            "disconnects": 1,
            "alive": False,
            "reconnected_over_tls": True,
        }
    ]


def test_hold_a_tls_session_without_pong_is_dropped(monkeypatch, tmp_path):
    fake_sessions(monkeypatch, {("bob@b.lab.test/tls", True): "no-pong"}, closed=set())
    result, ok = hold(tmp_path, [TLS_A, TLS_B])
    assert not ok
    assert (result["logged_in"], result["survived"], result["tls_dropped"]) == (2, 1, 1)


def test_hold_a_tls_session_that_never_logged_in_counts_as_dropped(monkeypatch, tmp_path):
    fake_sessions(monkeypatch, {("bob@b.lab.test/tls", True): "refuse"}, closed=set())
    result, ok = hold(tmp_path, [TLS_A, TLS_B])
    assert not ok
    assert (result["logged_in"], result["survived"], result["tls_dropped"]) == (1, 1, 1)
    assert result["errors"] == {"bob@b.lab.test/tls": "authentication failed"}


def test_hold_a_plaintext_client_that_cannot_come_back(monkeypatch, tmp_path):
    fake_sessions(
        monkeypatch,
        {("alice@a.lab.test/plain", True): "refuse"},
        closed={"alice@a.lab.test/plain"},
    )
    result, ok = hold(tmp_path, [TLS_A, PLAIN_A])
    assert ok  # plaintext sessions never fail the run; the scenario asserts on the report
    plain = next(e for e in result["sessions"] if e["mode"] == "plain")
    assert plain["reconnected_over_tls"] is False
