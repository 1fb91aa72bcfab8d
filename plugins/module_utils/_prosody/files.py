"""Put new config texts in place: lock, validate the assembled tree, back up, atomic rename.

The caller holds ``config_lock`` from the read to the write, and ``write_files`` refuses when
any file read has changed since (a hand edit, or a run that did not take the lock): a plan
made from old text would overwrite that change.

Validation runs on a copy of the tree as Prosody will read it: a copy of the main file, and of
every changed file and every file that includes one, with their ``Include`` lines pointing at
the copies. An included file is never validated on its own: alone it is not a configuration.
The copies sit next to their originals (same directory, so relative paths resolve the same),
with the original's mode, owner and group, named ``.NAME.xmpp-encryption-XXXXXXXX.lua``:
Prosody picks its configuration parser from the extension, and the leading dot keeps them out
of Prosody's wildcard Includes (and this collection's), which skip dot files.

Every new text is written to a candidate beside its file before any file is replaced; one
failure leaves all files untouched and removes what this run created.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.checker import (
    read_check_output,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    ProsodyConfigError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    ProsodyConfig,
    assembly_files,
    point_includes_at,
)

Runner = Callable[[Sequence[str]], tuple[int, str, str]]
VALIDATE_TIMEOUT = 300
LOCK_TIMEOUT = 120
KEEP_BACKUPS = 10
CANDIDATE_TAG = "xmpp-encryption"
CANDIDATE_SUFFIX = ".lua"
_BACKUP_STAMP = r"\.\d+\.(\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d)~"


def validator_message(output: str) -> str:
    """The validator's output without prosodyctl's dependency banners, on one line.

    prosodyctl frames notices such as "Prosody was unable to find lua-unbound" between lines of
    asterisks; they say nothing about the candidate, and they would bury the finding that does.
    The whole output stays in the result (stdout, stderr).
    """
    kept: list[str] = []
    in_banner = False
    for line in output.splitlines():
        if line.strip() and set(line.strip()) == {"*"}:
            in_banner = not in_banner
            continue
        if not in_banner and line.strip():
            kept.append(line.strip())
    return " ".join(kept)


class ValidationFailed(ProsodyConfigError):
    """The validator refused a candidate; carries its exit code and output."""

    def __init__(self, path: str, command: str, rc: int, stdout: str, stderr: str) -> None:
        output = validator_message(stderr or stdout) or (stderr or stdout).strip()
        super().__init__(path, None, f"validation failed (rc={rc}) with '{command}': {output}")
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def details(self) -> dict[str, Any]:
        return {**super().details(), "rc": self.rc, "stdout": self.stdout, "stderr": self.stderr}


@dataclass(frozen=True)
class WriteResult:
    backups: Mapping[str, str]  # file -> its backup copy
    pruned: tuple[str, ...] = ()  # older backups removed to keep the number asked for


def run_subprocess(argv: Sequence[str], timeout: float = VALIDATE_TIMEOUT) -> tuple[int, str, str]:
    # No shell: the command is split like Ansible's own validate and %s is one argument.
    done = subprocess.run(  # noqa: S603
        list(argv), capture_output=True, text=True, check=False, timeout=timeout
    )
    return done.returncode, done.stdout, done.stderr


def validate_argv(command: str, candidate: str) -> list[str]:
    if "%s" not in command:
        raise ProsodyConfigError(candidate, None, f"validate must contain %s: {command!r}")
    return [arg.replace("%s", candidate) for arg in shlex.split(command)]


def backup_path(path: str) -> str:
    """``file.PID.YYYY-MM-DD@HH:MM:SS~`` next to the file, the way Ansible names backups."""
    return f"{path}.{os.getpid()}.{time.strftime('%Y-%m-%d@%H:%M:%S~')}"


@contextmanager
def config_lock(path: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the lock of the configuration whose main file is PATH: an flock on its directory,
    so nothing is left behind. Waits at most TIMEOUT seconds for another run to finish."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise ProsodyConfigError(path, None, f"cannot lock {directory}: {exc.strerror}") from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ProsodyConfigError(
                        path,
                        None,
                        f"another run has been editing this configuration for {timeout:g} s"
                        f" (it holds the lock on {directory}); nothing was changed",
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _allocate(path: str) -> str:
    """An empty file beside PATH, readable by its owner only until it is filled."""
    directory, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{name}.{CANDIDATE_TAG}-", suffix=CANDIDATE_SUFFIX, dir=directory
    )
    os.close(fd)
    return tmp


def _fill(tmp: str, like: str, text: str) -> None:
    """Write TEXT to TMP, then give it the mode, owner and group of LIKE."""
    info = os.stat(like)
    with open(tmp, "wb") as handle:
        handle.write(text.encode("utf-8", "surrogateescape"))
        handle.flush()
        os.fsync(handle.fileno())
    if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
        os.chown(tmp, info.st_uid, info.st_gid)
    os.chmod(tmp, info.st_mode & 0o7777)


def _remove(paths: Sequence[str]) -> None:
    for path in paths:
        with suppress(FileNotFoundError):
            os.unlink(path)


def _run_validator(
    main: str, command: str, argv: Sequence[str], runner: Runner, timeout: float
) -> tuple[int, str, str]:
    try:
        return runner(argv)
    except subprocess.TimeoutExpired:
        reason = f"did not finish within {timeout:g} s"
    except OSError as exc:
        missing = exc.errno == errno.ENOENT
        reason = (
            f"cannot be run: {argv[0]} is not installed" if missing else f"cannot be run: {exc}"
        )
    raise ProsodyConfigError(main, None, f"the validator '{command}' {reason}; nothing was changed")


def _validate(
    config: ProsodyConfig, after: Mapping[str, str], command: str, runner: Runner, timeout: float
) -> None:
    """Run COMMAND once, on a copy of the main file that reads the new texts of every file."""
    copies: dict[str, str] = {}
    try:
        files = assembly_files(config, after)
        try:
            for path in files:
                copies[path] = _allocate(path)
            for path in files:
                text = after[path] if path in after else config.chunks[path].text
                _fill(copies[path], path, point_includes_at(config, path, text, copies))
        except OSError as exc:
            raise ProsodyConfigError(
                path, None, f"cannot write a copy to validate: {exc.strerror or exc}"
            ) from exc
        argv = validate_argv(command, copies[config.main])
        rc, out, err = _run_validator(config.main, command, argv, runner, timeout)
        # prosodyctl check config exits 2 on warnings alone (a deprecated option): not a refusal.
        if not read_check_output([*out.splitlines(), *err.splitlines()]).passed(rc):
            raise ValidationFailed(config.main, command, rc, out, err)
    finally:
        _remove(list(copies.values()))


def _refuse_if_changed(config: ProsodyConfig) -> None:
    """Refuse when a file holds other bytes than when it was read: the plan would undo that."""
    for path, text in config.texts().items():
        try:
            with open(path, "rb") as handle:
                now = handle.read()
        except OSError as exc:
            raise ProsodyConfigError(path, None, f"cannot read it again: {exc.strerror}") from exc
        if now != text.encode("utf-8", "surrogateescape"):
            raise ProsodyConfigError(
                path,
                None,
                "changed since it was read (by hand or by another run); nothing was written:"
                " run again to plan from what it holds now",
            )


def _backup(real: str) -> str:
    """Copy REAL beside itself, created 0600 and given the original's owner and mode only
    once complete; a failed copy (a full disk) leaves nothing behind."""
    dest = backup_path(real)
    info = os.stat(real)
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise ProsodyConfigError(real, None, f"cannot back up to {dest}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as out, open(real, "rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
            if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
                os.fchown(out.fileno(), info.st_uid, info.st_gid)
            os.fchmod(out.fileno(), info.st_mode & 0o7777)
        os.utime(dest, ns=(info.st_atime_ns, info.st_mtime_ns))
    except OSError as exc:
        _remove([dest])
        raise ProsodyConfigError(
            real, None, f"cannot back up to {dest}: {exc.strerror or exc}; nothing was changed"
        ) from exc
    return dest


def prune_backups(real: str, keep: int) -> tuple[str, ...]:
    """Delete the backups of REAL beyond the KEEP newest (0 keeps them all). Backups are
    the files named as ``backup_path`` names them, Ansible's own backups of it included."""
    if keep <= 0:
        return ()
    directory, name = os.path.split(real)
    pattern = re.compile(re.escape(name) + _BACKUP_STAMP)
    found = []
    for entry in os.scandir(directory):
        match = pattern.fullmatch(entry.name)
        if match and entry.is_file(follow_symlinks=False):
            found.append(
                (match.group(1), entry.stat(follow_symlinks=False).st_mtime_ns, entry.path)
            )
    old = [path for *_order, path in sorted(found, reverse=True)[keep:]]
    _remove(old)
    return tuple(old)


