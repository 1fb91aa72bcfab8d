"""Writing: backups, validation before replacement, mode/owner kept, all or nothing."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import plan_edits
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.files import (
    ValidationFailed,
    validate_argv,
    validator_message,
    write_files,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    ProsodyConfigError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    load_config,
)

LUAC = shutil.which("luac5.4")


def plan_for(main: Path):
    settings = {
        "s2s_require_encryption": True,
        "s2s_secure_auth": True,
        "c2s_require_encryption": False,
    }
    config = load_config(str(main))
    return config, plan_edits(config, None, settings)


def test_backup_and_mode_kept(fixture_copy) -> None:
    main = fixture_copy("debian") / "prosody.cfg.lua"
    os.chmod(main, 0o640)
    original = main.read_bytes()
    config, plan = plan_for(main)
    result = write_files(config, plan.after, backup=True)
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
    config, plan = plan_for(main)
    write_files(config, plan.after)
    assert (main.stat().st_uid, main.stat().st_gid) == (65534, 65534)


def test_symlinked_config_stays_a_link(fixture_copy, tmp_path: Path) -> None:
    real = fixture_copy("multi.cfg.lua")
    link = tmp_path / "prosody.cfg.lua"
    link.symlink_to(real)
    config = load_config(str(link))
    write_files(config, plan_edits(config, None, {"a": 1}).after)
    assert link.is_symlink()
    assert real.read_text().count("\na = 1\n") == 1


def test_validation_failure_leaves_every_file_untouched(fixture_copy) -> None:
    root = fixture_copy("includes")
    main = root / "prosody.cfg.lua"
    config = load_config(str(main))
    plan = plan_edits(
        config, None, {"s2s_require_encryption": True, "s2s_secure_auth": True, "x": 1}
    )
    assert len(plan.after) == 3
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    seen: list[str] = []

    def refuse_tls(argv):
        # The validator reads the assembled tree: it finds the new TLS file through main's copy.
        seen.append(argv[-1])
        read = load_config(argv[-1])
        failing = any(Path(f).name.startswith(".tls.cfg.lua.") for f in read.chunks)
        return (2, "", "bad TLS policy") if failing else (0, "ok", "")

    with pytest.raises(ValidationFailed) as caught:
        write_files(config, plan.after, backup=True, validate="check --file %s", runner=refuse_tls)
    assert caught.value.rc == 2
    assert "bad TLS policy" in str(caught.value)
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before  # no file replaced, no backup made, no candidate left
    assert all(Path(s).parent in (root, root / "extra", root / "conf.d") for s in seen)


def test_real_validator_accepts_good_and_refuses_bad(fixture_copy) -> None:
    assert LUAC, "luac5.4 is missing: scripts/host-deps.sh must install the lua5.4 package"
    main = fixture_copy("multi.cfg.lua")
    config = load_config(str(main))
    plan = plan_edits(config, None, {"c2s_require_encryption": True})
    write_files(config, plan.after, validate=f"{LUAC} -p %s")
    assert "c2s_require_encryption=true;" in main.read_text()
    broken = {str(main): main.read_text() + "\nssl = {\n"}
    before = main.read_bytes()
    with pytest.raises(ValidationFailed, match="expected"):
        write_files(load_config(str(main)), broken, validate=f"{LUAC} -p %s")
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


def test_candidates_keep_a_lua_suffix_beside_their_file(fixture_copy) -> None:
    # Prosody picks its parser from the extension: "prosodyctl --config %s check config"
    # works on the copy of the main file only when the name ends in .lua; so do the copies
    # of the changed includes it reads.
    root = fixture_copy("includes")
    os.chmod(root / "extra" / "tls.cfg.lua", 0o640)
    config = load_config(str(root / "prosody.cfg.lua"))
    plan = plan_edits(
        config, None, {"s2s_require_encryption": True, "s2s_secure_auth": True, "x": 1}
    )
    seen: dict[str, Path] = {}

    def check(argv):
        assert argv[:2] == ["prosodyctl", "--config"]
        assert argv[3:] == ["check", "config"]
        for candidate in map(Path, load_config(argv[2]).chunks):
            real = next(
                (Path(p) for p in plan.after if candidate.name.startswith(f".{Path(p).name}.")),
                None,
            )
            if real is None:
                continue  # an unchanged file, read in place
            seen[str(real)] = candidate
            assert candidate.is_file()
            assert candidate.parent == real.parent
            assert candidate.name.startswith(f".{real.name}.xmpp-encryption-")
            assert candidate.suffix == ".lua"
            assert candidate.stat().st_mode == real.stat().st_mode
            text, expected = candidate.read_text(), plan.after[str(real)]
            if real == root / "prosody.cfg.lua":  # its Include lines name the copies
                text, expected = (
                    [line for line in t.splitlines() if not line.startswith("Include ")]
                    for t in (text, expected)
                )
            assert text == expected
        return 0, "", ""

    write_files(config, plan.after, validate="prosodyctl --config %s check config", runner=check)
    assert sorted(seen) == sorted(plan.after)
    assert not list(root.rglob(".*xmpp-encryption-*"))


def test_a_candidate_is_never_included_by_a_wildcard(tmp_path: Path) -> None:
    # A candidate lives while the validator runs; an Include glob that matches .lua files
    # must not read it (Prosody and load_config skip dot files).
    (tmp_path / "conf.d").mkdir()
    main = tmp_path / "prosody.cfg.lua"
    main.write_text('Include "conf.d/*.lua"\n')
    (tmp_path / "conf.d" / "a.lua").write_text("a = 1\n")
    config = load_config(str(main))
    plan = plan_edits(config, None, {"a": 2})
    assert list(plan.after) == [str(tmp_path / "conf.d" / "a.lua")]

    def check(argv):
        main_copy = Path(argv[-1])
        assert main_copy.parent == tmp_path
        assert main_copy.suffix == ".lua"
        copies = [Path(f) for f in load_config(str(main_copy)).chunks][1:]
        assert [c.parent for c in copies] == [tmp_path / "conf.d"]
        assert all(
            c.name not in {Path(f).name for f in load_config(str(main)).chunks} for c in copies
        )
        return 0, "", ""

    write_files(config, plan.after, validate="check %s", runner=check)
    assert (tmp_path / "conf.d" / "a.lua").read_text() == "a = 2\n"
    assert sorted(p.name for p in (tmp_path / "conf.d").iterdir()) == ["a.lua"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conf.d", "prosody.cfg.lua"]


def test_a_refused_candidate_is_removed(fixture_copy) -> None:
    main = fixture_copy("multi.cfg.lua")
    before = sorted(p.name for p in main.parent.iterdir())
    config = load_config(str(main))
    plan = plan_edits(config, None, {"c2s_require_encryption": True})
    candidates: list[Path] = []

    def refuse(argv):
        candidates.append(Path(argv[2]))
        return 1, "", "no"

    with pytest.raises(ValidationFailed):
        write_files(
            config, plan.after, validate="prosodyctl --config %s check config", runner=refuse
        )
    assert [c.suffix for c in candidates] == [".lua"]
    assert not candidates[0].exists()
    assert sorted(p.name for p in main.parent.iterdir()) == before


PROSODYCTL_REFUSAL = """
**************************
Prosody was unable to find lua-unbound
This package can be obtained in the following ways:

  Debian/Ubuntu | sudo apt install lua-unbound
