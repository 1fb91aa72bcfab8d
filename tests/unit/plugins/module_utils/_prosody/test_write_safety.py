"""Writing without losing anything: backups, the lock and the stale-read refusal, validation
of the assembled tree, and failures that end in one message with nothing left behind."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import stat
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import plan_edits
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.files import (
    config_lock,
    write_files,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    ProsodyConfigError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import load_config
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module

from .conftest import lua_reads


def listing(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --- backups -----------------------------------------------------------------------------------
def test_a_backup_is_private_while_written_then_like_its_original(
    fixture_copy, monkeypatch
) -> None:
    main = fixture_copy("multi.cfg.lua")
    os.chmod(main, 0o644)
    os.chown(main, 65534, 65534)
    modes: list[int] = []
    copy = shutil.copyfileobj

    def watch(source, target, *args):
        modes.append(stat.S_IMODE(os.fstat(target.fileno()).st_mode))
        return copy(source, target, *args)

    monkeypatch.setattr(shutil, "copyfileobj", watch)
    config = load_config(str(main))
    result = write_files(config, plan_edits(config, None, {"a": 1}).after, backup=True)
    assert modes == [0o600]  # the backup's data is written while only its owner can read it
    backup = Path(result.backups[str(main)]).stat()
    assert stat.S_IMODE(backup.st_mode) == 0o644
    assert (backup.st_uid, backup.st_gid) == (65534, 65534)


def test_old_backups_are_pruned_to_the_number_kept(fixture_copy) -> None:
    main = fixture_copy("multi.cfg.lua")
    old = [main.parent / f"{main.name}.{100 + n}.2020-01-01@00:00:{n:02d}~" for n in range(12)]
    for path in old:
        path.write_text("old")
    other = main.parent / f"{main.name}.bak"
    other.write_text("not ours")
    config = load_config(str(main))
    result = write_files(
        config, plan_edits(config, None, {"a": 1}).after, backup=True, keep_backups=3
    )
    left = sorted(p for p in main.parent.iterdir() if p.name.endswith("~"))
    assert left == sorted([*old[-2:], Path(result.backups[str(main)])])
    assert sorted(result.pruned) == sorted(str(p) for p in old[:-2])
    assert other.read_text() == "not ours"


# --- no edit lost ------------------------------------------------------------------------------
def test_two_runs_planned_from_one_read_the_second_refuses(fixture_copy) -> None:
    main = fixture_copy("multi.cfg.lua")
    config = load_config(str(main))
    first = plan_edits(config, None, {"first_edit": 1})
    second = plan_edits(config, None, {"second_edit": 2})
    write_files(config, first.after)
    written = main.read_bytes()
    with pytest.raises(ProsodyConfigError, match="changed since it was read") as caught:
        write_files(config, second.after, backup=True)
    assert caught.value.path == str(main)
    assert str(main) in str(caught.value)
    assert main.read_bytes() == written  # the first edit is kept
    assert sorted(p.name for p in main.parent.iterdir()) == [main.name]


def test_a_hand_edit_of_an_unchanged_include_is_not_overwritten(fixture_copy) -> None:
    root = fixture_copy("includes")
    config = load_config(str(root / "prosody.cfg.lua"))
    plan = plan_edits(config, None, {"x": 1})  # only the main file changes
    include = root / "conf.d" / "one.example.cfg.lua"
    include.write_text(include.read_text() + "\tc2s_require_encryption = true\n")
    before = listing(root)
    with pytest.raises(ProsodyConfigError, match="changed since it was read") as caught:
        write_files(config, plan.after)
    assert caught.value.path == str(include)
    assert listing(root) == before


def test_the_lock_is_exclusive_and_its_wait_bounded(fixture_copy) -> None:
    main = fixture_copy("multi.cfg.lua")
    with config_lock(str(main)):
        started = time.monotonic()
        with (
            pytest.raises(ProsodyConfigError, match="another run") as caught,
            config_lock(str(main), timeout=0.3),
        ):
            pass
        assert 0.3 <= time.monotonic() - started < 2
        assert str(main.parent) in str(caught.value)
    with config_lock(str(main), timeout=0.3):  # released: taken at once
        pass
    assert sorted(p.name for p in main.parent.iterdir()) == [main.name]


def test_the_module_waits_for_the_lock_before_it_reads(fixture_copy) -> None:
    from ansible_collections.xmpp.encryption.plugins.modules import prosody_config

    main = fixture_copy("multi.cfg.lua")
    locked = threading.Event()

    def other_run() -> None:
        # Another run edits while it holds the lock; the module must read after it.
        with config_lock(str(main)):
            locked.set()
            time.sleep(0.5)
            config = load_config(str(main))
            write_files(config, plan_edits(config, None, {"other_run": True}).after)

    thread = threading.Thread(target=other_run)
    thread.start()
    locked.wait(5)
    result = run_module(prosody_config, {"path": str(main), "settings": {"this_run": True}}).result
    thread.join()
    assert result["changed"] is True, result
    text = main.read_text()
    assert "other_run = true" in text
    assert "this_run = true" in text


# --- includes are validated in the assembled tree ----------------------------------------------
def test_a_changed_include_is_validated_inside_the_whole_config(fixture_copy) -> None:
    root = fixture_copy("includes")
    config = load_config(str(root / "prosody.cfg.lua"))
    plan = plan_edits(config, "one.example", {"c2s_require_encryption": False})
    assert list(plan.after) == [str(root / "conf.d" / "one.example.cfg.lua")]
    read: list[dict] = []

    def validator(argv):
        read.append(lua_reads(Path(argv[-1])))
        return 0, "", ""

    write_files(config, plan.after, validate="check %s", runner=validator)
    [seen] = read
    assert seen[("one.example", "c2s_require_encryption")] == "b:false"  # the new text
    assert seen[("*", "certificates")] == "s:" + b"certs".hex()  # from the main file
    assert ("two.example", "defined") not in seen
    assert seen[("*", "s2s_secure_auth")] == "b:false"  # an unchanged include, read in place


def test_main_file_and_include_changed_together_are_validated_as_one(fixture_copy) -> None:
    root = fixture_copy("includes")
    config = load_config(str(root / "prosody.cfg.lua"))
    plan = plan_edits(config, None, {"s2s_require_encryption": True, "x": 1})
    assert sorted(plan.after) == sorted(
        [str(root / "prosody.cfg.lua"), str(root / "extra" / "tls.cfg.lua")]
    )
    read: list[dict] = []

    def validator(argv):
        read.append(lua_reads(Path(argv[-1])))
        return 0, "", ""

    write_files(config, plan.after, validate="check %s", runner=validator)
    [seen] = read  # one run, on the whole tree
    assert seen[("*", "x")] == "n:1"
    assert seen[("*", "s2s_require_encryption")] == "b:true"
    assert not list(root.rglob(".*xmpp-encryption-*"))


# --- failures: one message, nothing left behind, config unchanged ------------------------------
def test_a_missing_validator_is_one_clear_message(fixture_copy) -> None:
    main = fixture_copy("multi.cfg.lua")
    before = listing(main.parent)
    config = load_config(str(main))
    plan = plan_edits(config, None, {"a": 1})
    with pytest.raises(ProsodyConfigError, match="is not installed; nothing was changed"):
        write_files(config, plan.after, backup=True, validate="/nonexistent/prosodyctl check %s")
    assert listing(main.parent) == before


def test_a_validator_that_hangs_is_stopped(fixture_copy) -> None:
    main = fixture_copy("multi.cfg.lua")
    before = listing(main.parent)
    config = load_config(str(main))
    plan = plan_edits(config, None, {"a": 1})
    started = time.monotonic()
    with pytest.raises(ProsodyConfigError, match=r"did not finish within 0\.5 s"):
        write_files(config, plan.after, validate="sh -c 'sleep 30' %s", timeout=0.5)
    assert time.monotonic() - started < 5
    assert listing(main.parent) == before


def test_a_full_disk_during_the_backup_leaves_nothing(tmp_path: Path) -> None:
    main = tmp_path / "prosody.cfg.lua"
    main.write_text(f'admins = {{}}\npadding = "{"x" * 16384}"\n')
    before = listing(main.parent)
    config = load_config(str(main))
    plan = plan_edits(config, None, remove=["padding"])  # the candidate is small, the backup not
    assert plan.changed
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child writes with a file size limit: a disk that fills up mid-copy
        os.close(reader)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, resource.RLIM_INFINITY))
        try:
            write_files(config, plan.after, backup=True)
            outcome = {"error": None}
        except ProsodyConfigError as exc:
            outcome = {"error": str(exc)}
        except BaseException as exc:  # reported to the parent
            outcome = {"error": f"unexpected {type(exc).__name__}: {exc}"}
        os.write(writer, json.dumps(outcome).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        outcome = json.loads(pipe.read() or "{}")
    os.waitpid(pid, 0)
    assert outcome["error"], outcome
    assert outcome["error"].startswith(f"{main}: cannot back up"), outcome
    assert "File too large" in outcome["error"]
    assert "nothing was changed" in outcome["error"]
    assert listing(main.parent) == before
