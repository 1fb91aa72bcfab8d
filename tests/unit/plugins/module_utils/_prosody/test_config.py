"""Edits on realistic configs: the right section, nothing else touched, a second run is a no-op."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import plan_edits
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    ProsodyConfigError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    config_view,
    load_config,
)

ENFORCE = {
    "c2s_require_encryption": True,
    "s2s_require_encryption": True,
    "s2s_secure_auth": True,
    "allow_unencrypted_plain_auth": False,
    "ssl": {"protocol": "tlsv1_2+", "ciphers": "HIGH:!aNULL:!MD5"},
}


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(True), after.splitlines(True)))
    return [d[2:] for d in diff if d[0] == "-"], [d[2:] for d in diff if d[0] == "+"]


def apply(path: Path, host: str | None = None, settings=None, remove=(), follow=True):
    plan = plan_edits(load_config(str(path), follow), host, settings or {}, remove)
    for file, text in plan.after.items():
        Path(file).write_bytes(text.encode("utf-8", "surrogateescape"))
    return plan


def test_debian_default_enforce_changes_only_what_it_must(fixture_copy) -> None:
    main = fixture_copy("debian") / "prosody.cfg.lua"
    before = main.read_text()
    plan = apply(main, settings=ENFORCE)
    after = main.read_text()
    removed, added = changed_lines(before, after)
    # Two options already right, one replaced in place, two added at the end of global.
    assert removed == ["s2s_secure_auth = false\n"]
    assert added == [
        "s2s_secure_auth = true\n",
        "allow_unencrypted_plain_auth = false\n",
        'ssl = { protocol = "tlsv1_2+", ciphers = "HIGH:!aNULL:!MD5" }\n',
    ]
    # The additions sit after the last global option, before the Virtual hosts comment block.
    lines = after.splitlines()
    cert = lines.index('certificates = "certs"')
    assert lines[cert + 1 : cert + 3] == [
        "allow_unencrypted_plain_auth = false",
        'ssl = { protocol = "tlsv1_2+", ciphers = "HIGH:!aNULL:!MD5" }',
    ]
    assert lines.index('VirtualHost "localhost"') > cert + 3
    assert {(c.option, c.action) for c in plan.changes} == {
        ("s2s_secure_auth", "set"),
        ("allow_unencrypted_plain_auth", "add"),
        ("ssl", "add"),
    }
    view = config_view(load_config(str(main)))
    for name, value in ENFORCE.items():
        assert view["global"]["options"][name] == value
    assert "ssl" not in view["virtualhosts"]["localhost"]["options"]
    assert not apply(main, settings=ENFORCE).changes
    assert main.read_text() == after


def test_host_option_goes_to_that_host_only(fixture_copy) -> None:
    path = fixture_copy("multi.cfg.lua")
    before = path.read_text()
    apply(path, host="third.example.net", settings={"s2s_secure_auth": True})
    apply(path, host="second.example.net", settings={"c2s_require_encryption": True})
    view = config_view(load_config(str(path)))
    assert view["virtualhosts"]["third.example.net"]["options"]["s2s_secure_auth"] is True
    assert view["virtualhosts"]["second.example.net"]["options"]["c2s_require_encryption"]
    # The global value and the other hosts' values are untouched.
    assert view["global"]["options"]["c2s_require_encryption"] is False
    assert "s2s_secure_auth" not in view["global"]["options"]
    assert view["virtualhosts"]["example.net"]["options"]["c2s_require_encryption"] is False
    removed, added = changed_lines(before, path.read_text())
    assert removed == []
    # Each new line is indented like its section's other options.
    assert added == ["\tc2s_require_encryption = true\n", "  s2s_secure_auth = true\n"]


def test_repeated_option_changes_only_the_section_asked(fixture_copy) -> None:
    path = fixture_copy("multi.cfg.lua")
    before = path.read_text()
    plan = apply(path, host="example.net", settings={"c2s_require_encryption": True})
    removed, added = changed_lines(before, path.read_text())
    assert removed == ["\tc2s_require_encryption = false -- this host too\n"]
    assert added == ["\tc2s_require_encryption = true -- this host too\n"]
    assert [(c.section, c.old, c.new) for c in plan.changes] == [
        ("VirtualHost example.net", False, True)
    ]


def test_global_asked_does_not_touch_hosts_and_vice_versa(fixture_copy) -> None:
    path = fixture_copy("multi.cfg.lua")
    apply(path, settings={"c2s_require_encryption": True, "s2s_require_encryption": True})
    text = path.read_text()
    assert "c2s_require_encryption=true;\n" in text  # odd spacing and ';' kept
    assert "s2s_require_encryption   =   true ; -- legacy peers\n" in text
    assert "\tc2s_require_encryption = false -- this host too\n" in text
    # An option only set globally, asked for a component, is added to the component.
    apply(path, host="conference.example.net", settings={"allow_unencrypted_plain_auth": False})
    view = config_view(load_config(str(path)))
    conference = view["components"]["conference.example.net"]
    assert conference["options"]["allow_unencrypted_plain_auth"] is False
    assert view["global"]["options"]["allow_unencrypted_plain_auth"] is True


def test_semantic_compare_means_no_change(fixture_copy) -> None:
    path = fixture_copy("multi.cfg.lua")
    settings = {
        "s2s_require_encryption": False,  # written as `false ;` with a comment
        "c2s_ports": [5222],  # written `{ 5222 } ;` on a line shared with another option
        "admins": ["ops@example.net", "root@example.net"],  # mixed quotes
        "motd_text": "Welcome! -- this is not a comment\nand } this is not the end of a table",
        "http_max_content_size": -1.0,
    }
    assert not plan_edits(load_config(str(path)), None, settings).changes
    components = {"modules_enabled": ["muc_mam", "vcard_muc"], "muc_log_expires_after": "1w"}
    assert not plan_edits(load_config(str(path)), "conference.example.net", components).changes


def test_expression_values_are_replaced_by_literals(fixture_copy) -> None:
    path = fixture_copy("multi.cfg.lua")
    before = path.read_text()
    plan = apply(path, settings={"max_size": 262144})
    assert plan.changes[0].old == "256*1024"
    removed, added = changed_lines(before, path.read_text())
    assert (removed, added) == (["max_size = 256*1024\n"], ["max_size = 262144\n"])
    assert not apply(path, settings={"max_size": 262144}).changes


def test_multiline_table_keeps_its_layout(fixture_copy) -> None:
    path = fixture_copy("multi.cfg.lua")
    ssl = {"protocol": "tlsv1_2+", "options": ["no_sslv2", "no_sslv3"], "curve": "secp384r1"}
    apply(path, settings={"ssl": ssl})
    text = path.read_text()
    assert (
        "ssl = {\n"
        '\tprotocol = "tlsv1_2+";\n'
        '\toptions = { "no_sslv2", "no_sslv3" };\n'
        '\tcurve = "secp384r1";\n'
        "}\nmax_size" in text
    )
    apply(path, host="conference.example.net", settings={"modules_enabled": ["muc_mam"]})
    assert '\tmodules_enabled = {\n\t\t"muc_mam";\n\t}\n\tmuc_log_expires_after' in path.read_text()


def test_long_new_table_is_spread_over_lines(fixture_copy) -> None:
    path = fixture_copy("debian") / "prosody.cfg.lua"
    mods = [f"module_number_{n}" for n in range(8)]
    apply(path, host="localhost", settings={"modules_enabled": mods})
    text = path.read_text()
    expected = "\n".join(f'\t"{m}",' for m in mods)
    assert f'VirtualHost "localhost"\nmodules_enabled = {{\n{expected}\n}}\n' in text
    view = config_view(load_config(str(path)))
    assert view["virtualhosts"]["localhost"]["options"]["modules_enabled"] == mods
    assert not apply(path, host="localhost", settings={"modules_enabled": mods}).changes


def test_remove_takes_the_line_and_its_comment(fixture_copy) -> None:
    path = fixture_copy("multi.cfg.lua")
    before = path.read_text()
    plan = apply(path, remove=["s2s_require_encryption", "legacy_ssl_ports", "ssl"])
    removed, added = changed_lines(before, path.read_text())
    assert "s2s_require_encryption   =   false ; -- legacy peers\n" in removed
    # Sharing a line with another option: only the statement goes.
    assert "c2s_ports = { 5222 } ; legacy_ssl_ports = { 5223 }\n" in removed
    assert added == ["c2s_ports = { 5222 } ; \n"]
    view = config_view(load_config(str(path)))
    assert "ssl" not in view["global"]["options"]
    assert "ssl" not in view["global"]["expressions"]
    assert "ssl" in view["virtualhosts"]["example.net"]["expressions"]
    assert {c.action for c in plan.changes} == {"remove"}
    assert not apply(path, remove=["s2s_require_encryption"]).changes


def test_crlf_file_stays_crlf(fixture_copy) -> None:
    path = fixture_copy("crlf.cfg.lua")
    before = path.read_bytes()
    assert before.count(b"\r\n") == before.count(b"\n") > 0  # the sample is CRLF throughout
    apply(path, settings={"c2s_require_encryption": True, "new_option": "x"})
    apply(path, host="gateway.example.net", settings={"component_secret": "n", "b": [1] * 40})
    after = path.read_bytes()
    assert b"\n" not in after.replace(b"\r\n", b"")
    assert after.count(b"\r\n") > before.count(b"\r\n")
    assert b'network_backend = "epoll"\r\nnew_option = "x"\r\n\r\nVirtualHost' in after
    assert b"\tb = {\r\n\t\t1,\r\n" in after
    assert (
        after.replace(b"c2s_require_encryption=true;", b"c2s_require_encryption=false;")[:200]
        == before[:200]
    )


def test_includes_edit_where_the_option_is_set(fixture_copy) -> None:
    root = fixture_copy("includes")
    main, tls = root / "prosody.cfg.lua", root / "extra" / "tls.cfg.lua"
    two = root / "conf.d" / "two.example.cfg.lua"
    main_before = main.read_text()
    plan = apply(main, settings={"s2s_require_encryption": True, "s2s_secure_auth": True})
    assert main.read_text() == main_before
    assert "s2s_require_encryption = true\n" in tls.read_text()
    assert "s2s_secure_auth = true\n" in two.read_text()
    assert {c.file for c in plan.changes} == {str(tls), str(two)}
    # A host declared in an included file gets its option there.
    apply(main, host="rooms.two.example", settings={"restrict_room_creation": "local"})
    assert two.read_text().endswith('"muc"\nrestrict_room_creation = "local"\n')
    # Not following includes: the main file gets it.
    apply(main, settings={"s2s_secure_auth": False}, follow=False)
    assert main.read_text().endswith('certificates = "certs"\ns2s_secure_auth = false\n')


def test_includes_view(fixture_copy) -> None:
    root = fixture_copy("includes")
    view = config_view(load_config(str(root / "prosody.cfg.lua")))
    assert [Path(f).name for f in view["files"]] == [
        "prosody.cfg.lua",
        "tls.cfg.lua",
        "one.example.cfg.lua",
        "two.example.cfg.lua",
    ]
    assert [i["pattern"] for i in view["includes"]] == ["extra/tls.cfg.lua", "conf.d/*.cfg.lua"]
    assert set(view["virtualhosts"]) == {"one.example", "two.example"}
    assert view["components"]["rooms.two.example"]["module"] == "muc"
    assert view["global"]["options"]["ssl"] == {"protocol": "tlsv1+"}
    assert view["virtualhosts"]["one.example"]["options"] == {"s2s_require_encryption": False}
    only_main = config_view(load_config(str(root / "prosody.cfg.lua"), follow_includes=False))
    assert only_main["virtualhosts"] == {}
    assert only_main["files"] == [str(root / "prosody.cfg.lua")]


def test_unknown_host_is_refused(fixture_copy) -> None:
    path = fixture_copy("multi.cfg.lua")
    with pytest.raises(ProsodyConfigError, match="no VirtualHost or Component named 'nope'"):
        plan_edits(load_config(str(path)), "nope", {"a": 1})


@pytest.mark.parametrize(
    ("settings", "remove", "message"),
    [
        ({"a": None}, [], "remove"),
        ({"a": 1}, ["a"], "both set and removed"),
        ({"VirtualHost": 1}, [], "not a valid option name"),
        ({"a-b": 1}, [], "not a valid option name"),
    ],
)
def test_bad_requests_are_refused(fixture_copy, settings, remove, message) -> None:
    path = fixture_copy("multi.cfg.lua")
    with pytest.raises(ProsodyConfigError, match=message):
        plan_edits(load_config(str(path)), None, settings, remove)


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("unclosed_table.cfg.lua", 6),
        ("conditional.cfg.lua", 3),
        ("unfinished_string.cfg.lua", 1),
        ("inline_table.cfg.lua", 1),
    ],
)
def test_unparseable_files_are_refused_with_file_and_line(fixture_copy, name, line) -> None:
    path = fixture_copy(f"bad/{name}")
    with pytest.raises(ProsodyConfigError) as caught:
        load_config(str(path))
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_broken_included_file_is_refused_by_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "main.cfg.lua").write_text('a = 1\nInclude "broken.cfg.lua"\n')
    (tmp_path / "broken.cfg.lua").write_text("b = 2\n\nc = {\n")
    with pytest.raises(ProsodyConfigError, match=r"broken\.cfg\.lua:3: "):
        load_config(str(tmp_path / "main.cfg.lua"))


def test_empty_file_and_no_trailing_newline(tmp_path: Path) -> None:
    empty = tmp_path / "empty.cfg.lua"
    empty.write_text("")
    apply(empty, settings={"a": True})
    assert empty.read_text() == "a = true\n"
    bare = tmp_path / "bare.cfg.lua"
    bare.write_text('-- only a comment\nVirtualHost "x"\nb = 1')
    apply(bare, settings={"a": 1})
    apply(bare, host="x", settings={"c": 2})
    assert bare.read_text() == '-- only a comment\na = 1\nVirtualHost "x"\nb = 1\nc = 2'


def test_non_utf8_bytes_survive(tmp_path: Path) -> None:
    path = tmp_path / "latin1.cfg.lua"
    original = b'-- caf\xe9 au lait\nmotd_text = "d\xe9j\xe0"\na = 1\n'
    path.write_bytes(original)
    apply(path, settings={"a": 2})
    assert path.read_bytes() == original.replace(b"a = 1", b"a = 2")
