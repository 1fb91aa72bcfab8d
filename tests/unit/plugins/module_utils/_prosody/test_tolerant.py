"""Code the editor does not evaluate (issue #18 part 4): kept as it is, and only the edits
that depend on it are refused, naming the file, the line and what could not be checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import plan_edits
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    Assignment,
    ProsodyConfigError,
    SectionHeader,
    Unevaluated,
    parse_chunk,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.secrets import (
    REDACTED,
    redact_text,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    config_view,
    load_config,
)

from .conftest import canonical, lua_reads


@pytest.mark.parametrize(
    ("code", "reason", "assigns"),
    [
        (
            'if os.getenv("DEV") then\n  c2s_require_encryption = false\nend',
            "'if' block",
            {"c2s_require_encryption"},
        ),
        ("for _, d in ipairs({}) do print(d) end", "'for' block", set()),
        ("while false do x = 1 end", "'while' block", {"x"}),
        ("repeat y = 1 until true", "'repeat' block", {"y"}),
        ("do local z = 1 end", "'do' block", {"z"}),
        ("local function f() return 1 end", "local function", set()),
        ('print("loaded")', "function call", set()),
        ('print "loaded";', "function call", set()),
        ('ssl.key = "k"', "assignment to a computed target", {"ssl"}),
        ("a, b = 1, 2", "assignment to a computed target", {"a", "b"}),
        ('Include(os.getenv("EXTRA"))', "function call", None),
        ('rawset(_ENV, "c2s_require_encryption", false)', "function call", None),
    ],
)
def test_code_is_kept_unevaluated_with_what_it_may_set(code, reason, assigns) -> None:
    chunk = parse_chunk(f"a = 1\n{code}\nb = 2\n", "t.lua", tolerant=True)
    kept = [s for s in chunk.blocks[0].statements if isinstance(s, Unevaluated)]
    assert len(kept) == 1
    assert kept[0].reason == f"{reason} at line 2"
    assert kept[0].assigns == (None if assigns is None else frozenset(assigns))
    assert chunk.text[kept[0].start : kept[0].end].rstrip(";") == code.rstrip(";")
    names = [s.name for s in chunk.blocks[0].statements if isinstance(s, Assignment)]
    assert names == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a = 1\nif x then\n", 2, "unfinished 'if' block: missing 'end'"),
        ("a = 1\nx\n", 2, "not a statement"),
        ("a[1]\n", 1, "not a statement"),
        ('VirtualHost "x" { enabled = true }\n', 1, "inline option tables"),
        ("a = {\n", 1, "unfinished table"),
    ],
)
def test_what_is_not_lua_is_still_refused_with_the_line(text, line, message) -> None:
    with pytest.raises(ProsodyConfigError) as caught:
        parse_chunk(text, "t.lua", tolerant=True)
    assert caught.value.line == line
    assert message in caught.value.message


def test_computed_host_names() -> None:
    text = (
        'VirtualHost(os.getenv("DOMAIN"))\nComponent(ENV_MUC) "muc"\n'
        'VirtualHost("chat" .. ".example")\n'
    )
    headers = [b.header for b in parse_chunk(text, "t.lua", tolerant=True).blocks[1:]]
    assert headers[0] == SectionHeader("VirtualHost", 'os.getenv("DOMAIN")', None, 0, 32, True)
    assert (headers[1].name, headers[1].module, headers[1].dynamic) == ("ENV_MUC", "muc", True)
    assert (headers[2].name, headers[2].dynamic) == ("chat.example", False)


def test_strict_parsing_is_the_default() -> None:
    with pytest.raises(ProsodyConfigError, match="unsupported statement"):
        parse_chunk('print("x")\n', "t.lua")


ENV_CONFIG = """\
c2s_require_encryption = false
if os.getenv("DEV") then
\tallow_unencrypted_plain_auth = true
end
VirtualHost(os.getenv("DOMAIN"))
\tc2s_require_encryption = false
VirtualHost "fixed.example"
\tc2s_require_encryption = false
\ts2s_secure_auth = false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prosody.cfg.lua"
    path.write_text(text)
    return path


def apply(path: Path, host, settings) -> None:
    plan = plan_edits(load_config(str(path), tolerant=True), host, settings)
    for file, text in plan.after.items():
        Path(file).write_text(text)