**************************

Checking config...
    You have 1 option set under b.lab.test that should be
    in the global section of the config file, above any VirtualHost or Component definitions,

    You need to move the following option: c2s_ports
Done.
"""


def test_validator_message_drops_prosodyctl_banners() -> None:
    message = validator_message(PROSODYCTL_REFUSAL)
    assert "lua-unbound" not in message
    assert message.startswith("Checking config... You have 1 option set under b.lab.test")
    assert message.endswith("You need to move the following option: c2s_ports Done.")


def test_refusal_keeps_the_whole_output_in_its_details() -> None:
    refusal = ValidationFailed(
        "/etc/prosody/prosody.cfg.lua", "check %s", 2, PROSODYCTL_REFUSAL, ""
    )
    assert "lua-unbound" not in str(refusal)
    assert "c2s_ports" in str(refusal)
    assert "lua-unbound" in refusal.details()["stdout"]


CHECK_WARNINGS_ONLY = """Checking config...

    You have some deprecated options in the global section:
    'daemonize' -- This option is no longer used
Done.

Problems found, see above.
"""


def test_check_config_warnings_alone_do_not_refuse_a_candidate(fixture_copy) -> None:
    main = fixture_copy("multi.cfg.lua")
    config = load_config(str(main))
    plan = plan_edits(config, None, {"c2s_require_encryption": True})
    write_files(
        config,
        plan.after,
        validate="prosodyctl --config %s check config",
        runner=lambda argv: (2, CHECK_WARNINGS_ONLY, ""),
    )
    assert main.read_text() == plan.after[str(main)]


def test_check_config_errors_beside_warnings_refuse_a_candidate(fixture_copy) -> None:
    main = fixture_copy("multi.cfg.lua")
    before = main.read_text()
    config = load_config(str(main))
    plan = plan_edits(config, None, {"c2s_require_encryption": True})
    with pytest.raises(ValidationFailed, match="You need to move the following option"):
        write_files(
            config,
            plan.after,
            validate="prosodyctl --config %s check config",
            runner=lambda argv: (2, CHECK_WARNINGS_ONLY + PROSODYCTL_REFUSAL, ""),
        )
    assert main.read_text() == before
