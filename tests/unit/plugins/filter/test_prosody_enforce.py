"""plugins/filter/prosody_enforce.py: the four filters through their FilterModule, their doc
files, and once through a real ansible-playbook run."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.xmpp.encryption.plugins.filter.prosody_enforce import FilterModule
from ansible_collections.xmpp.encryption.tests.unit.support.filters import (
    debug_msg,
    doc_options,
    signature_options,
)

FILTERS = FilterModule().filters()
D = "/etc/prosody/certs"
WEAK = ["protocol", "ciphers"]
CONFIG = {
    "global": {"options": {"ssl": {"protocol": "tlsv1+"}}, "expressions": {}},
    "virtualhosts": {"a.test": {"options": {}, "expressions": {}}},
    "components": {"conf.a.test": {"options": {"ssl": {"ciphers": "x"}}, "expressions": {}}},
}
OK = {"rc": 0, "stdout_lines": []}


def test_filter_names():
    assert set(FILTERS) == {
        "prosody_certificate_groups",
        "prosody_global_edit",
        "prosody_host_edits",
        "prosody_overrides",
        "prosody_refusals",
        "prosody_check_warnings",
    }


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_filter_is_documented_with_its_arguments(name):
    assert doc_options(name) == signature_options(FILTERS[name])


def test_certificate_groups():
    existing = (f"{D}/a.test/fullchain.pem", f"{D}/a.test/privkey.pem")
    assert FILTERS["prosody_certificate_groups"](
        ["a.test", "conf.a.test"], directory=D, existing=existing
    ) == [
        {
            "group": "a.test",
            "certificate": existing[0],
            "key": existing[1],
            "names": ["a.test", "conf.a.test"],
            "files": list(existing),
        }
    ]
    assert FILTERS["prosody_certificate_groups"]([], directory=D) == []


def test_global_edit_with_its_defaults_and_ports_given_as_text():
    edit = FILTERS["prosody_global_edit"](
        CONFIG["global"]["options"], c2s_direct_tls_ports=["5223"], weakening_keys=WEAK
    )
    assert edit == {
        "settings": {
            "c2s_require_encryption": True,
            "s2s_require_encryption": True,
            "allow_unencrypted_plain_auth": False,
            "tls_profile": "intermediate",
            "c2s_direct_tls_ports": [5223],
        },
        "remove": ["ssl"],
    }


def test_host_edits():
    edits = FILTERS["prosody_host_edits"](
        CONFIG, names=["a.test", "conf.a.test"], weakening_keys=WEAK
    )
    assert edits == [{"host": "conf.a.test", "settings": {}, "remove": ["ssl"]}]


def test_refusals_read_the_registered_results():
    refusals = FILTERS["prosody_refusals"]
    assert refusals(CONFIG, version="0.12.3", about={"rc": 0}, status=OK, check=OK) == []
    assert refusals(
        CONFIG,
        version="",
        about={"rc": 0, "stdout_lines": ["Prosody trunk"]},
        status={"rc": 3},
        check={"rc": 1, "stdout_lines": ["Error: bad", ""]},
    ) == [
        "the Prosody version is unknown (prosodyctl about: Prosody trunk)",
        "Prosody is not running (prosodyctl status rc=3), so it cannot be reloaded",
        "the current configuration already fails prosodyctl check config (rc=1);"
        " fix it first: Error: bad",
    ]


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: FILTERS["prosody_certificate_groups"]("a.test"), "names must be a list"),
        (lambda: FILTERS["prosody_certificate_groups"](["a"], files=[1]), "files must be a dict"),
        (
            lambda: FILTERS["prosody_certificate_groups"](["a.test"], files={"a.test": {}}),
            "need 'certificate' and 'key'",
        ),
        (lambda: FILTERS["prosody_global_edit"]([]), "options must be a dict"),
        (
            lambda: FILTERS["prosody_global_edit"]({}, c2s_direct_tls_ports=["x"]),
            "ports must be numbers",
        ),
        (lambda: FILTERS["prosody_host_edits"]({"virtualhosts": {}}), "pass .config"),
        (lambda: FILTERS["prosody_host_edits"](CONFIG, names=["b.test"]), "neither"),
        (lambda: FILTERS["prosody_refusals"](CONFIG, status={}, check=OK), "status has no exit"),
        (lambda: FILTERS["prosody_refusals"](CONFIG, status=OK, check=None), "check must be a"),
        (
            lambda: FILTERS["prosody_refusals"](
                CONFIG, version="0.12", min_version="trunk", status=OK, check=OK
            ),
            "cannot compare",
        ),
    ],
)
def test_bad_input_is_a_filter_error(call, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        call()


def test_the_filters_in_a_playbook(tmp_path):
    tasks = """    - ansible.builtin.debug:
        msg:
          groups: "{{ names | xmpp.encryption.prosody_certificate_groups(directory='/c') }}"
          global: "{{ config.global.options | xmpp.encryption.prosody_global_edit(
                      s2s_secure_auth=true, weakening_keys=['protocol']) }}"
          hosts: "{{ config | xmpp.encryption.prosody_host_edits(names=names,
                     weakening_keys=['ciphers']) }}"
          refusals: "{{ config | xmpp.encryption.prosody_refusals(version='0.11',
                        status={'rc': 0}, check={'rc': 0}) }}"