def test_a_host_named_from_the_environment_blocks_only_what_depends_on_it(tmp_path) -> None:
    path = write(tmp_path, ENV_CONFIG)
    # The global section is enforced although a host's name is computed.
    apply(path, None, {"c2s_require_encryption": True, "s2s_require_encryption": True})
    # The computed host's own override is fixed, addressed by its Lua source.
    apply(path, 'os.getenv("DOMAIN")', {"c2s_require_encryption": True})
    env = {"DOMAIN": "env.example", "PATH": "/usr/bin:/bin"}
    lua = lua_reads(path, env)
    assert lua[("*", "c2s_require_encryption")] == canonical(True)
    assert lua[("env.example", "c2s_require_encryption")] == canonical(True)
    # A literal host may be the computed one: the option both set cannot be checked...
    with pytest.raises(ProsodyConfigError) as caught:
        plan_edits(
            load_config(str(path), tolerant=True), "fixed.example", {"c2s_require_encryption": True}
        )
    assert caught.value.line == 7  # line 6 before the global edit added a line above it
    assert "nothing was changed" in caught.value.message
    assert 'the section os.getenv("DOMAIN") (its name is computed) may be fixed.example' in str(
        caught.value
    )
    # ... one only it sets can.
    apply(path, "fixed.example", {"s2s_secure_auth": True})
    assert lua_reads(path, env)[("fixed.example", "s2s_secure_auth")] == canonical(True)


def test_an_if_block_that_may_set_an_option_blocks_its_edit_whole(tmp_path) -> None:
    path = write(tmp_path, ENV_CONFIG)
    before = path.read_text()
    settings = {"c2s_require_encryption": True, "allow_unencrypted_plain_auth": False}
    with pytest.raises(ProsodyConfigError) as caught:
        plan_edits(load_config(str(path), tolerant=True), None, settings)
    assert str(caught.value).startswith(f"{path}:2: nothing was changed: ")
    assert "allow_unencrypted_plain_auth in global cannot be checked" in caught.value.message
    assert "the 'if' block at line 2 may set it" in caught.value.message
    assert path.read_text() == before


def test_options_go_before_code_that_declares_hosts(tmp_path) -> None:
    path = write(
        tmp_path,
        'for _, d in ipairs({ "a.example" }) do\n\tVirtualHost(d)\nend\n'
        "\tallow_unencrypted_plain_auth = true\n",
    )
    config = load_config(str(path), tolerant=True)
    label = '(the section left open by: for _, d in ipairs({ "a.example" }) do)'
    assert [h.name for _p, h in config.headers] == [label]
    apply(path, None, {"c2s_require_encryption": True})
    apply(path, label, {"allow_unencrypted_plain_auth": False})
    assert path.read_text().splitlines()[0] == "c2s_require_encryption = true"
    lua = lua_reads(path)
    assert lua[("*", "c2s_require_encryption")] == canonical(True)
    assert lua[("a.example", "allow_unencrypted_plain_auth")] == canonical(False)


def test_an_option_is_added_after_a_doubled_semicolon(tmp_path) -> None:
    path = write(tmp_path, 'a = 1;;\nVirtualHost "x"\n')
    apply(path, None, {"b": 2})
    assert path.read_text() == 'a = 1;;\nb = 2\nVirtualHost "x"\n'


def test_the_view_lists_unevaluated_code_and_computed_sections(tmp_path) -> None:
    view = config_view(load_config(str(write(tmp_path, ENV_CONFIG)), tolerant=True))
    assert view["unevaluated"] == [
        {
            "file": view["main"],
            "line": 2,
            "section": "global",
            "reason": "'if' block at line 2",
            "may_set": ["allow_unencrypted_plain_auth"],
        }
    ]
    assert list(view["virtualhosts"]) == ["fixed.example"]
    dynamic = view["dynamic_sections"]['os.getenv("DOMAIN")']
    assert dynamic["line"] == 5
    assert dynamic["options"] == {"c2s_require_encryption": False}


def test_secrets_in_unevaluated_code_are_hidden() -> None:
    text = 'if os.getenv("X") then\n\tcomponent_secret = "s3cr3t"\nend\na = 1\n'
    shown = redact_text(text, "t.lua")
    assert "s3cr3t" not in shown
    assert REDACTED in shown
    assert shown.endswith("a = 1\n")
