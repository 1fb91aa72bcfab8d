"""module_utils/_prosody/enforcement.py: the expectations are what the enforce role's Jinja
templates (cert_groups, global_edit, host_edits, refusals) produced for the same inputs."""

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.checker import (
    read_check_output,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import plan_edits
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.enforcement import (
    PER_HOST_OPTIONS,
    CertificateGroup,
    Edit,
    EnforcementError,
    certificate_candidates,
    certificate_groups,
    check_warnings,
    enforced_settings,
    find_overrides,
    global_edit,
    host_edits,
    older_than,
    pick_certificate,
    preflight_refusals,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    config_view,
    load_config,
)

D = "/etc/prosody/certs"
WEAK = ["protocol", "ciphers", "ciphersuites", "options", "curve", "curveslist", "dhparam"]
BASE = {
    "c2s_require_encryption": True,
    "s2s_require_encryption": True,
    "allow_unencrypted_plain_auth": False,
    "tls_profile": "intermediate",
}


def section(options=None, expressions=None):
    return {"options": options or {}, "expressions": expressions or {}, "files": []}


def config(global_options=None, virtualhosts=None, components=None, global_expressions=None):
    return {
        "global": section(global_options, global_expressions),
        "virtualhosts": virtualhosts or {},
        "components": components or {},
    }


# --- where Prosody finds certificates ----------------------------------------------------------
def test_candidates_follow_prosodys_order():
    assert certificate_candidates("conference.a.test", D) == [
        (f"{D}/conference.a.test/fullchain.pem", f"{D}/conference.a.test/privkey.pem"),
        (f"{D}/conference.a.test.crt", f"{D}/conference.a.test.key"),
        (f"{D}/a.test/fullchain.pem", f"{D}/a.test/privkey.pem"),
        (f"{D}/a.test.crt", f"{D}/a.test.key"),
    ]


def test_a_single_label_has_no_candidate_and_the_top_label_is_never_tried():
    assert certificate_candidates("localhost", D) == []
    assert [cert for cert, _key in certificate_candidates("a.test", D)] == [
        f"{D}/a.test/fullchain.pem",
        f"{D}/a.test.crt",
    ]


def test_a_component_uses_its_parents_folder():
    existing = [f"{D}/a.test/fullchain.pem", f"{D}/a.test/privkey.pem"]
    assert pick_certificate("conference.a.test", D, existing, {}) == tuple(existing)


def test_a_certificate_without_its_key_is_not_picked():
    existing = [f"{D}/b.test.crt", f"{D}/muc.b.test.crt", f"{D}/muc.b.test.key"]
    assert pick_certificate("b.test", D, existing, {}) == (
        f"{D}/b.test/fullchain.pem",
        f"{D}/b.test/privkey.pem",
    )
    assert pick_certificate("muc.b.test", D, existing, {}) == (
        f"{D}/muc.b.test.crt",
        f"{D}/muc.b.test.key",
    )


def test_the_folder_layout_wins_over_the_flat_pair_and_the_name_over_its_parent():
    existing = [
        f"{D}/x.a.test.crt",
        f"{D}/x.a.test.key",
        f"{D}/x.a.test/fullchain.pem",
        f"{D}/x.a.test/privkey.pem",
        f"{D}/a.test/fullchain.pem",
        f"{D}/a.test/privkey.pem",
    ]
    assert pick_certificate("x.a.test", D, existing, {})[0] == f"{D}/x.a.test/fullchain.pem"
    assert pick_certificate("x.a.test", D, existing[:2] + existing[4:], {})[0] == (
        f"{D}/x.a.test.crt"
    )


def test_given_files_win_even_over_existing_ones():
    existing = [f"{D}/a.test/fullchain.pem", f"{D}/a.test/privkey.pem"]
    files = {"a.test": {"certificate": "/o/a.pem", "key": "/o/a.key"}}
    assert pick_certificate("a.test", D, existing, files) == ("/o/a.pem", "/o/a.key")


def test_given_files_need_both_paths():
    with pytest.raises(EnforcementError, match="need 'certificate' and 'key'"):
        pick_certificate("a.test", D, [], {"a.test": {"certificate": "/o/a.pem"}})


def test_no_names_no_groups():
    assert certificate_groups([], D, [], {}) == []


def test_names_are_grouped_by_certificate():
    existing = [f"{D}/a.test/fullchain.pem", f"{D}/a.test/privkey.pem"]
    groups = certificate_groups(["a.test", "conference.a.test", "b.test"], D, existing, {})
    assert groups == [
        CertificateGroup(
            "a.test",
            f"{D}/a.test/fullchain.pem",
            f"{D}/a.test/privkey.pem",
            ("a.test", "conference.a.test"),
        ),
        CertificateGroup(
            "b.test", f"{D}/b.test/fullchain.pem", f"{D}/b.test/privkey.pem", ("b.test",)
        ),
    ]
    assert groups[0].as_dict() == {
        "group": "a.test",
        "certificate": f"{D}/a.test/fullchain.pem",
        "key": f"{D}/a.test/privkey.pem",
        "names": ["a.test", "conference.a.test"],
        "files": [f"{D}/a.test/fullchain.pem", f"{D}/a.test/privkey.pem"],
    }


def test_groups_are_ordered_by_path_without_case_and_names_keep_their_order():
    # A relative directory, a trailing slash, a name listed twice: all kept as they come.
    files = {
        "z.test": {"certificate": "/B/z.crt", "key": "/B/z.key"},
        "Y.test": {"certificate": "/a/y.crt", "key": "/a/y.key"},
    }
    groups = certificate_groups(
        ["x.test", "Y.test", "z.test", "localhost", "x.test"], "c/", [], files
    )
    assert [(g.group, g.certificate, g.names) for g in groups] == [
        ("Y.test", "/a/y.crt", ("Y.test",)),
        ("z.test", "/B/z.crt", ("z.test",)),
        ("localhost", "c//localhost/fullchain.pem", ("localhost",)),
        ("x.test", "c//x.test/fullchain.pem", ("x.test", "x.test")),
    ]


def test_a_group_is_named_after_its_first_member_in_hosted_order():
    existing = ["certs/c.d/fullchain.pem", "certs/c.d/privkey.pem"]
    groups = certificate_groups(["a.b.c.d", "c.d", "b.c.d"], "certs", existing, {})
    assert [(g.group, g.names) for g in groups] == [("a.b.c.d", ("a.b.c.d", "c.d", "b.c.d"))]


# --- the global edit ---------------------------------------------------------------------------
def test_enforced_settings_leave_empty_options_alone():
    assert enforced_settings("intermediate") == BASE
    assert enforced_settings("modern", s2s_insecure_domains=["old.test"]) == {
        **BASE,
        "tls_profile": "modern",
    }


def test_enforced_settings_with_everything():
    assert enforced_settings("old", "/etc/x", [5223, "5224"], [5270], True, ["old.test"]) == {
        **BASE,
        "tls_profile": "old",
        "certificates": "/etc/x",
        "c2s_direct_tls_ports": [5223, 5224],
        "s2s_direct_tls_ports": [5270],
        "s2s_secure_auth": True,
        "s2s_insecure_domains": ["old.test"],
    }


def test_secure_auth_without_insecure_domains():
    assert enforced_settings("intermediate", s2s_secure_auth=True) == {
        **BASE,
        "s2s_secure_auth": True,
    }


def test_no_ssl_no_removal():
    assert global_edit({}, BASE, {}, WEAK) == Edit(BASE, ())
    assert global_edit({}, BASE, {}, WEAK).as_dict() == {"settings": BASE, "remove": []}


def test_an_ssl_table_of_weakening_keys_only_is_removed():
    edit = global_edit({"ssl": {"protocol": "tlsv1+", "ciphers": "ALL"}}, BASE, {}, WEAK)
    assert edit.as_dict() == {"settings": BASE, "remove": ["ssl"]}


def test_an_empty_ssl_table_is_removed():
    assert global_edit({"ssl": {}}, BASE, {}, WEAK).remove == ("ssl",)


def test_the_rest_of_an_ssl_table_stays():
    options = {"ssl": {"protocol": "tlsv1+", "certificate": "/c.pem", "key": "/k.pem"}}
    assert global_edit(options, BASE, {}, WEAK).as_dict() == {
        "settings": {**BASE, "ssl": {"certificate": "/c.pem", "key": "/k.pem"}},
        "remove": [],
    }


def test_an_ssl_table_without_weakening_keys_is_left_alone():
    assert global_edit({"ssl": {"certificate": "/c.pem"}}, BASE, {}, WEAK) == Edit(BASE, ())


def test_an_ssl_that_is_not_a_table_is_left_alone():
    assert global_edit({"ssl": ["a", "b"]}, BASE, {}, WEAK) == Edit(BASE, ())
    assert global_edit({"ssl": None}, BASE, {}, WEAK) == Edit(BASE, ())


def test_enforced_options_win_over_extras_which_come_first():
    extra = {"tls_profile": "old", "foo": [1, 2], "c2s_require_encryption": False}
    edit = global_edit({}, BASE, extra, WEAK)
    assert edit.settings == {**BASE, "foo": [1, 2]}
    assert list(edit.settings) == [
        "tls_profile",
        "foo",
        "c2s_require_encryption",
        "s2s_require_encryption",
        "allow_unencrypted_plain_auth",
    ]


def test_an_ssl_among_the_extras_is_the_operators():
    extra = {"ssl": {"ciphers": "HIGH"}}
    edit = global_edit({"ssl": {"protocol": "x"}}, BASE, extra, WEAK)
    assert edit.as_dict() == {"settings": {**extra, **BASE}, "remove": []}


# --- host edits --------------------------------------------------------------------------------
def test_no_names_no_edits():
    assert host_edits(config(), [], {}, {}, WEAK) == []


def test_hosts_that_need_nothing_get_no_edit():
    cfg = config(virtualhosts={"a.test": section()}, components={"conf.a.test": section()})
    assert host_edits(cfg, ["a.test", "conf.a.test"], {}, {}, WEAK) == []


def test_several_hosts_and_a_component():
    cfg = config(
        virtualhosts={
            "a.test": section({"ssl": {"protocol": "tlsv1"}}),
            "b.test": section({"ssl": {"ciphers": "x", "key": "/k"}}),
            "c.test": section({"ssl": {}}),
            "d.test": section({"ssl": ["x"]}),
            "e.test": section({"ssl": {"ciphers": "x", "key": "/k"}}),
        },
        components={"conf.a.test": section({"ssl": {"certificate": "/c"}})},
    )
    edits = host_edits(
        cfg,
        ["a.test", "b.test", "c.test", "d.test", "e.test", "conf.a.test"],
        {"b.test": {"ssl": {"protocol": "keep"}}, "c.test": {"modules_enabled": ["x"]}},
        {
            "d.test": {"certificate": "/d.crt", "key": "/d.key"},
            "conf.a.test": {"certificate": "/ca.crt", "key": "/ca.key"},
        },
        WEAK,
    )
    assert [e.as_dict() for e in edits] == [
        # only weakening keys: the table goes
        {"host": "a.test", "settings": {}, "remove": ["ssl"]},
        # the operator's ssl for the host is set as given
        {"host": "b.test", "settings": {"ssl": {"protocol": "keep"}}, "remove": []},
        # an empty table stays (nothing to remove), the host's own settings are set
        {"host": "c.test", "settings": {"modules_enabled": ["x"]}, "remove": []},
        # a non-table ssl is replaced by the given certificate pair
        {
            "host": "d.test",
            "settings": {"ssl": {"certificate": "/d.crt", "key": "/d.key"}},
            "remove": [],
        },
        {"host": "e.test", "settings": {"ssl": {"key": "/k"}}, "remove": []},
        # the given pair replaces the component's own certificate
        {
            "host": "conf.a.test",
            "settings": {"ssl": {"certificate": "/ca.crt", "key": "/ca.key"}},
            "remove": [],
        },
    ]


def test_a_name_both_virtualhost_and_component_is_edited_as_the_component():
    cfg = config(
        virtualhosts={"same.test": section({"ssl": {"curve": "x", "certificate": "/v"}})},
        components={"same.test": section({"ssl": {"protocol": "z"}})},
    )
    edits = host_edits(cfg, ["same.test", "same.test"], {}, {}, WEAK)
    assert [e.as_dict() for e in edits] == [
        {"host": "same.test", "settings": {}, "remove": ["ssl"]}
    ] * 2


def test_the_operators_settings_are_not_changed_in_place():
    given = {"a.test": {"modules_enabled": ["x"]}}
    cfg = config(virtualhosts={"a.test": section({"ssl": {"certificate": "/c", "protocol": "p"}})})
    edits = host_edits(cfg, ["a.test"], given, {}, WEAK)
    assert edits[0].settings == {"modules_enabled": ["x"], "ssl": {"certificate": "/c"}}
    assert given == {"a.test": {"modules_enabled": ["x"]}}


def test_an_unknown_host_is_an_error():
    with pytest.raises(EnforcementError, match="neither a VirtualHost nor a Component"):
        host_edits(config(), ["nowhere.test"], {}, {}, WEAK)


def test_host_settings_must_be_a_mapping():
    cfg = config(virtualhosts={"a.test": section()})
    with pytest.raises(EnforcementError, match="mapping of options"):
        host_edits(cfg, ["a.test"], {"a.test": ["x"]}, {}, WEAK)


# --- refusals ----------------------------------------------------------------------------------
def refusals(cfg=None, **kw):
    args = {
        "version": "0.12.3",
        "about_lines": ["Prosody 0.12.3"],
        "min_version": "0.12",
        "status_rc": 0,
        "check_rc": 0,
        "check_lines": [],
    }
    return preflight_refusals(cfg or config(), **{**args, **kw})


def test_a_ready_host_has_no_refusal():
    assert refusals() == []
    assert refusals(version="13.0.1") == []


@pytest.mark.parametrize(
    ("lines", "shown"), [([], "no output"), (["a", "last line"], "last line"), (["x", ""], "")]
)
def test_an_unknown_version_shows_the_last_line_of_about(lines, shown):
    assert refusals(version="", about_lines=lines) == [
        f"the Prosody version is unknown (prosodyctl about: {shown})"
    ]


@pytest.mark.parametrize(
    ("version", "minimum", "older"),
    [
        ("0.11.9", "0.12", True),
        ("0.12", "0.12.1", True),
        ("0.12.3", "0.12", False),
        ("13.0.1", "0.12", False),
        ("0.12", "0.12", False),
        ("0.9.10", "0.12", True),
    ],
)
def test_versions_compare_as_numbers(version, minimum, older):
    assert older_than(version, minimum) is older
    expected = [f"Prosody {version} is older than {minimum} (no tls_profile)"] if older else []
    assert refusals(version=version, min_version=minimum) == expected


def test_an_incomparable_version_is_an_error():
    with pytest.raises(EnforcementError, match="cannot compare"):
        older_than("0.12.3", "trunk")


def test_not_running_and_a_failing_check():
    lines = ["Error: x", "  ", "", "line two", "   "]
    assert refusals(status_rc=3, check_rc=1, check_lines=lines) == [
        "Prosody is not running (prosodyctl status rc=3), so it cannot be reloaded",
        "the current configuration already fails prosodyctl check config (rc=1);"
        " fix it first: line two",
    ]


def test_a_failing_check_without_output():
    assert refusals(check_rc=1, check_lines=[]) == [
        "the current configuration already fails prosodyctl check config (rc=1); fix it first: "
    ]


def test_ssl_expressions_in_every_section_in_order():
    cfg = config(
        virtualhosts={
            "a.test": section(expressions={"ssl": "FileContents(x)"}),
            "b.test": section(expressions={"other": "y"}),
        },
        components={"c.test": section(expressions={"ssl": "t"})},
        global_expressions={"ssl": "g"},
    )
    assert refusals(cfg) == [
        f"an ssl option is not a plain table ({e}); review it by hand"
        for e in ("g", "FileContents(x)", "t")
    ]


def test_an_ssl_expression_holding_a_passphrase_is_not_quoted():
    source = 'merge(base, { key = "k.pem", password = "hunter2" })'
    cfg = config(components={"c.test": section(expressions={"ssl": source})})
    (refusal,) = refusals(cfg)
    assert "hunter2" not in refusal
    assert refusal == (
        "an ssl option is not a plain table (an expression that sets a secret); review it by hand"
    )


def test_every_reason_at_once_in_order():
    cfg = config(global_expressions={"ssl": "g"})
    assert refusals(cfg, version="0.11", status_rc=1, check_rc=2, check_lines=["bad"]) == [
        "Prosody 0.11 is older than 0.12 (no tls_profile)",
        "Prosody is not running (prosodyctl status rc=1), so it cannot be reloaded",
        "the current configuration already fails prosodyctl check config (rc=2); fix it first: bad",
        "an ssl option is not a plain table (g); review it by hand",
    ]


# --- prosodyctl check config: warnings are not errors ----------------------------------------
# Shaped as Prosody 0.12 and 13 print them (util/prosodyctl/check.lua): exit code 2 for all.
DEPRECATED_012 = [
    "Checking config...",
    "",
    "    You have some deprecated options in the global section:",
    "    [daemonize]",
    "Done.",
    "",
    "Problems found, see above.",
]
WARNINGS_13 = [
    "Checking config...",
    "",
    "    You have some deprecated options in the global section:",
    "    'daemonize' -- This option is no longer used",
    "",
    "    Public registration is enabled on:",
    "        a.test",
    "",
    "        If this is intentional, review our guidelines on running a public server",
    "",
    "    Your configuration contains the following unreferenced components:",
    "",
    "        upload.b.test",
    "",
    "    Clients may not be able to discover these services because they are not linked to",
    "Done.",
    "",
    "Problems found, see above.",
]
MISPLACED = [
    "**************************",
    "Prosody was unable to find lua-unbound",
    "**************************",
    "Checking config...",
    "",
    "    You have some deprecated options in the global section:",
    "    [daemonize]",
    "",
    "    You have 1 option set under b.test that should be",
    "    in the global section of the config file, above any VirtualHost or Component definitions,",
    "",
    "    You need to move the following option: c2s_ports",
    "",
    "    You require encryption but mod_tls is not enabled.",
    "    Connections will fail.",
    "Done.",
    "",
    "Problems found, see above.",
]


@pytest.mark.parametrize("lines", [DEPRECATED_012, WARNINGS_13])
def test_check_config_warnings_alone_are_no_refusal(lines):
    assert refusals(check_rc=2, check_lines=lines) == []
    report = read_check_output(lines)
    assert report.errors == ()
    assert report.unknown == ()
    assert report.warnings[0].startswith("You have some deprecated options in the global")
    assert "daemonize" in report.warnings[0]


def test_check_config_warnings_are_listed_one_line_each():
    assert check_warnings(WARNINGS_13) == [
        "You have some deprecated options in the global section:"
        " 'daemonize' -- This option is no longer used",
        "Public registration is enabled on: a.test If this is intentional, review our"
        " guidelines on running a public server",
        "Your configuration contains the following unreferenced components: upload.b.test"
        " Clients may not be able to discover these services because they are not linked to",
    ]


def test_check_config_errors_are_all_quoted_not_the_last_line():
    (refusal,) = refusals(check_rc=2, check_lines=MISPLACED)
    assert refusal == (
        "the current configuration already fails prosodyctl check config (rc=2); fix it first:"
        " You have 1 option set under b.test that should be in the global section of the config"
        " file, above any VirtualHost or Component definitions, You need to move the following"
        " option: c2s_ports; You require encryption but mod_tls is not enabled."
        " Connections will fail."
    )
    assert "Problems found" not in refusal
    assert "daemonize" not in refusal


def test_an_unknown_finding_after_a_warning_is_not_taken_for_part_of_it():
    lines = [*DEPRECATED_012[:4], "", "    Something this module has never seen", "Done."]
    assert refusals(check_rc=2, check_lines=lines) == [
        "the current configuration already fails prosodyctl check config (rc=2);"
        " fix it first: Something this module has never seen"
    ]


def test_a_zero_exit_is_a_pass_whatever_was_printed():
    assert read_check_output(MISPLACED).passed(0)
    assert not read_check_output(MISPLACED).passed(2)
    assert not read_check_output([]).passed(1)


# --- overrides: weakening settings wherever Prosody reads them ---------------------------------
def located(options, lines, file="/etc/prosody/prosody.cfg.lua", expressions=None):
    body = section(options, expressions)
    body["locations"] = {name: {"file": file, "line": line} for name, line in lines.items()}
    return body


ENFORCED = enforced_settings("intermediate")
SECURE = enforced_settings("intermediate", s2s_secure_auth=True)
HOSTS = config(
    global_options={"c2s_require_encryption": False, "ssl": {"protocol": "tlsv1+"}},
    virtualhosts={
        "a.test": located(
            {
                "c2s_require_encryption": False,
                "allow_unencrypted_plain_auth": True,
                "s2s_secure_auth": False,
                "tls_profile": "old",
                "c2s_ssl": {"ciphers": "ALL", "certificate": "/a.crt"},
            },
            {
                "c2s_require_encryption": 3,
                "allow_unencrypted_plain_auth": 4,
                "s2s_secure_auth": 5,
                "tls_profile": 6,
                "c2s_ssl": 7,
            },
            "/etc/prosody/conf.d/a.cfg.lua",
        ),
        "b.test": located({"c2s_require_encryption": True, "tls_profile": "intermediate"}, {}),
    },
    components={
        "conf.a.test": located(
            {"s2s_require_encryption": False, "s2s_ssl": {"protocol": "tlsv1"}},
            {"s2s_require_encryption": 20, "s2s_ssl": 21},
        )
    },
)


def test_every_override_is_found_with_file_line_and_section():
    found = [o.as_dict() for o in find_overrides(HOSTS, ENFORCED, WEAK)]
    a = "/etc/prosody/conf.d/a.cfg.lua"
    m = "/etc/prosody/prosody.cfg.lua"
    assert found == [
        {"file": None, "line": None, "section": "global", "setting": "c2s_require_encryption",
         "value": False, "fix": True},
        {"file": None, "line": None, "section": "global", "setting": "ssl.protocol",
         "value": "tlsv1+", "fix": None},
        {"file": a, "line": 3, "section": "VirtualHost a.test",
         "setting": "c2s_require_encryption", "value": False, "fix": True},
        {"file": a, "line": 4, "section": "VirtualHost a.test",
         "setting": "allow_unencrypted_plain_auth", "value": True, "fix": False},
        {"file": a, "line": 6, "section": "VirtualHost a.test", "setting": "tls_profile",
         "value": "old", "fix": "intermediate"},
        {"file": a, "line": 7, "section": "VirtualHost a.test", "setting": "c2s_ssl.ciphers",
         "value": "ALL", "fix": None},
        {"file": m, "line": 20, "section": "Component conf.a.test",
         "setting": "s2s_require_encryption", "value": False, "fix": True},
        {"file": m, "line": 21, "section": "Component conf.a.test", "setting": "s2s_ssl.protocol",
         "value": "tlsv1", "fix": None},
    ]  # fmt: skip


def test_s2s_secure_auth_false_is_an_override_only_when_enforced():
    def settings(enforced):
        return [o.setting for o in find_overrides(HOSTS, enforced, WEAK)]

    assert "s2s_secure_auth" not in settings(ENFORCED)
    assert "s2s_secure_auth" in settings(SECURE)


def test_host_overrides_are_set_in_place_to_the_enforced_values():
    edits = host_edits(HOSTS, ["a.test", "b.test", "conf.a.test"], {}, {}, WEAK, SECURE)
    assert [e.as_dict() for e in edits] == [
        {
            "host": "a.test",
            "settings": {
                "c2s_require_encryption": True,
                "allow_unencrypted_plain_auth": False,
                "s2s_secure_auth": True,
                "tls_profile": "intermediate",
                "c2s_ssl": {"certificate": "/a.crt"},
            },
            "remove": [],
        },
        # b.test's own values are the enforced ones: no edit
        {
            "host": "conf.a.test",
            "settings": {"s2s_require_encryption": True},
            "remove": ["s2s_ssl"],
        },
    ]


def test_without_secure_auth_a_hosts_s2s_secure_auth_false_stays():
    (edit, *_rest) = host_edits(HOSTS, ["a.test"], {}, {}, WEAK, ENFORCED)
    assert "s2s_secure_auth" not in edit.settings


def test_the_operators_weak_host_setting_loses_to_the_enforced_one():
    cfg = config(virtualhosts={"a.test": section()})
    given = {"a.test": {"c2s_require_encryption": False, "motd_text": "hi"}}
    (edit,) = host_edits(cfg, ["a.test"], given, {}, WEAK, ENFORCED)
    assert edit.settings == {"c2s_require_encryption": True, "motd_text": "hi"}


def test_global_direction_tables_lose_their_weakening_keys():
    options = {"c2s_ssl": {"protocol": "tlsv1+"}, "s2s_ssl": {"ciphers": "x", "dhparam": "/d"}}
    edit = global_edit(options, BASE, {}, ["protocol", "ciphers"])
    assert edit.as_dict() == {
        "settings": {**BASE, "s2s_ssl": {"dhparam": "/d"}},
        "remove": ["c2s_ssl"],
    }


def test_lua_code_setting_an_enforced_option_is_refused_with_file_and_line():
    cfg = config(
        virtualhosts={
            "a.test": located(
                {},
                {"c2s_require_encryption": 9, "s2s_ssl": 12},
                "/etc/prosody/conf.d/a.cfg.lua",
                expressions={
                    "c2s_require_encryption": 'os.getenv("REQ") == "1"',
                    "s2s_ssl": "base_ssl",
                    "s2s_secure_auth": "x",
                },
            )
        },
        global_expressions={"tls_profile": "profile"},
    )
    watched = [n for n in SECURE if n in PER_HOST_OPTIONS]
    assert refusals(cfg, watched=watched) == [
        "global sets tls_profile by Lua code (profile), which cannot be changed safely;"
        " set it to a plain value by hand",
        "/etc/prosody/conf.d/a.cfg.lua:12: VirtualHost a.test sets s2s_ssl by Lua code"
        " (base_ssl), which cannot be changed safely; set it to a plain value by hand",
        "/etc/prosody/conf.d/a.cfg.lua:9: VirtualHost a.test sets c2s_require_encryption by Lua"
        ' code (os.getenv("REQ") == "1"), which cannot be changed safely; set it to a plain'
        " value by hand",
        "VirtualHost a.test sets s2s_secure_auth by Lua code (x), which cannot be changed"
        " safely; set it to a plain value by hand",
    ]
    # Without secure auth enforced, Lua code for s2s_secure_auth is none of the role's business.
    assert len(refusals(cfg, watched=[n for n in ENFORCED if n in PER_HOST_OPTIONS])) == 3


def test_an_ssl_expression_refusal_names_its_file_and_line():
    cfg = config(virtualhosts={"a.test": located({}, {"ssl": 5}, expressions={"ssl": "t"})})
    assert refusals(cfg) == [
        "/etc/prosody/prosody.cfg.lua:5: an ssl option is not a plain table (t); review it by hand"
    ]


def test_overrides_in_an_included_file_are_found_and_fixed_in_place(tmp_path):
    main = tmp_path / "prosody.cfg.lua"
    main.write_text(
        'modules_enabled = { "tls" }\nc2s_require_encryption = false\nInclude "conf.d/*.cfg.lua"\n'
    )
    (tmp_path / "conf.d").mkdir()
    host_file = tmp_path / "conf.d" / "a.cfg.lua"
    host_file.write_text(
        'VirtualHost "a.test"\n'
        "\tallow_unencrypted_plain_auth = true -- legacy client\n"
        '\tc2s_ssl = { protocol = "tlsv1+"; certificate = "/a.crt" }\n'
        'Component "conf.a.test" "muc"\n'
        '\ttls_profile = "old"\n'
    )
    view = config_view(load_config(str(main)), redact_secrets=False)
    found = [(o.file, o.line, o.section, o.setting) for o in find_overrides(view, ENFORCED, WEAK)]
    assert found == [
        (str(main), 2, "global", "c2s_require_encryption"),
        (str(host_file), 2, "VirtualHost a.test", "allow_unencrypted_plain_auth"),
        (str(host_file), 3, "VirtualHost a.test", "c2s_ssl.protocol"),
        (str(host_file), 5, "Component conf.a.test", "tls_profile"),
    ]
    config = load_config(str(main))
    after = host_file.read_text()
    for edit in host_edits(view, ["a.test", "conf.a.test"], {}, {}, WEAK, ENFORCED):
        plan = plan_edits(config, edit.host, edit.settings, edit.remove)
        after = plan.after[str(host_file)]
        host_file.write_text(after)
        config = load_config(str(main))
    assert after == (
        'VirtualHost "a.test"\n'
        "\tallow_unencrypted_plain_auth = false -- legacy client\n"
        '\tc2s_ssl = { certificate = "/a.crt" }\n'
        'Component "conf.a.test" "muc"\n'
        '\ttls_profile = "intermediate"\n'
    )
    assert find_overrides(config_view(config), ENFORCED, WEAK)[1:] == []


def test_a_weakening_key_named_like_a_secret_is_not_quoted():
    cfg = config(global_options={"ssl": {"password": "hunter2", "protocol": "tlsv1"}})
    found = find_overrides(cfg, ENFORCED, [*WEAK, "password"])
    assert [(o.setting, o.value) for o in found] == [
        ("ssl.password", "<redacted>"),
        ("ssl.protocol", "tlsv1"),
    ]