"""
    msg = debug_msg(tmp_path, tasks, {"config": CONFIG, "names": ["a.test", "conf.a.test"]})
    assert [g["certificate"] for g in msg["groups"]] == [
        "/c/a.test/fullchain.pem",
        "/c/conf.a.test/fullchain.pem",
    ]
    assert msg["global"]["remove"] == ["ssl"]
    assert msg["global"]["settings"]["s2s_secure_auth"] is True
    assert msg["hosts"] == [{"host": "conf.a.test", "settings": {}, "remove": ["ssl"]}]
    assert msg["refusals"] == ["Prosody 0.11 is older than 0.12 (no tls_profile)"]


HOST_OVERRIDES = {
    "global": {"options": {}, "expressions": {}},
    "virtualhosts": {
        "a.test": {
            "options": {"c2s_require_encryption": False, "s2s_secure_auth": False},
            "expressions": {},
            "locations": {
                "c2s_require_encryption": {"file": "/p.cfg.lua", "line": 4},
                "s2s_secure_auth": {"file": "/p.cfg.lua", "line": 5},
            },
        }
    },
    "components": {
        "conf.a.test": {"options": {}, "expressions": {"tls_profile": "p"}, "files": []}
    },
}


def test_overrides_are_listed_with_file_and_line():
    overrides = FILTERS["prosody_overrides"]
    assert overrides(HOST_OVERRIDES, tls_profile="intermediate") == [
        {
            "file": "/p.cfg.lua",
            "line": 4,
            "section": "VirtualHost a.test",
            "setting": "c2s_require_encryption",
            "value": False,
            "fix": True,
        }
    ]
    secure = overrides(HOST_OVERRIDES, tls_profile="intermediate", s2s_secure_auth=True)
    assert [o["setting"] for o in secure] == ["c2s_require_encryption", "s2s_secure_auth"]


def test_host_edits_fix_a_hosts_own_weakening_options():
    edits = FILTERS["prosody_host_edits"](
        HOST_OVERRIDES, names=["a.test"], tls_profile="intermediate", s2s_secure_auth=True
    )
    assert edits == [
        {
            "host": "a.test",
            "settings": {"c2s_require_encryption": True, "s2s_secure_auth": True},
            "remove": [],
        }
    ]


def test_refusals_name_lua_code_for_an_enforced_option():
    assert FILTERS["prosody_refusals"](HOST_OVERRIDES, version="0.12.3", status=OK, check=OK) == [
        "Component conf.a.test sets tls_profile by Lua code (p), which cannot be changed"
        " safely; set it to a plain value by hand"
    ]


def test_check_config_warnings_pass_and_are_listed():
    check = {
        "rc": 2,
        "stdout_lines": [
            "Checking config...",
            "",
            "    You have some deprecated options in the global section:",
            "    [daemonize]",
            "Done.",
            "",
            "Problems found, see above.",
        ],
    }
    assert FILTERS["prosody_refusals"](CONFIG, version="0.12.3", status=OK, check=check) == []
    assert FILTERS["prosody_check_warnings"](check) == [
        "You have some deprecated options in the global section: [daemonize]"
    ]
