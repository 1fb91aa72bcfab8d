"""Real XMPP clients (slixmpp) against the lab, for the Molecule scenarios.

  send  log in a sender and a recipient, send one message with a random token and report
        whether it arrived (federation when the two accounts are on different servers).
  hold  log accounts in (each over STARTTLS or in plaintext) and stay connected until a stop
        file appears, then ping each server over the same stream and report which sessions
        survived. A plaintext session the server closed is reconnected over STARTTLS, as a
        real client would, and the report says whether that worked.

Each account is [MODE:]JID:PASSWORD@ADDRESS:PORT, MODE "tls" (the default: STARTTLS on the
port given, never plaintext) or "plain" (no TLS; PLAIN authentication in the clear, which
only a legacy server allows). The password may not contain '@'.

Output is one JSON object on stdout. The exit status is 0 only when everything asked for
worked: for send, the message arrived; for hold, every TLS session logged in and survived
(plaintext sessions are expected to be closed by enforcement and never fail the run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from slixmpp import ClientXMPP

MODES = ("tls", "plain")


@dataclass(frozen=True)
class Account:
    jid: str
    password: str
    host: str
    port: int
    mode: str = "tls"

    @property
    def key(self) -> str:
        return f"{self.jid}/{self.mode}"

    @classmethod
    def parse(cls, text: str) -> Account:
        mode, sep, rest = text.partition(":")
        if not sep or mode not in MODES:
            mode, rest = "tls", text
        creds, _sep, where = rest.rpartition("@")
        jid, _sep, password = creds.partition(":")
        host, _sep, port = where.rpartition(":")
        if not (jid and password and host and port.isdigit()):
            raise argparse.ArgumentTypeError(
                f"expected [MODE:]JID:PASSWORD@ADDRESS:PORT, got {text!r}"
            )
        return cls(jid, password, host, int(port), mode)


@dataclass
class Session:
    """One client and what happened to it."""

    account: Account
    client: ClientXMPP
    started: asyncio.Event = field(default_factory=asyncio.Event)
    failed: str | None = None
    logged_in: bool = False  # the session was up when the login phase ended
    disconnects: int = 0
    received: list[str] = field(default_factory=list)

    def encrypted(self) -> bool:
        transport = getattr(self.client, "transport", None)
        return transport is not None and transport.get_extra_info("ssl_object") is not None


def make_session(account: Account, ca_file: str, *, tls: bool | None = None) -> Session:
    """A client for ACCOUNT; TLS follows the account's mode unless TLS is given."""
    use_tls = account.mode == "tls" if tls is None else tls
    client = ClientXMPP(account.jid, account.password)
    client.ca_certs = ca_file
    # STARTTLS on the port given (slixmpp would try direct TLS there first), or plaintext only.
    client.enable_direct_tls = False
    client.enable_starttls = use_tls
    client.enable_plaintext = not use_tls
    if not use_tls:  # a legacy lab server allows PLAIN without TLS; that is what is tested
        client.plugin["feature_mechanisms"].unencrypted_plain = True
    client.register_plugin("xep_0199")
    session = Session(account, client)

    def on_start(_event: object) -> None:
        client.send_presence()
        session.started.set()

    def on_fail(reason: object) -> None:
        session.failed = str(reason) or "failed"
        session.started.set()

    def on_disconnect(_event: object) -> None:
        session.disconnects += 1
        if not session.started.is_set():
            session.failed = session.failed or "disconnected before the session started"
            session.started.set()

    def on_message(msg: object) -> None:
        session.received.append(str(msg["body"]))  # type: ignore[index]

    client.add_event_handler("session_start", on_start)
    client.add_event_handler("failed_auth", on_fail)
    client.add_event_handler("connection_failed", on_fail)
    client.add_event_handler("disconnected", on_disconnect)
    client.add_event_handler("message", on_message)
    return session


async def log_in(sessions: list[Session], timeout: float) -> None:
    for s in sessions:
        s.client.connect(s.account.host, s.account.port)
    try:
        await asyncio.wait_for(asyncio.gather(*(s.started.wait() for s in sessions)), timeout)
    except TimeoutError:
        for s in sessions:
            if not s.started.is_set():
                s.failed = s.failed or f"no session within {timeout} s"
    for s in sessions:
        s.logged_in = s.failed is None


