"""Real XMPP clients (slixmpp) against the lab, for Molecule scenarios.

  send  log in a sender and a recipient, send one message with a random token and report
        whether it arrived (federation when the two accounts are on different servers).
  hold  log in accounts over TLS and stay connected until a stop file appears, then ping
        each server over the same stream and report which sessions survived.

Each account is JID:PASSWORD@ADDRESS:PORT (the password may not contain '@'). Output is one
JSON object on stdout; the exit status is 0 only when everything asked for worked.
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


@dataclass(frozen=True)
class Account:
    jid: str
    password: str
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Account:
        creds, _sep, where = text.rpartition("@")
        jid, _sep, password = creds.partition(":")
        host, _sep, port = where.rpartition(":")
        if not (jid and password and host and port.isdigit()):
            raise argparse.ArgumentTypeError(f"expected JID:PASSWORD@ADDRESS:PORT, got {text!r}")
        return cls(jid, password, host, int(port))


@dataclass
class Session:
    """One logged-in client and what happened to it."""

    account: Account
    client: ClientXMPP
    started: asyncio.Event = field(default_factory=asyncio.Event)
    failed: str | None = None
    disconnects: int = 0
    received: list[str] = field(default_factory=list)

    def encrypted(self) -> bool:
        transport = getattr(self.client, "transport", None)
        return transport is not None and transport.get_extra_info("ssl_object") is not None


def make_session(account: Account, ca_file: str) -> Session:
    client = ClientXMPP(account.jid, account.password)
    client.ca_certs = ca_file
    # STARTTLS on the port given (slixmpp would try direct TLS there first), never plaintext.
    client.enable_direct_tls = False
    client.enable_starttls = True
    client.enable_plaintext = False
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


async def close(sessions: list[Session]) -> None:
    for s in sessions:
        s.client.disconnect(wait=1.0)
    await asyncio.sleep(0.5)


async def cmd_send(args: argparse.Namespace) -> dict[str, object]:
    sender = make_session(args.sender, args.ca_file)
    recipient = make_session(args.recipient, args.ca_file)
    await log_in([sender, recipient], args.timeout)
    token = secrets.token_hex(8)
    started = time.monotonic()
    arrived = False
    if sender.failed is None and recipient.failed is None:
        sender.client.send_message(
            mto=args.recipient.jid, mbody=f"enforce-check {token}", mtype="chat"
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
    }
    await close([sender, recipient])
    return result


async def cmd_hold(args: argparse.Namespace) -> dict[str, object]:
    sessions = [make_session(a, args.ca_file) for a in args.account]
    await log_in(sessions, args.timeout)
    logged_in = [s for s in sessions if s.failed is None]
    encrypted_at_start = sum(1 for s in logged_in if s.encrypted())
    Path(args.ready_file).write_text(json.dumps({"logged_in": len(logged_in)}))
    deadline = time.monotonic() + args.max_seconds
    stop = Path(args.stop_file)
    while not stop.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    survivors = []
    for s in logged_in:
        alive = s.disconnects == 0
        if alive:
            try:  # a round trip on the very same stream, not just an open socket
                await s.client.plugin["xep_0199"].ping(jid=s.client.boundjid.domain, timeout=10)
            except Exception:
                alive = False
        survivors.append({"jid": s.account.jid, "alive": alive, "disconnects": s.disconnects})
    result = {
        "logged_in": len(logged_in),
        "encrypted_at_start": encrypted_at_start,
        "survived": sum(1 for s in survivors if s["alive"]),
        "stopped_by": "stop file" if stop.exists() else "max seconds",
        "sessions": survivors,
        "errors": {s.account.jid: s.failed for s in sessions if s.failed},
    }
    await close(logged_in)
    return result


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
    if args.command == "send":
        result = asyncio.run(cmd_send(args))
        ok = bool(result["arrived"])
    else:
        result = asyncio.run(cmd_hold(args))
        ok = result["logged_in"] == len(args.account) and result["survived"] == result["logged_in"]
    print(json.dumps(result, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
