"""The admin-shell table parser and the impact preview.

s2s_lab_a.txt and c2s_lab_a_plaintext.txt were printed by the lab's Prosody 0.12.3 (the first
with the lua-unbound banner shortened); the other tables are built in the same format with
format_row below, for states the lab cannot produce on demand (plaintext s2s, bad certificates).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.sessions import (
    C2S_COLUMNS,
    S2S_COLUMNS,
    TITLES,
    ProsodyShellError,
    close_command,
    lua_string,
    parse_c2s,
    parse_s2s,
    s2s_impact,
    shell_command,
)

FIXTURES = Path(__file__).parent / "fixtures"
# Widths Prosody 0.12 pads the s2s and c2s columns to (from the real output).
S2S_WIDTHS = (20, 22, 4, 22, 9, 12, 10, 13)
C2S_WIDTHS = (20, 32, 9)


def format_row(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))


def s2s_table(*rows: tuple[str, ...]) -> str:
    header = format_row(tuple(TITLES[c] for c in S2S_COLUMNS), S2S_WIDTHS)
    body = [format_row(r, S2S_WIDTHS) for r in rows]
    return "\n".join(
        ["", "banner line", header, *body, f"OK: {len(rows)} s2s connections shown", ""]
    )


def test_real_s2s_output_from_the_lab() -> None:
    (session,) = parse_s2s((FIXTURES / "s2s_lab_a.txt").read_text())
    assert session.id == "s2sout561a0b591660"
    assert (session.host, session.direction, session.remote) == (
        "a.lab.test",
        "outgoing",
        "b.lab.test",
    )
    assert session.security == "TLSv1.3"
    assert session.encrypted
    assert session.certificate_valid
    assert not session.truncated
    assert (session.sasl, session.dialback) == ("Succeeded", "Not used")
    assert s2s_impact([session]).as_dict() == {"without_tls": [], "without_valid_certificate": []}


def test_real_c2s_output_with_a_plaintext_session() -> None:
    (session,) = parse_c2s((FIXTURES / "c2s_lab_a_plaintext.txt").read_text())
    assert session.jid == "alice@a.lab.test/plain1"
    assert session.security == "insecure"
    assert not session.encrypted


def test_a_resource_holding_the_cell_separator_stays_one_jid() -> None:
    # A client picks its own resource; " | " in it must not shift the columns.
    header = format_row(tuple(TITLES[c] for c in C2S_COLUMNS), C2S_WIDTHS)
    rows = [
        format_row(("c2s1", "alice@a.lab.test/phone | home", "insecure"), C2S_WIDTHS),
        format_row(("c2s2", "bob@a.lab.test/ | | ", "TLSv1.3"), C2S_WIDTHS),
    ]
    text = "\n".join([header, *rows, "OK: 2 c2s sessions shown", ""])
    first, second = parse_c2s(text)
    assert (first.id, first.jid, first.security) == (
        "c2s1",
        "alice@a.lab.test/phone | home",
        "insecure",
    )
    assert (second.id, second.jid, second.security) == ("c2s2", "bob@a.lab.test/ | |", "TLSv1.3")


def test_impact_lists_each_remote_once_and_sorted() -> None:
    text = s2s_table(
        ("s2sin1", "a.example", "<--", "zeta.example", "insecure", "Unknown", "", "Completed"),
        ("s2sout2", "a.example", "-->", "zeta.example", "insecure", "Unknown", "", "Completed"),
        ("s2sout3", "a.example", "<->", "self.example", "TLSv1.2", "Self-signed", "", "Completed"),
        (
            "s2sout4",
            "a.example",
            "-->",
            "good.example",
            "TLSv1.3",
            "Valid",
            "Succeeded",
            "Not used",
        ),
        ("s2sin5", "a.example", "<--", "alpha.example", "secure", "Expired", "", "Completed"),
    )
    sessions = parse_s2s(text)
    assert [s.direction for s in sessions] == [
        "incoming",
        "outgoing",
        "both",
        "outgoing",
        "incoming",
    ]
    impact = s2s_impact(sessions)
    assert impact.without_tls == ("zeta.example",)
    assert impact.without_valid_certificate == ("alpha.example", "self.example", "zeta.example")


def test_no_sessions_means_no_impact() -> None:
    assert s2s_impact(parse_s2s(s2s_table())).as_dict() == {
        "without_tls": [],
        "without_valid_certificate": [],
    }


def test_names_cut_by_the_column_width_are_flagged() -> None:
    long_remote = "a-very-long-remote-na\u2026"
    (session,) = parse_s2s(
        s2s_table(("s2sout1", "a.example", "-->", long_remote, "insecure", "Unknown", "", ""))
    )
    assert session.truncated
    assert not parse_s2s(
        s2s_table(("s2sout1", "a.example", "-->", "b.example", "TLSv1.3", "Valid", "", ""))
    )[0].truncated


def test_error_status_is_raised_with_prosodys_message() -> None:
    with pytest.raises(ProsodyShellError, match="Unable to connect"):
        parse_s2s("banner\n! Unable to connect to server\n")


def test_missing_header_is_an_error() -> None:
    with pytest.raises(ProsodyShellError, match="no session table"):
        parse_s2s("OK: 0 s2s connections shown\n")


def test_row_with_wrong_cell_count_is_an_error() -> None:
    text = s2s_table().replace("OK:", "s2sout1 | a.example\nOK:")
    with pytest.raises(ProsodyShellError, match="2 cells"):
        parse_s2s(text)


def test_unknown_direction_is_an_error() -> None:
    with pytest.raises(ProsodyShellError, match="direction"):
        parse_s2s(
            s2s_table(("s2sout1", "a.example", "??", "b.example", "TLSv1.3", "Valid", "", ""))
        )


def test_output_cut_before_the_status_line_is_an_error() -> None:
    text = s2s_table(("s2sout1", "a.example", "-->", "b.example", "TLSv1.3", "Valid", "", ""))
    with pytest.raises(ProsodyShellError, match="did not finish"):
        parse_s2s(text.rsplit("OK:", 1)[0])


def test_commands_name_the_columns() -> None:
    assert (
        shell_command("s2s", S2S_COLUMNS)
        == 's2s:show(nil, "id host dir remote secure cert s2s_sasl dialback")'
    )
    assert shell_command("c2s", C2S_COLUMNS) == 'c2s:show(nil, "id jid secure")'
    with pytest.raises(ValueError, match="s2s or c2s"):
        shell_command("bosh", C2S_COLUMNS)


def test_lua_strings_are_escaped_and_control_characters_refused() -> None:
    assert lua_string('a"b\\c') == '"a\\"b\\\\c"'
    with pytest.raises(ProsodyShellError):
        lua_string("a\nb")
    assert (
        close_command("alice@a.example/x", "bye")
        == 'c2s:close("alice@a.example/x", "bye", "policy-violation")'
    )
