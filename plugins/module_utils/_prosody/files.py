"""Put new config texts in place: backup first, validate a candidate, then an atomic rename.

Each changed file gets a candidate next to it (same directory, so a validator that resolves
relative paths sees the same tree), with the original's mode, owner and group. Every
candidate is validated before any file is replaced: one failure leaves all files untouched.

A candidate is named ``.NAME.xmpp-encryption-XXXXXXXX.lua``: Prosody picks its configuration
parser from the extension, so ``prosodyctl --config %s check config`` reads it as it will
read the real file; the leading dot keeps it out of Prosody's wildcard Includes (and this
collection's), which skip dot files.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    ProsodyConfigError,
)

Runner = Callable[[Sequence[str]], tuple[int, str, str]]
VALIDATE_TIMEOUT = 300
CANDIDATE_TAG = "xmpp-encryption"
CANDIDATE_SUFFIX = ".lua"


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


def run_subprocess(argv: Sequence[str]) -> tuple[int, str, str]:
    # No shell: the command is split like Ansible's own validate and %s is one argument.
    done = subprocess.run(  # noqa: S603
        list(argv), capture_output=True, text=True, check=False, timeout=VALIDATE_TIMEOUT
    )
    return done.returncode, done.stdout, done.stderr


def validate_argv(command: str, candidate: str) -> list[str]:
    if "%s" not in command:
        raise ProsodyConfigError(candidate, None, f"validate must contain %s: {command!r}")
    return [arg.replace("%s", candidate) for arg in shlex.split(command)]


def backup_path(path: str) -> str:
    """``file.PID.YYYY-MM-DD@HH:MM:SS~`` next to the file, the way Ansible names backups."""
    return f"{path}.{os.getpid()}.{time.strftime('%Y-%m-%d@%H:%M:%S~')}"


def _candidate(real: str, text: str) -> str:
    info = os.stat(real)
    directory, name = os.path.split(real)
    # .lua: Prosody's parser is chosen by extension. The leading dot: its Include globs
    # (and load_config's) skip dot files, so a candidate is never included by the real file.
    fd, tmp = tempfile.mkstemp(
        prefix=f".{name}.{CANDIDATE_TAG}-", suffix=CANDIDATE_SUFFIX, dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, info.st_mode & 0o7777)
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            os.chown(tmp, info.st_uid, info.st_gid)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_files(
    after: Mapping[str, str],
    backup: bool = False,
    validate: str | None = None,
    runner: Runner = run_subprocess,
) -> WriteResult:
    """Replace each file with its new text, all or none of them."""
    candidates: dict[str, str] = {}
    try:
        for path, text in after.items():
            real = os.path.realpath(path)  # a symlinked config stays a symlink
            try:
                candidates[real] = _candidate(real, text)
            except OSError as exc:
                raise ProsodyConfigError(path, None, f"cannot write a candidate: {exc}") from exc
        if validate:
            for real, tmp in candidates.items():
                rc, out, err = runner(validate_argv(validate, tmp))
                if rc != 0:
                    raise ValidationFailed(real, validate, rc, out, err)
        backups: dict[str, str] = {}
        for real in candidates:
            if backup:
                backups[real] = backup_path(real)
                shutil.copy2(real, backups[real])
                info = os.stat(real)
                if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
                    os.chown(backups[real], info.st_uid, info.st_gid)
        for real, tmp in list(candidates.items()):
            os.replace(tmp, real)
            del candidates[real]
        return WriteResult(backups)
    finally:
        for tmp in candidates.values():
            if os.path.exists(tmp):
                os.unlink(tmp)
