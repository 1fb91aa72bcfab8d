"""plugins/filter/enforce.py: the three filters through their FilterModule, their doc files,
and once through a real ansible-playbook run."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.xmpp.encryption.plugins.filter.enforce import FilterModule
from ansible_collections.xmpp.encryption.tests.unit.support.filters import (
    debug_msg,
    doc_options,
    signature_options,
)

FILTERS = FilterModule().filters()
A = {
    "group": "a.test",
    "certificate": "/c/a.crt",
    "key": "/c/a.key",
    "names": ["a.test"],
    "files": ["/c/a.crt", "/c/a.key"],
}


def test_filter_names():
    assert set(FILTERS) == {"certificate_findings", "certificate_refusals", "run_backups"}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_filter_is_documented_with_its_arguments(name):
    assert doc_options(name) == signature_options(FILTERS[name])


def test_certificate_findings():
    results = [{"item": [{"item": A, "content": "x"}, {"content": "S0VZ"}], "valid": True}]
    assert FILTERS["certificate_findings"](results, [A]) == [
        {"item": A, "valid": True, "problems": [], "msg": "", "days_left": None}
    ]


def test_certificate_refusals():
    checks = [{"item": A, "valid": False, "problems": [{"message": "expired"}]}]
    assert FILTERS["certificate_refusals"]([A], existing=("/c/a.crt",), checks=checks) == [
        "missing /c/a.key (for a.test)",
        "/c/a.crt (for a.test): expired",
    ]
    assert FILTERS["certificate_refusals"]([A], existing=A["files"]) == []


def test_run_backups_takes_one_result_or_several():
    one = {"backup_files": {"/p.lua": "/p.lua.1"}}
    assert FILTERS["run_backups"](one) == {"/p.lua": "/p.lua.1"}
    assert FILTERS["run_backups"]([one, {"results": [{"backup_files": {"/p.lua": "2"}}]}]) == {
        "/p.lua": "/p.lua.1"
    }


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: FILTERS["certificate_findings"]("x", []), "results must be a list of dicts"),
        (lambda: FILTERS["certificate_findings"]([{}], []), "1 check results for 0 items"),
        (lambda: FILTERS["certificate_refusals"]([{"names": []}]), "certificate, names and files"),
        (lambda: FILTERS["certificate_refusals"]([A], checks=[{}]), "certificate, names and"),
        (lambda: FILTERS["run_backups"]([1]), "results must be a list of dicts"),
    ],
)
def test_bad_input_is_a_filter_error(call, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        call()


def test_the_filters_in_a_playbook(tmp_path):
    tasks = """    - ansible.builtin.debug:
        msg:
          findings: "{{ checked.results | xmpp.encryption.certificate_findings([group]) }}"
          refusals: "{{ [group] | xmpp.encryption.certificate_refusals(checks=checked.results) }}"
          backups: "{{ [edit, {'results': [edit_2]}] | xmpp.encryption.run_backups }}"
"""
    msg = debug_msg(
        tmp_path,
        tasks,
        {
            "group": A,
            "checked": {"results": [{"item": A, "failed": True, "msg": "no cryptography"}]},
            "edit": {"backup_files": {"/p.lua": "/p.lua.1"}},
            "edit_2": {"backup_files": {"/p.lua": "/p.lua.2", "/q.lua": "/q.lua.2"}},
        },
    )
    assert msg["findings"] == [
        {"item": A, "valid": False, "problems": [], "msg": "no cryptography", "days_left": None}
    ]
    assert msg["refusals"] == [
        "missing /c/a.crt (for a.test)",
        "missing /c/a.key (for a.test)",
        "/c/a.crt (for a.test): no cryptography",
    ]
    assert msg["backups"] == {"/p.lua": "/p.lua.1", "/q.lua": "/q.lua.2"}
