"""Writing: backups, validation before replacement, mode/owner kept, all or nothing."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody_config import (
    load_config,
    plan_edits,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody_files import (
    ValidationFailed,
    validate_argv,
    write_files,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody_lua import (
    ProsodyConfigError,
)

LUAC = shutil.which("luac5.4")


def plan_for(main: Path):
    settings = {
        "s2s_require_encryption": True,
        "s2s_secure_auth": True,
        "c2s_require_encryption": False,
    }
    return plan_edits(load_config(str(main)), None, settings)


def test_backup_and_mode_kept(fixture_copy) -> None:
    main = fixture_copy("debian") / "prosody.cfg.lua"
    os.chmod(main, 0o640)
    original = main.read_bytes()
    plan = plan_for(main)
    result = write_files(plan.after, backup=True)
    backup = Path(result.backups[str(main)])
    assert backup.parent == main.parent
    assert backup.name.startswith("prosody.cfg.lua.")
    assert backup.read_bytes() == original
    assert main.read_text() == plan.after[str(main)]
    assert stat.S_IMODE(main.stat().st_mode) == 0o640
    # No candidate files are left behind.
    assert sorted(p.name for p in main.parent.iterdir() if p.name.startswith(".")) == []


def test_owner_and_group_kept(fixture_copy) -> None:
    assert os.geteuid() == 0, "the tests run as root here and in CI; chown needs it"
    main = fixture_copy("debian") / "prosody.cfg.lua"
    os.chown(main, 65534, 65534)
    write_files(plan_for(main).after)
    assert (main.stat().st_uid, main.stat().st_gid) == (65534, 65534)


def test_symlinked_config_stays_a_link(fixture_copy, tmp_path: Path) -> None:
    real = fixture_copy("multi.cfg.lua")
    link = tmp_path / "prosody.cfg.lua"
    link.symlink_to(real)
    write_files(plan_edits(load_config(str(link)), None, {"a": 1}).after)
    assert link.is_symlink()
    assert real.read_text().count("\na = 1\n") == 1


def test_validation_failure_leaves_every_file_untouched(fixture_copy) -> None:
    root = fixture_copy("includes")
    main = root / "prosody.cfg.lua"
    plan = plan_edits(
        load_config(str(main)),
        None,
        {"s2s_require_encryption": True, "s2s_secure_auth": True, "x": 1},
    )
    assert len(plan.after) == 3
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    seen: list[str] = []

    def refuse_tls(argv):
        seen.append(argv[-1])
        failing = "tls.cfg.lua" in argv[-1]
        return (2, "", "bad TLS policy") if failing else (0, "ok", "")

    with pytest.raises(ValidationFailed) as caught:
        write_files(plan.after, backup=True, validate="check --file %s", runner=refuse_tls)
    assert caught.value.rc == 2
    assert "bad TLS policy" in str(caught.value)
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before  # no file replaced, no backup made, no candidate left
    assert all(Path(s).parent in (root, root / "extra", root / "conf.d") for s in seen)


def test_real_validator_accepts_good_and_refuses_bad(fixture_copy) -> None:
    assert LUAC, "luac5.4 is missing: scripts/host-deps.sh must install the lua5.4 package"
    main = fixture_copy("multi.cfg.lua")
    plan = plan_edits(load_config(str(main)), None, {"c2s_require_encryption": True})
    write_files(plan.after, validate=f"{LUAC} -p %s")
    assert "c2s_require_encryption=true;" in main.read_text()
    broken = {str(main): main.read_text() + "\nssl = {\n"}
    before = main.read_bytes()
    with pytest.raises(ValidationFailed, match="expected"):
        write_files(broken, validate=f"{LUAC} -p %s")
    assert main.read_bytes() == before


def test_validate_needs_placeholder() -> None:
    with pytest.raises(ProsodyConfigError, match="must contain %s"):
        validate_argv("prosodyctl check config", "/tmp/x")
    assert validate_argv("prosodyctl --config %s check config", "/a b/c") == [
        "prosodyctl",
        "--config",
        "/a b/c",
        "check",
        "config",
    ]
