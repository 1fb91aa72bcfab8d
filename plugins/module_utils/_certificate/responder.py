"""Start and stop a detached helper process by name, and never signal a stranger.

The ACME http-01 responder runs between two tasks of the certificate role, so it must
outlive the module that starts it and be found again by the task that stops it. A pid alone
does not name a process: once it exits, the kernel may hand the number to any new process,
and a later ``kill PID`` hits that one. So the start records, under the responder's name,
the pid together with the process's start time (field 22 of ``/proc/PID/stat``, in clock
ticks since boot) and the boot id; the stop signals only while all three still match, and
then signals the process group the start created (the helper and what it runs, such as
timeout(1)'s child), which is ours as long as its leader is.

Why not a transient systemd unit (``systemd-run --unit=NAME``), which also stops by name:
containers, the lab's included, usually run no systemd, and two ways to run the responder
would leave one untested. ``/proc`` answers the same on every Linux server.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

DEFAULT_STATE_DIR = "/run/xmpp-encryption/responders"
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
_POLL = 0.05
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")


class ResponderError(Exception):
    """A name, record or process the responder cannot work with."""


@dataclass(frozen=True)
class ProcessStat:
    """What ``/proc/PID/stat`` says about one process."""

    state: str  # R, S, D, Z, ...
    pgrp: int
    start_time: int  # clock ticks after boot


@dataclass(frozen=True)
class Record:
    """A started responder: enough to find exactly that process again."""

    name: str
    pid: int
    start_time: int
    boot_id: str
    argv: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "argv": list(self.argv)}


def http01_argv(python: str, root: str, port: int, timeout: int) -> list[str]:
    """Python's http.server on ``port`` serving ``root``, under timeout(1): it stops by
    itself after ``timeout`` seconds even when no task is left to stop it."""
    return [
        "timeout",
        str(timeout),
        python,
        "-m",
        "http.server",
        str(port),
        "--directory",
        root,
    ]


def check_name(name: str) -> str:
    """A name that is a plain file name (a domain is one), so it cannot escape the state dir."""
    if not _NAME.fullmatch(name):
        raise ResponderError(
            f"invalid responder name {name!r}: letters, digits, '.', '_' and '-' only,"
            " starting with a letter or digit"
        )
    return name


def record_path(state_dir: str, name: str) -> str:
    return os.path.join(state_dir, check_name(name) + ".json")


def read_stat(pid: int, proc: str = "/proc") -> ProcessStat | None:
    """The process's state, group and start time; None when there is no such process."""
    try:
        with open(f"{proc}/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces and ')'.
    fields = text[text.rindex(")") + 2 :].split()
    return ProcessStat(state=fields[0], pgrp=int(fields[2]), start_time=int(fields[19]))


def boot_id(proc: str = "/proc") -> str:
    with open(f"{proc}/sys/kernel/random/boot_id", encoding="ascii") as handle:
        return handle.read().strip()


def read_record(state_dir: str, name: str) -> Record | None:
    path = record_path(state_dir, name)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return Record(
            name=str(data["name"]),
            pid=int(data["pid"]),
            start_time=int(data["start_time"]),
            boot_id=str(data["boot_id"]),
            argv=tuple(str(a) for a in data["argv"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResponderError(f"cannot read the responder record {path}: {exc}") from exc


def _write_record(state_dir: str, record: Record) -> None:
    handle, tmp = tempfile.mkstemp(dir=state_dir, prefix=".record-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record.as_dict(), out)
        os.replace(tmp, record_path(state_dir, record.name))
    except BaseException:
        os.unlink(tmp)
        raise


def _remove_record(state_dir: str, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(record_path(state_dir, name))


def is_running(record: Record, proc: str = "/proc") -> bool:
    """The recorded process itself still runs: same pid, start time and boot, not a zombie."""
    stat = read_stat(record.pid, proc)
    return (
        stat is not None
        and stat.state != "Z"
        and stat.start_time == record.start_time
        and boot_id(proc) == record.boot_id
    )


def _signal_group(record: Record, sig: int, proc: str) -> None:
    """Signal the record's process group, only while its leader is the recorded process."""
    stat = read_stat(record.pid, proc)
    if not is_running(record, proc) or stat is None or stat.pgrp != record.pid:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(record.pid, sig)


def _wait_gone(record: Record, seconds: float, proc: str) -> bool:
    deadline = time.monotonic() + seconds
    while is_running(record, proc):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)
    return True


def stop(
    state_dir: str, name: str, grace: float = STOP_GRACE, proc: str = "/proc"
) -> Record | None:
    """Stop the responder recorded under ``name`` and forget it.

    Returns the record of the process that was stopped; None when none of that name ran
    (no record, or its process has ended and its pid may belong to another one now).
    """
    record = read_record(state_dir, name)
    if record is None:
        return None
    stopped = None
    if is_running(record, proc):
        _signal_group(record, signal.SIGTERM, proc)
        if not _wait_gone(record, grace, proc):
            _signal_group(record, signal.SIGKILL, proc)
            if not _wait_gone(record, grace, proc):
                raise ResponderError(f"responder {name} (pid {record.pid}) does not stop")
        stopped = record
    _remove_record(state_dir, name)
    return stopped


def start(
    state_dir: str, name: str, argv: Sequence[str], log: str = os.devnull, proc: str = "/proc"
) -> Record:
    """Start ``argv`` detached (its own session, so its own process group) as ``name``.

    A responder already running under the name is stopped first. Output goes to ``log``,
    emptied first.
    """
    stop(state_dir, name, proc=proc)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    with open(log, "wb") as out:
        try:
            child = subprocess.Popen(  # noqa: S603 - argv from the caller, no shell
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise ResponderError(f"cannot start responder {name}: {exc}") from exc
    # Until this process exits or waits, the child cannot be reaped: its pid is its own.
    stat = read_stat(child.pid, proc)
    if stat is None:
        raise ResponderError(f"responder {name} (pid {child.pid}) vanished at start")
    record = Record(name, child.pid, stat.start_time, boot_id(proc), tuple(argv))
    _write_record(state_dir, record)
    return record
