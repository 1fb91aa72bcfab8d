"""Lua 5.4 itself is the reference: it must load every edited file, and evaluating a config
the way Prosody does must give the same sections and values as the parser reports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import plan_edits
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    Assignment,
    render_value,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    config_view,
    load_config,
)

from .conftest import canonical, copy_sample, lua_reads

SAMPLES = ["debian/prosody.cfg.lua", "multi.cfg.lua", "crlf.cfg.lua", "includes/prosody.cfg.lua"]
EDITS = [
    (
        None,
        {
            "c2s_require_encryption": True,
            "s2s_secure_auth": True,
            "ssl": {"protocol": "tlsv1_2+", "ciphers": "HIGH:!aNULL"},
        },
        ["admins"],
    ),
    (
        None,
        {
            "modules_enabled": [f"mod_{n}" for n in range(12)],
            "motd_text": 'quote " and ]] and \\ and\nnewline',
        },
        [],
    ),
    (
        "FIRST_HOST",
        {"c2s_require_encryption": True, "limits": {"c2s": {"rate": "10kb/s"}, "n": [1, 2.5, -3]}},
        [],
    ),
    ("LAST_HOST", {"s2s_secure_auth": True, "enabled": False}, ["ssl"]),
]


def python_reads(path: Path) -> dict[tuple[str, str], str]:
    """The parser's reading, raw (the JSON view turns table keys into strings)."""
    config = load_config(str(path))
    result = {}
    for item in config.located:
        statement = item.statement
        if isinstance(statement, Assignment):
            value = statement.value
            key = (item.host or "*", statement.name)
            result[key] = canonical(value.value) if value.literal else "expression"
    # The view must agree on which options each section has.
    view = config_view(config)
    sections = {"*": view["global"], **view["virtualhosts"], **view["components"]}
    named = {(n, o) for n, s in sections.items() for o in [*s["options"], *s["expressions"]]}
    assert named == set(result)
    return result


def assert_same_reading(path: Path) -> None:
    lua, ours = lua_reads(path), python_reads(path)
    assert set(lua) == set(ours)
    for key, value in ours.items():
        if value != "expression":
            assert lua[key] == value, key


def assert_lua_loads(files) -> None:
    luac = shutil.which("luac5.4")
    assert luac, "luac5.4 is missing: scripts/host-deps.sh must install the lua5.4 package"
    for file in files:
        done = subprocess.run([luac, "-p", str(file)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("sample", SAMPLES)
def test_parser_reads_what_lua_reads(fixture_copy, sample: str) -> None:
    path = fixture_copy(sample.split("/")[0]) if "/" in sample else fixture_copy(sample)
    path = path.parent / sample if "/" not in sample else path / sample.split("/", 1)[1]
    assert_same_reading(path)


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("edit", range(len(EDITS)))
def test_edited_files_are_valid_lua_and_mean_what_was_asked(
    fixture_copy, tmp_path: Path, sample, edit
) -> None:
    top = sample.split("/")[0]
    copied = fixture_copy(top)
    path = copied if "/" not in sample else copied / sample.split("/", 1)[1]
    config = load_config(str(path))
    hosts = [h.name for _path, h in config.headers]
    host, settings, remove = EDITS[edit]
    host = {"FIRST_HOST": hosts[0], "LAST_HOST": hosts[-1]}.get(host, host) if host else None
    plan = plan_edits(config, host, settings, remove)
    for file, text in plan.after.items():
        Path(file).write_bytes(text.encode("utf-8", "surrogateescape"))
    assert_lua_loads(plan.after)
    lua = lua_reads(path)
    section = host or "*"
    for option, value in settings.items():
        assert lua[(section, option)] == canonical(value)
    for option in remove:
        assert (section, option) not in lua
    # Every other (section, option) Lua sees is exactly what it saw before the edit.
    before = lua_reads(unedited_copy(sample, tmp_path / "unedited"))
    touched = {(section, o) for o in [*settings, *remove]}
    assert {k: v for k, v in lua.items() if k not in touched} == {
        k: v for k, v in before.items() if k not in touched
    }
    assert not plan_edits(load_config(str(path)), host, settings, remove).changes


def unedited_copy(sample: str, directory: Path) -> Path:
    """A fresh copy of the sample (with the files it includes) in directory."""
    top, *rest = sample.split("/", 1)
    copied = copy_sample(top, directory)
    return copied / rest[0] if rest else copied


def test_lua_reads_a_rendered_nul_before_a_digit_as_nul(tmp_path: Path) -> None:
    # "\\0" then "1" would be the decimal escape \\01: one byte 0x01 instead of two.
    value = "a\x001\x0012b"
    sample = tmp_path / "nul.cfg.lua"
    sample.write_text(f"x = {render_value(value)}\n")
    assert lua_reads(sample) == {("*", "x"): canonical(value)}
