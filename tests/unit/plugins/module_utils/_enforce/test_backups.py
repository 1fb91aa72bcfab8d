"""module_utils/_enforce/backups.py: the expectations are what the enforce role's run_backups
template produced for the same task results."""

from ansible_collections.xmpp.encryption.plugins.module_utils._enforce.backups import (
    run_backups,
    task_results,
)

GLOBAL = {"changed": True, "backup_files": {"/e/p.lua": "/e/p.lua.1"}}
HOSTS = {
    "changed": True,
    "results": [
        {"backup_files": {"/e/p.lua": "/e/p.lua.2", "/e/c.d/a.lua": "/e/c.d/a.lua.2"}},
        {"skipped": True},
        {"failed": True, "msg": "x"},
        {"backup_files": {"/e/c.d/a.lua": "/e/c.d/a.lua.3", "/e/z.lua": "/e/z.lua.3"}},
    ],
}


def test_nothing_ran_or_nothing_changed():
    assert run_backups([]) == {}
    assert run_backups([{}, {}]) == {}
    assert run_backups([{"changed": False}, {"results": []}]) == {}
    assert run_backups([{"failed": True, "msg": "bad"}]) == {}


def test_the_first_backup_of_each_file_wins_in_task_order():
    assert run_backups([GLOBAL, HOSTS]) == {
        "/e/p.lua": "/e/p.lua.1",
        "/e/c.d/a.lua": "/e/c.d/a.lua.2",
        "/e/z.lua": "/e/z.lua.3",
    }


def test_a_host_edit_alone():
    assert run_backups([{}, HOSTS])["/e/p.lua"] == "/e/p.lua.2"


def test_a_registered_loop_counts_as_its_items():
    assert list(task_results([GLOBAL, HOSTS])) == [GLOBAL, *HOSTS["results"]]
    assert list(task_results([{"results": "not a loop"}])) == [{"results": "not a loop"}]


def test_a_null_backup_files_is_none():
    assert run_backups([{"backup_files": None}]) == {}
