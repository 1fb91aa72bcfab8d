# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prosody's live sessions, read through its admin shell (``prosodyctl shell``), 0.12.

``s2s:show(nil, COLUMNS)`` and ``c2s:show(nil, COLUMNS)`` print a table: a header row of
column titles, one row per session, cells separated by `` | `` and padded to a width,
with over-long values cut and ended with an ellipsis. Then a status line: ``OK: ...`` on
success, ``! ...`` on an error. Anything before the header (warnings Prosody prints when
it starts the shell) is ignored.

The impact of an enforcement is a pure function of those rows: a remote domain reached
only without TLS is cut off by ``s2s_require_encryption``, one without a valid certificate
by ``s2s_secure_auth``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Column ids of Prosody 0.12's admin shell, and the titles it prints for them.
S2S_COLUMNS: tuple[str, ...] = (
    "id",
    "host",
    "dir",
    "remote",
    "secure",
    "cert",
    "s2s_sasl",
    "dialback",
)
C2S_COLUMNS: tuple[str, ...] = ("id", "jid", "secure")
TITLES = {
    "id": "Session ID",
    "host": "Host",
    "dir": "Dir",
    "remote": "Remote",
    "secure": "Security",
    "cert": "Certificate",
    "s2s_sasl": "SASL",
    "dialback": "Dialback",
    "jid": "JID",
}
SEPARATOR = " | "
ELLIPSIS = "\u2026"
DIRECTIONS = {"-->": "outgoing", "<--": "incoming", "<->": "both"}
# Values of the Security column that mean no TLS at all.
INSECURE = "insecure"
VALID_CERTIFICATE = "Valid"


class ProsodyShellError(Exception):
    """The admin shell failed or printed something this parser does not understand."""


@dataclass(frozen=True)
class S2SSession:
    id: str
    host: str
    direction: str  # outgoing, incoming, both
    remote: str
    security: str  # as printed: insecure, secure, TLSv1.3 ...
    certificate: str  # as printed: Valid, Invalid, Self-signed, Expired, Untrusted, Unknown ...
    sasl: str
    dialback: str
    truncated: bool  # a name was cut by the shell's column width

    @property
    def encrypted(self) -> bool:
        return self.security != INSECURE

    @property
    def certificate_valid(self) -> bool:
        return self.certificate == VALID_CERTIFICATE

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "host": self.host,
            "direction": self.direction,
            "remote": self.remote,
            "security": self.security,
            "encrypted": self.encrypted,
            "certificate": self.certificate,
            "certificate_valid": self.certificate_valid,
            "sasl": self.sasl,
            "dialback": self.dialback,
            "truncated": self.truncated,
        }


@dataclass(frozen=True)
class C2SSession:
    id: str
    jid: str
    security: str
    truncated: bool

    @property
    def encrypted(self) -> bool:
        return self.security != INSECURE

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "jid": self.jid,
            "security": self.security,
            "encrypted": self.encrypted,
            "truncated": self.truncated,
        }


@dataclass(frozen=True)
class S2SImpact:
    """Remote domains an enforcement would cut off, each sorted and unique."""

    without_tls: tuple[str, ...]
    without_valid_certificate: tuple[str, ...]

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "without_tls": list(self.without_tls),
            "without_valid_certificate": list(self.without_valid_certificate),
        }


def shell_command(kind: str, columns: Sequence[str]) -> str:
    """The admin-shell line that lists sessions of KIND (s2s or c2s) with COLUMNS."""
    if kind not in ("s2s", "c2s"):
        raise ValueError(f"kind must be s2s or c2s, not {kind!r}")
    return f'{kind}:show(nil, "{" ".join(columns)}")'


def _cells(line: str, columns: Sequence[str] = (), free: str | None = None) -> list[str]:
    """The cells of a row; the ``free`` column takes every separator beyond the others'."""
    if free is None or line.count(SEPARATOR) < len(columns):
        return [cell.strip() for cell in line.split(SEPARATOR)]
    at = columns.index(free)
    head = line.split(SEPARATOR, at)
    tail = head.pop().rsplit(SEPARATOR, len(columns) - at - 1)
    return [cell.strip() for cell in [*head, *tail]]


def parse_table(
    output: str, columns: Sequence[str], free: str | None = None
) -> list[dict[str, str]]:
    """Rows of a ``show`` table as column id -> cell text; raises on a failed command.

    ``free``: the one column whose text comes from a client (a JID's resource) and may hold
    the separator itself.
    """
    titles = [TITLES[c] for c in columns]
    lines = output.splitlines()
    start = None
    for index, line in enumerate(lines):
        if _cells(line) == titles:
            start = index + 1
            break
    status = next((line.strip() for line in reversed(lines) if line.strip()), "")
    if status.startswith("!"):
        raise ProsodyShellError(f"the admin shell refused the command: {status[1:].strip()}")
    if start is None:
        raise ProsodyShellError(
            f"no session table with the columns {', '.join(titles)} in the admin shell's output: "
            f"{status or 'nothing printed'}"
        )
    rows: list[dict[str, str]] = []
    for line in lines[start:]:
        if not line.strip() or line.startswith("OK:") or line.startswith("#"):
            continue
        cells = _cells(line, columns, free)
        if len(cells) != len(columns):
            raise ProsodyShellError(
                f"a session row has {len(cells)} cells, not {len(columns)}: {line!r}"
            )
        rows.append(dict(zip(columns, cells, strict=True)))
    if not status.startswith("OK:"):
        raise ProsodyShellError(
            f"the admin shell did not finish with OK: {status or 'nothing printed'}"
        )
    return rows


def _cut(*values: str) -> bool:
    return any(v.endswith(ELLIPSIS) for v in values)


def parse_s2s(output: str) -> tuple[S2SSession, ...]:
    sessions = []
    for row in parse_table(output, S2S_COLUMNS):
        if row["dir"] not in DIRECTIONS:
            raise ProsodyShellError(f"unknown s2s direction {row['dir']!r} for session {row['id']}")
        sessions.append(
            S2SSession(
                id=row["id"],
                host=row["host"],
                direction=DIRECTIONS[row["dir"]],
                remote=row["remote"],
                security=row["secure"],
                certificate=row["cert"],
                sasl=row["s2s_sasl"],
                dialback=row["dialback"],
                truncated=_cut(row["host"], row["remote"]),
            )
        )
    return tuple(sessions)


def parse_c2s(output: str) -> tuple[C2SSession, ...]:
    return tuple(
        C2SSession(id=row["id"], jid=row["jid"], security=row["secure"], truncated=_cut(row["jid"]))
        for row in parse_table(output, C2S_COLUMNS, free="jid")
    )


def s2s_impact(sessions: Sequence[S2SSession]) -> S2SImpact:
    """Remotes reached without TLS; remotes reached without a valid certificate.

    A remote counts when any of its sessions falls short: that session is the one cut off.
    """
    no_tls = {s.remote for s in sessions if not s.encrypted}
    no_cert = {s.remote for s in sessions if not s.certificate_valid}
    return S2SImpact(tuple(sorted(no_tls)), tuple(sorted(no_cert)))


def lua_string(text: str) -> str:
    """TEXT as a double-quoted Lua string literal; control characters are refused."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise ProsodyShellError(f"refusing a control character in {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def close_command(full_jid: str, reason: str) -> str:
    """The admin-shell line that closes the sessions of FULL_JID with a policy-violation."""
    return f'c2s:close({lua_string(full_jid)}, {lua_string(reason)}, "policy-violation")'
