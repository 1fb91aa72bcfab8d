"""The tokenizer and the values: what a Lua literal means, how Python values are written."""

from __future__ import annotations

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    Assignment,
    ProsodyConfigError,
    lua_equal,
    parse_chunk,
    render_value,
)


def values(text: str) -> dict[str, object]:
    chunk = parse_chunk(text, "t.lua")
    return {
        s.name: s.value.value if s.value.literal else "<expr>"
        for b in chunk.blocks
        for s in b.statements
        if isinstance(s, Assignment)
    }


def test_strings_with_escapes_and_long_brackets() -> None:
    got = values(
        'a = "tab\\there \\"q\\" \\65\\x42\\u{e9} \\z\n   end"\n'
        "c = [==[\nfirst ]] still\n]==]\n"
        "d = 'dash -- not a comment'\n"
    )
    assert got == {
        "a": 'tab\there "q" AB\u00e9 end',
        "c": "first ]] still\n",
        "d": "dash -- not a comment",
    }


def test_adjacent_string_is_a_call_not_a_second_value() -> None:
    # 'it''s' is two string tokens; a literal takes no call suffix, so the second one cannot
    # start a statement and the file is refused rather than misread.
    with pytest.raises(ProsodyConfigError, match=r"t\.lua:1"):
        values("b = 'it''s'\n")


def test_numbers() -> None:
    got = values("a = 10\nb = 0x1F\nc = 1.5e3\nd = -2\ne = .5\nf = 0x1p4\n")
    assert got == {"a": 10, "b": 31, "c": 1500.0, "d": -2, "e": 0.5, "f": 16.0}


def test_tables_nested_mixed_and_expressions() -> None:
    got = values(
        "t = { 'a'; 'b', }\n"
        "u = { x = 1; y = { z = true } }\n"
        "v = { info = 'f'; { levels = { 'error' } } }\n"
        "w = { [1] = 'a', [2] = 'b' }\n"
        "x = 'a' .. 'b'\n"
        "y = { k = FileContents('/x') }\n"
        "z = -2^2\n"
    )
    assert got["t"] == ["a", "b"]
    assert got["u"] == {"x": 1, "y": {"z": True}}
    assert got["v"] == {"info": "f", 1: {"levels": ["error"]}}
    assert got["w"] == ["a", "b"]
    assert got["x"] == got["y"] == got["z"] == "<expr>"


def test_comments_hide_code_and_brackets() -> None:
    chunk = parse_chunk(
        '--[[ VirtualHost "no" ]] a = { -- }\n 1 } --[==[ ]] } ]==]\nb = 2 -- VirtualHost "no"\n',
        "t.lua",
    )
    assert len(chunk.blocks) == 1
    assert [s.name for s in chunk.blocks[0].statements] == ["a", "b"]


def test_sections_and_component_module() -> None:
    chunk = parse_chunk(
        'a = 1\nVirtualHost "x"\nb = 2\nComponent "c" "muc"\nHost("y") Component("e")\n', "t"
    )
    headers = [(b.header.kind, b.header.name, b.header.module) for b in chunk.blocks[1:]]
    assert headers == [
        ("VirtualHost", "x", None),
        ("Component", "c", "muc"),
        ("VirtualHost", "y", None),
        ("Component", "e", None),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a = 1\nb = {\n 1,\n", 3, "unfinished table"),
        ("a = 1\n\nif x then a = 2 end\n", 3, "unexpected 'if'"),
        ("a = 'open\n", 1, "unfinished string"),
        ("a = 1\nb = --[[ never closed\n", 2, "unfinished long comment"),
        ("a = 1\nprint('x')\n", 2, "unsupported statement"),
        ('VirtualHost "x" { enabled = true }\n', 1, "inline option tables"),
        ("a, b = 1, 2\n", 1, "unsupported statement"),
        ("a = 1, 2\n", 1, "multiple values"),
        ("a = function() end\n", 1, "function definitions"),
        ("ssl.key = 'x'\n", 1, "unsupported statement"),
        ("a = 3x\n", 1, "malformed number"),
        ("a = '\\q'\n", 1, "invalid escape"),
        ("a = 1 @\n", 1, "unexpected character"),
        ("a = 1\nstärke = 2\n", 2, "unexpected character"),  # Lua names are ASCII only
        ("VirtualHost(name)\n", 1, "one literal string"),
    ],
)
def test_refusals_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ProsodyConfigError) as caught:
        parse_chunk(text, "/etc/prosody/x.cfg.lua")
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"/etc/prosody/x.cfg.lua:{line}: ")


@pytest.mark.parametrize(
    "value",
    [
        True,
        0,
        -17,
        2.5,
        "plain",
        'quote " back \\ newline \n tab \t bell \a nul \0 dashes -- ]] end',
        "nul then a digit \x001 and \x00" + "9",
        "caf\u00e9",
        [],
        {},
        ["a", 1, False],
        {"protocol": "tlsv1_2+", "options": ["no_ticket"], "end": 1, "with space": 2, 3: "x"},
        {"nested": {"deeper": {"deepest": [1, [2, [3]]]}}},
    ],
)
def test_render_then_parse_is_the_same_value(value: object) -> None:
    text = f"x = {render_value(value)}\n"
    chunk = parse_chunk(text, "t")
    statement = chunk.blocks[0].statements[0]
    assert isinstance(statement, Assignment)
    assert statement.value.literal
    assert lua_equal(statement.value.value, value)


def test_render_refuses_what_lua_cannot_hold() -> None:
    with pytest.raises(ValueError, match="remove"):
        render_value(None)
    with pytest.raises(ValueError, match="no literal"):
        render_value(float("nan"))
    with pytest.raises(ValueError, match="set"):
        render_value({1, 2})


def test_lua_equality() -> None:
    assert lua_equal(1, 1.0)
    assert not lua_equal(True, 1)
    assert not lua_equal(1, "1")
    assert lua_equal([], {})
    assert lua_equal(["a", "b"], {1: "a", 2: "b"})
    assert not lua_equal(["a", "b"], ["b", "a"])
    assert lua_equal({"a": [1, {"b": True}]}, {"a": [1.0, {"b": True}]})
    assert not lua_equal({"a": 1}, {"a": 1, "b": 2})
