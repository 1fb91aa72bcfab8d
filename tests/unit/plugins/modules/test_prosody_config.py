"""The two modules end to end through AnsibleModule: check mode, diff, backup, failures."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.xmpp.encryption.plugins.modules import prosody_config, prosody_config_info
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module


def test_check_mode_and_diff_write_nothing(fixture_copy) -> None:
    main = fixture_copy("debian") / "prosody.cfg.lua"
    before = main.read_bytes()
    args = {"path": str(main), "settings": {"s2s_secure_auth": True}, "backup": True}
    result = run_module(prosody_config, args, check=True, diff=True).result
    assert result["changed"] is True
    assert main.read_bytes() == before
    assert "backup_file" not in result
    [diff] = result["diff"]
    assert diff["before"] == before.decode()
    assert "s2s_secure_auth = true\n" in diff["after"]
    assert result["changes"] == [
        {
            "file": str(main),
            "section": "global",
            "option": "s2s_secure_auth",
            "old": False,
            "new": True,
            "action": "set",
        }
    ]


def test_apply_backup_then_idempotent(fixture_copy) -> None:
    main = fixture_copy("debian") / "prosody.cfg.lua"
    before = main.read_bytes()
    args = {
        "path": str(main),
        "host": "example.org",
        "settings": {"c2s_require_encryption": True},
        "backup": True,
        "validate": "luac5.4 -p %s",
    }
    result = run_module(prosody_config, args).result
    included = main.parent / "conf.d" / "example.org.cfg.lua"
    assert result["changed"] is True
    assert result["files"] == [str(included)]
    assert Path(result["backup_file"]).read_text().startswith("-- Domain added")
    assert main.read_bytes() == before
    assert "\tc2s_require_encryption = true\n" in included.read_text()
    again = run_module(prosody_config, args).result
    assert again["changed"] is False
    assert again["changes"] == []


def test_failures_carry_file_line_and_validator_output(fixture_copy) -> None:
    bad = fixture_copy("bad/unclosed_table.cfg.lua")
    result = run_module(prosody_config, {"path": str(bad), "settings": {"a": 1}}).result
    assert result["failed"] is True
    assert result["line"] == 6
    assert result["msg"].startswith(f"{bad}:6: ")
    good = fixture_copy("multi.cfg.lua")
    before = good.read_bytes()
    args = {"path": str(good), "settings": {"a": 1}, "validate": "sh -c 'echo nope >&2; exit 3' %s"}
    result = run_module(prosody_config, args).result
    assert result["failed"] is True
    assert result["rc"] == 3
    assert result["stderr"] == "nope\n"
    assert good.read_bytes() == before


def test_info_lists_hosts_components_and_certificates(fixture_copy) -> None:
    main = fixture_copy("debian") / "prosody.cfg.lua"
    result = run_module(prosody_config_info, {"path": str(main)}, check=True).result
    config = result["config"]
    assert result["changed"] is False
    assert list(config["virtualhosts"]) == ["localhost", "example.org"]
    assert config["components"]["conference.example.org"]["module"] == "muc"
    assert config["global"]["options"]["certificates"] == "certs"
    ssl = config["virtualhosts"]["example.org"]["options"]["ssl"]
    assert ssl["certificate"] == "/etc/prosody/certs/example.org.crt"
    assert config["includes"][0]["resolved"] == [str(main.parent / "conf.d/example.org.cfg.lua")]