async def is_alive(session: Session) -> bool:
    """Logged in, never disconnected, and a ping round trip on the very same stream works."""
    if not session.logged_in or session.disconnects or session.failed:
        return False
    try:
        await session.client.plugin["xep_0199"].ping(jid=session.client.boundjid.domain, timeout=10)
    except Exception:
        return False
    return True


async def close(sessions: list[Session]) -> None:
    for s in sessions:
        s.client.disconnect(wait=1.0)
    await asyncio.sleep(0.5)


async def cmd_send(args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    sender = make_session(args.sender, args.ca_file)
    recipient = make_session(args.recipient, args.ca_file)
    await log_in([sender, recipient], args.timeout)
    token = secrets.token_hex(8)
    started = time.monotonic()
    arrived = False
    if sender.logged_in and recipient.logged_in:
        sender.client.send_message(
            mto=args.recipient.jid, mbody=f"xmpp-check {token}", mtype="chat"
        )
        deadline = started + args.timeout
        while time.monotonic() < deadline and not arrived:
            arrived = any(token in body for body in recipient.received)
            await asyncio.sleep(0.1)
    result = {
        "arrived": arrived,
        "seconds": round(time.monotonic() - started, 2),
        "sender": {"jid": args.sender.jid, "error": sender.failed, "tls": sender.encrypted()},
        "recipient": {
            "jid": args.recipient.jid,
            "error": recipient.failed,
            "tls": recipient.encrypted(),
        },
        "errors": {s.account.jid: s.failed for s in (sender, recipient) if s.failed},
    }
    await close([sender, recipient])
    return result, arrived


async def reconnect_over_tls(session: Session, args: argparse.Namespace) -> bool:
    """What a real client does after the server closed its plaintext stream."""
    again = make_session(session.account, args.ca_file, tls=True)
    await log_in([again], args.timeout)
    ok = again.logged_in and again.encrypted()
    await close([again])
    return ok


async def cmd_hold(args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    sessions = [make_session(a, args.ca_file) for a in args.account]
    await log_in(sessions, args.timeout)
    logged_in = [s for s in sessions if s.logged_in]
    encrypted = {s.account.key: s.encrypted() for s in logged_in}
    Path(args.ready_file).write_text(
        json.dumps({"logged_in": len(logged_in), "encrypted": encrypted})
    )
    deadline = time.monotonic() + args.max_seconds
    stop = Path(args.stop_file)
    while not stop.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    report: list[dict[str, object]] = []
    for s in sessions:
        entry: dict[str, object] = {
            "jid": s.account.jid,
            "mode": s.account.mode,
            "logged_in": s.logged_in,
            "encrypted_at_start": encrypted.get(s.account.key),
            "disconnects": s.disconnects,
            "alive": await is_alive(s),
        }
        if s.account.mode == "plain" and s.disconnects:
            entry["reconnected_over_tls"] = await reconnect_over_tls(s, args)
        report.append(entry)
    tls = [e for e in report if e["mode"] == "tls"]
    # A TLS session that is not alive at the end (never logged in, disconnected, or no ping
    # answer on its stream) counts as dropped.
    tls_dropped = sum(1 for e in tls if not e["alive"])
    result = {
        "logged_in": len(logged_in),
        "encrypted_at_start": sum(1 for value in encrypted.values() if value),
        "survived": sum(1 for e in report if e["alive"]),
        "tls_sessions": len(tls),
        "tls_dropped": tls_dropped,
        "stopped_by": "stop file" if stop.exists() else "max seconds",
        "sessions": report,
        "errors": {s.account.key: s.failed for s in sessions if s.failed},
    }
    await close(logged_in)
    return result, tls_dropped == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--ca-file", required=True, help="trust anchors for the servers' certificates"
    )
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds for login and delivery"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send")
    send.add_argument("--sender", type=Account.parse, required=True)
    send.add_argument("--recipient", type=Account.parse, required=True)
    hold = sub.add_parser("hold")
    hold.add_argument("--account", type=Account.parse, action="append", required=True)
    hold.add_argument("--ready-file", required=True, help="written once the sessions are up")
    hold.add_argument("--stop-file", required=True, help="the sessions are checked once it exists")
    hold.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("XMPP_CHECK_LOG", "CRITICAL"))
    command = cmd_send if args.command == "send" else cmd_hold
    result, ok = asyncio.run(command(args))
    print(json.dumps(result, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
