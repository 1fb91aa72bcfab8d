"""Versioned certificate directories: the key and its certificate change in one step."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate import store
from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.store import (
    Layout,
    Owner,
    StoreError,
    commit,
    stage,
)

ME = Owner(os.getuid(), os.getgid())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def served(layout: Layout) -> tuple[bytes, bytes]:
    """What the server reads through the stable path."""
    return (layout.live / "privkey.pem").read_bytes(), (layout.live / "fullchain.pem").read_bytes()


def put(layout: Layout, key: bytes, cert: bytes | None) -> None:
    staging = Path(stage(layout, ME).staging)
    (staging / "privkey.pem").write_bytes(key)
    if cert is not None:
        (staging / "fullchain.pem").write_bytes(cert)


def deploy(layout: Layout, key: bytes, cert: bytes, keep: int = 3) -> store.Committed:
    put(layout, key, cert)
    return commit(layout, ME, keep)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    (tmp_path / "certs").mkdir()
    return Layout(tmp_path / "certs", "example.org")


def test_first_issuance_lands_in_private_directories(layout):
    staging = Path(stage(layout, ME).staging)
    # Every directory above the staged key is closed to other users before the key exists.
    for d in (layout.cert_dir / ".versions", layout.versions, staging):
        assert mode(d) == 0o750, d
    (staging / "privkey.pem").write_bytes(b"KEY1")  # as a writer that makes it 0644 first
    (staging / "fullchain.pem").write_bytes(b"CERT1")
    done = commit(layout, ME, keep=3)
    assert done.changed
    assert done.version == ".versions/example.org/1"
    assert done.previous == ""
    assert os.readlink(layout.live) == ".versions/example.org/1"
    assert served(layout) == (b"KEY1", b"CERT1")
    assert mode(layout.live / "privkey.pem") == 0o640
    assert mode(layout.live / "fullchain.pem") == 0o644
    assert mode(layout.versions / "1") == 0o750
    assert not staging.exists()


def test_a_failure_between_key_and_certificate_leaves_the_old_pair_served(layout):
    deploy(layout, b"OLDKEY", b"OLDCERT")
    put(layout, b"NEWKEY", None)  # the run stops after the key, before the certificate
    with pytest.raises(StoreError, match=r"lacks fullchain\.pem.*were not changed"):
        commit(layout, ME, keep=3)
    assert served(layout) == (b"OLDKEY", b"OLDCERT")
    # The next run starts from a clean staging directory and goes through.
    assert deploy(layout, b"NEWKEY", b"NEWCERT").version == ".versions/example.org/2"
    assert served(layout) == (b"NEWKEY", b"NEWCERT")


def test_a_failed_swap_leaves_the_old_pair_served(layout, monkeypatch):
    deploy(layout, b"OLDKEY", b"OLDCERT")
    put(layout, b"NEWKEY", b"NEWCERT")

    def no_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "replace", no_rename)
    with pytest.raises(OSError, match="No space"):
        commit(layout, ME, keep=3)
    assert served(layout) == (b"OLDKEY", b"OLDCERT")
    monkeypatch.undo()
    assert deploy(layout, b"NEWKEY", b"NEWCERT").version == ".versions/example.org/3"
    assert served(layout) == (b"NEWKEY", b"NEWCERT")


def test_the_older_layout_becomes_a_version(layout):
    layout.live.mkdir()
    layout.live.chmod(0o755)
    (layout.live / "privkey.pem").write_bytes(b"LEGACYKEY")
    (layout.live / "fullchain.pem").write_bytes(b"LEGACYCERT")
    done = deploy(layout, b"NEWKEY", b"NEWCERT")
    assert done.migrated == ".versions/example.org/1"
    assert done.version == ".versions/example.org/2"
    assert served(layout) == (b"NEWKEY", b"NEWCERT")
    assert (layout.versions / "1" / "privkey.pem").read_bytes() == b"LEGACYKEY"
    assert mode(layout.versions / "1") == 0o750


def test_the_same_pair_again_changes_nothing(layout):
    deploy(layout, b"KEY", b"CERT")
    done = deploy(layout, b"KEY", b"CERT")
    assert not done.changed
    assert done.version == ".versions/example.org/1"
    assert sorted(p.name for p in layout.versions.iterdir()) == ["1"]


def test_old_versions_are_pruned_to_keep_and_the_served_one_stays(layout):
    for n in range(1, 5):
        done = deploy(layout, b"KEY%d" % n, b"CERT%d" % n, keep=2)
    assert done.removed == (".versions/example.org/2",)  # 1 went at the third commit
    assert sorted(p.name for p in layout.versions.iterdir()) == ["3", "4"]
    assert done.previous == ".versions/example.org/3"
    assert served(layout) == (b"KEY4", b"CERT4")
    deploy(layout, b"KEY5", b"CERT5", keep=1)
    assert sorted(p.name for p in layout.versions.iterdir()) == ["5"]


def test_stage_mends_loose_directories_and_removes_leftovers(layout):
    stage(layout, ME)
    layout.versions.chmod(0o755)
    (layout.staging / "privkey.pem").write_bytes(b"LEFTOVER")
    again = stage(layout, ME)
    assert again.changed
    assert mode(layout.versions) == 0o750
    assert list(layout.staging.iterdir()) == []
    assert not stage(layout, ME).changed


@pytest.mark.parametrize("name", ["", "..", ".hidden", "a/b"])
def test_names_that_are_not_one_visible_directory_are_refused(tmp_path, name):
    with pytest.raises(StoreError, match="cannot name"):
        Layout(tmp_path, name)


def test_a_missing_certificate_directory_is_made(tmp_path):
    layout = Layout(tmp_path / "etc" / "certs", "example.org")
    assert stage(layout, ME).changed
    assert mode(layout.cert_dir) == 0o755
    assert mode(layout.versions) == 0o750
