"""Configurations written by others (issue #18 part 4): every file of ``fixtures/corpus`` (and
its CRLF, tab, BOM and no-final-newline variants) is read as Lua 5.4 reads it, gets the
standard enforcement edit, and holds it afterwards with everything else byte for byte as it
was; or it is refused naming the file and the line. Never a traceback, never half an edit.

The corpus files were written for these tests, in the shapes real deployments use.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import plan_edits
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    Assignment,
    ProsodyConfigError,
    Unevaluated,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    ProsodyConfig,
    load_config,
)

from .conftest import FIXTURES, canonical, lua_reads

CORPUS = FIXTURES / "corpus"
# The standard enforcement edit: the global section, then every section that weakens it.
ENFORCED = {
    "c2s_require_encryption": True,
    "s2s_require_encryption": True,
    "allow_unencrypted_plain_auth": False,
    "s2s_secure_auth": True,
    "tls_profile": "intermediate",
}
# What the container-style configs read from the environment.
ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "DOMAIN": "env.example",
    "ADMIN": "admin@env.example",
    "ADMIN_JID": "admin@env.example",
    "MUC_DOMAIN": "rooms.env.example",
    "SNIKKET_DOMAIN": "snikket.example",
}


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


def _tabs(data: bytes) -> bytes:
    return data.replace(b"    ", b"\t")


VARIANTS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "debian13_default.crlf.cfg.lua": ("debian13_default.cfg.lua", _crlf),
    "jitsi_meet.crlf.cfg.lua": ("jitsi_meet.cfg.lua", _crlf),
    "jitsi_meet.tabs.cfg.lua": ("jitsi_meet.cfg.lua", _tabs),
    "per_host_overrides.crlf_tabs.cfg.lua": (
        "per_host_overrides.cfg.lua",
        lambda d: _crlf(d.replace(b"\n\t", b"\n \t")),
    ),
    "minimal_global.no_final_newline.cfg.lua": (
        "minimal_global.cfg.lua",
        lambda d: d.rstrip(b"\n"),
    ),
    "minimal_global.bom.cfg.lua": ("minimal_global.cfg.lua", lambda d: b"\xef\xbb\xbf" + d),
    "snikket.crlf.cfg.lua": ("snikket.cfg.lua", _crlf),
}

# Files refused as a whole when read: (line, what the refusal says).
LOAD_REFUSALS = {
    "inline_host_table.cfg.lua": (2, "inline option tables"),
    "syntax_error.cfg.lua": (2, "unfinished 'if' block: missing 'end'"),
    "minimal_global.bom.cfg.lua": (1, "byte order mark"),
}
# Edits refused (section -> line of the code that blocks it), everything else goes through.
EDIT_REFUSALS = {
    "if_sets_encryption.cfg.lua": {"global": 3},
    "dynamic_include.cfg.lua": {"global": 2},
    # The if block at line 28 may set c2s_require_encryption in the section before it; the
    # global edit, made first, added four lines above it.
    "jitsi_docker.cfg.lua": {"XMPP_DOMAIN": 32},
    "container_env_prefix.cfg.lua": {},
}


def corpus_names() -> list[str]:
    files = sorted(p.name for p in CORPUS.glob("*.cfg.lua"))
    dirs = sorted(f"{p.name}/main.cfg.lua" for p in CORPUS.iterdir() if p.is_dir())
    return [*files, *dirs, *VARIANTS]


def copy_corpus(name: str, directory: Path) -> Path:
    if name in VARIANTS:
        source, convert = VARIANTS[name]
        target = directory / name
        target.write_bytes(convert((CORPUS / source).read_bytes()))
        return target
    top = name.split("/")[0]
    if (CORPUS / top).is_dir():
        shutil.copytree(CORPUS / top, directory / top)
    else:
        shutil.copy2(CORPUS / top, directory / top)
    return directory / name


def test_the_corpus_is_large_and_varied() -> None:
    assert len(corpus_names()) >= 30
    texts = [p.read_text() for p in CORPUS.rglob("*.cfg.lua")]
    for shape in ("VirtualHost(", "Component(", '" "muc"', "Include", "--[[", "[[", "if ", "for "):
        assert any(shape in t for t in texts), shape


@dataclass
class Outcome:
    sections: dict[str, str] = field(default_factory=dict)  # section -> "edited" or a refusal
    edits: list[tuple[str | None, dict[str, object]]] = field(default_factory=list)


def clouded(config: ProsodyConfig) -> set[tuple[str, str]] | None:
    """(section, option) pairs code left unevaluated may set; None: it may set anything."""
    found: set[tuple[str, str]] = set()
    for item in config.located:
        if isinstance(item.statement, Unevaluated):
            if item.statement.assigns is None:
                return None
            found |= {(item.host or "*", n) for n in item.statement.assigns}
    return found


def literal_sections(config: ProsodyConfig) -> set[str]:
    return {"*"} | {h.name for _p, h in config.headers if not h.dynamic}


def assert_reads_like_lua(main: Path) -> None:
    config = load_config(str(main), tolerant=True)
    lua = lua_reads(main, ENV)
    shadowed = clouded(config)
    sections = literal_sections(config)
    ours: dict[tuple[str, str], str] = {}
    for item in config.located:
        statement = item.statement
        if isinstance(statement, Assignment) and (item.host or "*") in sections:
            value = statement.value
            key = (item.host or "*", statement.name)
            ours[key] = canonical(value.value) if value.literal else "expression"
    if shadowed is None:
        return  # an Include of a computed name: only the refusal of every edit is certain
    # Options Lua sets in sections with a computed name are keyed by the name they got.
    seen = {k for k in lua if k[0] in sections and k not in shadowed}
    assert seen == {k for k in ours if k not in shadowed}
    for key, value in ours.items():
        if value != "expression" and key not in shadowed:
            assert lua[key] == value, key


def enforce(main: Path) -> tuple[Outcome, dict[str, str]]:
    """The standard edit, section by section, each written before the next is planned."""
    outcome = Outcome()
    config = load_config(str(main), tolerant=True)
    originals = config.texts()
    targets: list[tuple[str | None, dict[str, object]]] = [(None, dict(ENFORCED))]
    for _path, header in config.headers:
        own = {
            s.statement.name
            for s in config.assignments(header.name)
            if isinstance(s.statement, Assignment)
        }
        weak = {k: v for k, v in ENFORCED.items() if k in own}
        if weak and all(t[0] != header.name for t in targets):
            targets.append((header.name, weak))
    for host, settings in targets:
        label = host or "global"
        try:
            plan = plan_edits(load_config(str(main), tolerant=True), host, settings)
        except ProsodyConfigError as exc:
            refusal = exc
        else:
            refusal = None
        if refusal is not None:
            assert refusal.path in originals, str(refusal)
            assert isinstance(refusal.line, int), str(refusal)
            assert str(refusal).startswith(f"{refusal.path}:{refusal.line}: ")
            outcome.sections[label] = f"refused at line {refusal.line}"
            continue
        for file, text in plan.after.items():
            Path(file).write_bytes(text.encode("utf-8", "surrogateescape"))
        outcome.sections[label] = "edited"
        outcome.edits.append((host, settings))
        after = load_config(str(main), tolerant=True)
        for name, value in settings.items():
            last = after.assignments(host, name)[-1].statement
            assert isinstance(last, Assignment), (label, name)
            assert last.value.literal, (label, name)
            assert canonical(last.value.value) == canonical(value), (label, name)
    return outcome, originals


def _normalised(config: ProsodyConfig, path: str, drop: set[int]) -> str:
    """The file's text with the value of every enforced option replaced by a marker, and
    the statements at DROP (their start offsets, added by the edit) removed with their line."""
    text = config.texts()[path]
    spans: list[tuple[int, int, str]] = []
    for item in config.located:
        statement = item.statement
        if item.path != path or not isinstance(statement, Assignment):
            continue
        if statement.start in drop:
            start = text.rfind("\n", 0, statement.start) + 1
            end = text.find("\n", statement.end)
            spans.append((start, len(text) if end < 0 else end + 1, ""))
        elif statement.name in ENFORCED:
            spans.append((statement.value.start, statement.value.end, "<value>"))
    out, pos = [], 0
    for start, end, marker in sorted(spans):
        out += [text[pos:start], marker]
        pos = end
    return "".join([*out, text[pos:]])


def assert_only_edited_spans_changed(before: ProsodyConfig, after: ProsodyConfig) -> None:
    """Outside the values of the enforced options, every byte is as it was; what was added
    is whole lines that set enforced options."""

    def statements(config: ProsodyConfig, path: str) -> list[tuple[str | None, Assignment]]:
        return [
            (s.host, s.statement)
            for s in config.located
            if s.path == path and isinstance(s.statement, Assignment)
        ]

    for path in before.texts():
        old = [s for _h, s in statements(before, path)]
        new = [s for _h, s in statements(after, path)]
        matcher = difflib.SequenceMatcher(
            None,
            [(h, s.name) for h, s in statements(before, path)],
            [(h, s.name) for h, s in statements(after, path)],
            autojunk=False,
        )
        added: set[int] = set()
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            assert tag in ("equal", "insert"), (path, tag, old[i1:i2], new[j1:j2])
            added |= {s.start for s in new[j1:j2]} if tag == "insert" else set()
        assert all(s.name in ENFORCED for s in new if s.start in added)
        assert _normalised(before, path, set()) == _normalised(after, path, added)


@pytest.mark.parametrize("name", corpus_names())
def test_corpus_file_is_read_edited_or_refused_with_file_and_line(tmp_path: Path, name) -> None:
    main = copy_corpus(name, tmp_path)
    if name in LOAD_REFUSALS:
        line, message = LOAD_REFUSALS[name]
        with pytest.raises(ProsodyConfigError) as caught:
            load_config(str(main), tolerant=True)
        assert caught.value.path == str(main)
        assert caught.value.line == line
        assert message in caught.value.message
        return
    if b"\xef\xbb\xbf" not in main.read_bytes():
        assert_reads_like_lua(main)
    before = load_config(str(main), tolerant=True)
    outcome, originals = enforce(main)
    refused = {s: o for s, o in outcome.sections.items() if o != "edited"}
    expected = EDIT_REFUSALS.get(name.split(".")[0] + ".cfg.lua", {})
    assert refused == {s: f"refused at line {n}" for s, n in expected.items()}
    after = load_config(str(main), tolerant=True)
    assert_only_edited_spans_changed(before, after)
    luac = shutil.which("luac5.4")
    if luac:
        for file in originals:
            done = subprocess.run([luac, "-p", file], capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
    # Lua itself sees the enforced values where they were edited, and the rest unchanged.
    if outcome.sections.get("global") == "edited" and clouded(after) is not None:
        lua = lua_reads(main, ENV)
        for option, value in ENFORCED.items():
            assert lua[("*", option)] == canonical(value), option
    # A second run changes nothing.
    for host, settings in outcome.edits:
        assert not plan_edits(load_config(str(main), tolerant=True), host, settings).changes
