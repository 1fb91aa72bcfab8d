"""A certificate and its key change together: versioned directories and one symlink swap.

Layout under the certificate directory CERT_DIR (certbot's archive/live idea)::

    CERT_DIR/NAME -> .versions/NAME/7           the stable path Prosody reads
    CERT_DIR/.versions/NAME/7/privkey.pem       0640 owner:group
    CERT_DIR/.versions/NAME/7/fullchain.pem     0644 owner:group
    CERT_DIR/.versions/NAME/.staging/           the next version while it is made

Every directory below ``.versions`` is created 0750 owner:group before anything is written
into it, so a key is never readable by other users, even while a tool that writes it gives
a new file 0644 before its final mode. Prosody 0.12 skips directories whose name starts
with a dot when it indexes CERT_DIR, so only the live version is ever served.

A new pair is staged complete, then ``commit`` renames the staging directory into a new
version and replaces the ``NAME`` link in one ``rename(2)``: at every moment ``NAME`` holds
either the old pair or the new one, never a mix. A directory left by an older layout (a
real ``CERT_DIR/NAME``) becomes a version of its own the first time: that once, ``NAME`` is
missing between two renames, but never holds a mismatched pair.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

VERSIONS = ".versions"
STAGING = ".staging"
KEY = "privkey.pem"
CERT = "fullchain.pem"
DIR_MODE = 0o750
KEY_MODE = 0o640
CERT_MODE = 0o644


class StoreError(Exception):
    """A request the store refuses, in words for the operator; nothing served was changed."""


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


@dataclass(frozen=True)
class Layout:
    """Where one certificate name lives under a certificate directory."""

    cert_dir: Path
    name: str

    def __post_init__(self) -> None:
        # The name becomes a path component: no separators, no dot names (hidden from Prosody).
        if not self.name or "/" in self.name or "\0" in self.name or self.name.startswith("."):
            raise StoreError(f"{self.name!r} cannot name a certificate directory")

    @property
    def live(self) -> Path:
        return self.cert_dir / self.name

    @property
    def versions(self) -> Path:
        return self.cert_dir / VERSIONS / self.name

    @property
    def staging(self) -> Path:
        return self.versions / STAGING


@dataclass(frozen=True)
class Staged:
    staging: str
    changed: bool  # the private directories were made or mended (the scratch one is no change)


@dataclass(frozen=True)
class Committed:
    changed: bool
    live: str
    version: str
    previous: str
    migrated: str
    removed: tuple[str, ...]


def _private_dir(path: Path, owner: Owner) -> bool:
    """Make PATH a directory 0750 owner:group (created 0700, so never open while empty)."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        path.mkdir(mode=0o700)
        os.chown(path, owner.uid, owner.gid)
        path.chmod(DIR_MODE)
        return True
    if not path.is_dir() or path.is_symlink():
        raise StoreError(f"{path} is not a directory")
    changed = False
    if (st.st_uid, st.st_gid) != (owner.uid, owner.gid):
        os.chown(path, owner.uid, owner.gid)
        changed = True
    if st.st_mode & 0o7777 != DIR_MODE:
        path.chmod(DIR_MODE)
        changed = True
    return changed


def _private_tree(layout: Layout, owner: Owner) -> bool:
    made = False
    if not layout.cert_dir.is_dir():
        # Only links and public certificates live at the top: it may stay open to others.
        layout.cert_dir.mkdir(mode=0o755, parents=True)
        layout.cert_dir.chmod(0o755)
        made = True
    top = _private_dir(layout.cert_dir / VERSIONS, owner)
    return _private_dir(layout.versions, owner) or top or made


def stage(layout: Layout, owner: Owner, check_mode: bool = False) -> Staged:
    """An empty private staging directory for the next version (leftovers removed)."""
    if check_mode:
        return Staged(str(layout.staging), not layout.versions.is_dir())
    changed = _private_tree(layout, owner)
    if layout.staging.is_symlink() or layout.staging.exists():
        _remove(layout.staging)
    _private_dir(layout.staging, owner)
    return Staged(str(layout.staging), changed)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _numbers(versions: Path) -> list[int]:
    return sorted(int(p.name) for p in versions.iterdir() if p.name.isdigit())


def _same_pair(a: Path, b: Path) -> bool:
    try:
        return all((a / f).read_bytes() == (b / f).read_bytes() for f in (KEY, CERT))
    except OSError:
        return False


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _seal(staging: Path, owner: Owner) -> None:
    """Check the staged pair is complete, give it its owner and modes, flush it to disk."""
    missing = [f for f in (KEY, CERT) if not (staging / f).is_file() or (staging / f).is_symlink()]
    if missing:
        raise StoreError(
            f"the staged version in {staging} lacks {' and '.join(missing)}; "
            "the served certificate and key were not changed"
        )
    for name, mode in ((KEY, KEY_MODE), (CERT, CERT_MODE)):
        os.chown(staging / name, owner.uid, owner.gid)
        (staging / name).chmod(mode)
        _fsync(staging / name)
    _fsync(staging)


def _swap(layout: Layout, target: str) -> None:
    """Point the live link at TARGET in one rename (a temporary link replaces the old one)."""
    tmp = layout.cert_dir / f".{layout.name}.link"
    if tmp.is_symlink() or tmp.exists():
        _remove(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, layout.live)
    _fsync(layout.cert_dir)


def commit(layout: Layout, owner: Owner, keep: int, check_mode: bool = False) -> Committed:
    """Make the staged pair the served one in one step, and keep KEEP versions."""
    if keep < 1:
        raise StoreError(f"keep must be at least 1, not {keep}")
    live = layout.live
    if live.exists() and not live.is_dir():
        raise StoreError(f"{live} is neither a directory nor a link to one; nothing was changed")
    previous = os.readlink(live) if live.is_symlink() else ""
    if live.is_dir() and _same_pair(live, layout.staging):
        if not check_mode:
            shutil.rmtree(layout.staging)
        return Committed(False, str(live), previous, previous, "", ())
    if check_mode:
        return Committed(True, str(live), "", previous, "", ())
    _private_tree(layout, owner)
    _seal(layout.staging, owner)
    numbers = _numbers(layout.versions)
    number = (numbers[-1] if numbers else 0) + 1
    migrated = ""
    if live.is_dir() and not live.is_symlink():
        # The older layout's directory is kept as a version of its own (see the module doc).
        migrated = f"{VERSIONS}/{layout.name}/{number}"
        live.rename(layout.versions / str(number))
        _private_dir(layout.versions / str(number), owner)
        number += 1
    version = f"{VERSIONS}/{layout.name}/{number}"
    layout.staging.rename(layout.versions / str(number))
    _fsync(layout.versions)
    _swap(layout, version)
    return Committed(True, str(live), version, previous, migrated, _prune(layout, keep, version))


def _prune(layout: Layout, keep: int, live_version: str) -> tuple[str, ...]:
    """Remove all but the KEEP newest versions; the live one is never removed."""
    live_number = int(live_version.rsplit("/", 1)[1])
    old = [n for n in _numbers(layout.versions) if n != live_number]
    removed = old[: max(len(old) - (keep - 1), 0)]
    for n in removed:
        shutil.rmtree(layout.versions / str(n))
    return tuple(f"{VERSIONS}/{layout.name}/{n}" for n in removed)