def write_files(
    config: ProsodyConfig,
    after: Mapping[str, str],
    backup: bool = False,
    validate: str | None = None,
    runner: Runner | None = None,
    keep_backups: int = KEEP_BACKUPS,
    timeout: float = VALIDATE_TIMEOUT,
) -> WriteResult:
    """Replace each file with its new text, all or none of them; CONFIG is the tree as read."""
    if validate:
        _validate(
            config, after, validate, runner or (lambda argv: run_subprocess(argv, timeout)), timeout
        )
    candidates: dict[str, str] = {}
    backups: dict[str, str] = {}
    replaced = False
    try:
        for path, text in after.items():
            real = os.path.realpath(path)  # a symlinked config stays a symlink
            try:
                candidates[real] = _allocate(real)
                _fill(candidates[real], real, text)
            except OSError as exc:
                raise ProsodyConfigError(path, None, f"cannot write a candidate: {exc}") from exc
        _refuse_if_changed(config)
        if backup:
            for real in candidates:
                backups[real] = _backup(real)
        for real, tmp in list(candidates.items()):
            os.replace(tmp, real)
            del candidates[real]
            replaced = True
    finally:
        _remove(list(candidates.values()))
        if not replaced:
            _remove(list(backups.values()))
    pruned = [p for real in backups for p in prune_backups(real, keep_backups)]
    return WriteResult(backups, tuple(pruned))
