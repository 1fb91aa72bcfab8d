"""slixmpp clients for the rollout scenario.

  hold  log accounts in (each over TLS or in plaintext), stay connected until a stop file
        appears, then ping over each stream; a plaintext session the server closes is
        reconnected over TLS. Prints JSON: per session whether it survived, disconnects,
        and whether a closed plaintext client came back over TLS.
  send  one message from a sender to a recipient (across s2s when on different servers).

An account is MODE:JID:PASSWORD@ADDRESS:PORT with MODE tls or plain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from slixmpp import ClientXMPP


@dataclass(frozen=True)
class Account:
    mode: str
    jid: str
    password: str
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Account:
        mode, _sep, rest = text.partition(":")
        creds, _sep, where = rest.rpartition("@")
        jid, _sep, password = creds.partition(":")
        host, _sep, port = where.rpartition(":")
        if mode not in ("tls", "plain") or not (jid and password and host and port.isdigit()):
            raise argparse.ArgumentTypeError(
                f"expected MODE:JID:PASSWORD@ADDRESS:PORT, got {text!r}"
            )
        return cls(mode, jid, password, host, int(port))


@dataclass
class Session:
    account: Account
    ca_file: str
    tls: bool
    client: ClientXMPP = field(init=False)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    failed: str | None = None
    disconnects: int = 0
    received: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        c = ClientXMPP(self.account.jid, self.account.password)
        c.ca_certs = self.ca_file
        c.enable_direct_tls = False
        c.enable_starttls = self.tls
        c.enable_plaintext = not self.tls
        if not self.tls:  # the legacy lab allows PLAIN without TLS; that is what is tested
            c.plugin["feature_mechanisms"].unencrypted_plain = True
        c.register_plugin("xep_0199")
        c.add_event_handler("session_start", self._start)
        c.add_event_handler("failed_auth", self._fail)
        c.add_event_handler("connection_failed", self._fail)
        c.add_event_handler("disconnected", self._gone)
        c.add_event_handler("message", lambda m: self.received.append(str(m["body"])))
        self.client = c

    def _start(self, _event: object) -> None:
        self.client.send_presence()
        self.started.set()

    def _fail(self, reason: object) -> None:
        self.failed = str(reason) or "failed"
        self.started.set()

    def _gone(self, _event: object) -> None:
        self.disconnects += 1
        if not self.started.is_set():
            self.failed = self.failed or "disconnected before the session started"
            self.started.set()

    def encrypted(self) -> bool:
        transport = getattr(self.client, "transport", None)
        return transport is not None and transport.get_extra_info("ssl_object") is not None

    async def connect(self, timeout: float) -> None:
        self.client.connect(self.account.host, self.account.port)
        try:
            await asyncio.wait_for(self.started.wait(), timeout)
        except TimeoutError:
            self.failed = self.failed or f"no session within {timeout} s"


async def alive(session: Session) -> bool:
    if session.disconnects or session.failed:
        return False
    try:  # a round trip on the very same stream
        await session.client.plugin["xep_0199"].ping(jid=session.client.boundjid.domain, timeout=10)
    except Exception:
        return False
    return True


async def hold(args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    sessions = [Session(a, args.ca_file, a.mode == "tls") for a in args.account]
    await asyncio.gather(*(s.connect(args.timeout) for s in sessions))
    start = {s.account.jid + "/" + s.account.mode: s.encrypted() for s in sessions if not s.failed}
    Path(args.ready_file).write_text(json.dumps({"logged_in": len(start), "encrypted": start}))
    stop, deadline = Path(args.stop_file), time.monotonic() + args.max_seconds
    while not stop.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    report = []
    for s in sessions:
        entry: dict[str, object] = {
            "jid": s.account.jid,
            "mode": s.account.mode,
            "logged_in": s.failed is None or (s.started.is_set() and s.disconnects > 0),
            "encrypted_at_start": start.get(s.account.jid + "/" + s.account.mode),
            "disconnects": s.disconnects,
            "alive": await alive(s),
        }
        if s.account.mode == "plain" and s.disconnects:
            again = Session(s.account, args.ca_file, tls=True)  # what a real client does next
            await again.connect(args.timeout)
            entry["reconnected_over_tls"] = again.failed is None and again.encrypted()
            again.client.disconnect()
        report.append(entry)
    tls = [e for e in report if e["mode"] == "tls"]
    result = {
        "tls_sessions": len(tls),
        "tls_dropped": sum(1 for e in tls if not e["alive"]),
        "stopped_by": "stop file" if stop.exists() else "max seconds",
        "sessions": report,
    }
    for s in sessions:
        s.client.disconnect()
    await asyncio.sleep(0.5)
    return result, result["tls_dropped"] == 0 and len(tls) == sum(
        1 for a in args.account if a.mode == "tls"
    )


async def send(args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    sender = Session(args.sender, args.ca_file, True)
    recipient = Session(args.recipient, args.ca_file, True)
    await asyncio.gather(sender.connect(args.timeout), recipient.connect(args.timeout))
    token, arrived, started = secrets.token_hex(8), False, time.monotonic()
    if not (sender.failed or recipient.failed):
        sender.client.send_message(
            mto=args.recipient.jid, mbody=f"rollout-check {token}", mtype="chat"
        )
        while time.monotonic() < started + args.timeout and not arrived:
            arrived = any(token in body for body in recipient.received)
            await asyncio.sleep(0.1)
    result = {
        "arrived": arrived,
        "seconds": round(time.monotonic() - started, 2),
        "errors": {s.account.jid: s.failed for s in (sender, recipient) if s.failed},
    }
    for s in (sender, recipient):
        s.client.disconnect()
    await asyncio.sleep(0.5)
    return result, arrived


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--timeout", type=float, default=20.0)
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("hold")
    h.add_argument("--account", type=Account.parse, action="append", required=True)
    h.add_argument("--ready-file", required=True)
    h.add_argument("--stop-file", required=True)
    h.add_argument("--max-seconds", type=float, default=1500.0)
    s = sub.add_parser("send")
    s.add_argument("--sender", type=Account.parse, required=True)
    s.add_argument("--recipient", type=Account.parse, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    result, ok = asyncio.run(hold(args) if args.command == "hold" else send(args))
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
