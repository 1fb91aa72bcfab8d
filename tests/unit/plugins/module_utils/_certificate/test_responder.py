"""module_utils/_certificate/responder.py with real processes: started by name, stopped by
name, and a pid that no longer names the recorded process is never signalled."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.responder import (
    Record,
    ResponderError,
    check_name,
    http01_argv,
    is_running,
    read_record,
    read_stat,
    start,
    stop,
)


def alive(pid: int) -> bool:
    stat = read_stat(pid)
    return stat is not None and stat.state != "Z"


def group_members(pgrp: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(pgrp):
            stat = read_stat(int(entry.name))
            if stat is not None and stat.pgrp == pgrp and stat.state != "Z":
                members.append(int(entry.name))
    return members


def write_record(state_dir: Path, record: Record) -> None:
    (state_dir / f"{record.name}.json").write_text(json.dumps(record.as_dict()))


@pytest.fixture
def stranger():
    """A process this test suite started itself, in a session of its own."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def test_http01_argv():
    assert http01_argv("/usr/bin/python3", "/run/x", 8080, 30) == [
        "timeout",
        "30",
        "/usr/bin/python3",
        "-m",
        "http.server",
        "8080",
        "--directory",
        "/run/x",
    ]


@pytest.mark.parametrize("name", ["a.lab.test", "xmpp1", "A_b-c.d"])
def test_good_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", ".hidden", "../etc", "a/b", "a b", "-x"])
def test_names_that_could_leave_the_state_dir_are_refused(name):
    with pytest.raises(ResponderError, match="invalid responder name"):
        check_name(name)


def test_read_stat_reads_past_a_command_name_with_parentheses(tmp_path):
    (tmp_path / "77").mkdir()
    fields = ["S", "1", "77", "77"] + ["0"] * 15 + ["123456"] + ["0"] * 10
    (tmp_path / "77" / "stat").write_text("77 (we) (ird name) " + " ".join(fields))
    stat = read_stat(77, str(tmp_path))
    assert (stat.state, stat.pgrp, stat.start_time) == ("S", 77, 123456)
    assert read_stat(78, str(tmp_path)) is None


def test_start_records_and_stop_ends_the_whole_group(tmp_path):
    record = start(str(tmp_path), "a.test", ["timeout", "30", "sleep", "61"])
    assert read_record(str(tmp_path), "a.test") == record
    assert read_stat(record.pid).pgrp == record.pid  # a session, so a group, of its own
    assert is_running(record)
    deadline = time.monotonic() + 5
    while not group_members(record.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    (child,) = group_members(record.pid)  # timeout(1)'s sleep
    assert stop(str(tmp_path), "a.test") == record
    assert not alive(record.pid)
    assert not alive(child)
    assert read_record(str(tmp_path), "a.test") is None
    assert os.stat(tmp_path).st_mode & 0o777 == 0o700


def test_stopping_a_name_that_never_ran_changes_nothing(tmp_path):
    assert stop(str(tmp_path / "none"), "a.test") is None


def test_a_reused_pid_is_not_signalled(tmp_path, stranger):
    # The recorded process started a tick before the stranger, ended, and its pid is now the
    # stranger's.
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    start_time = read_stat(stranger.pid).start_time - 1
    reused = Record("a.test", stranger.pid, start_time, boot, ("timeout", "300"))
    write_record(tmp_path, reused)
    assert not is_running(reused)
    assert stop(str(tmp_path), "a.test") is None
    assert alive(stranger.pid)
    assert read_record(str(tmp_path), "a.test") is None


def test_a_record_from_another_boot_is_not_signalled(tmp_path, stranger):
    stat = read_stat(stranger.pid)
    other_boot = Record("a.test", stranger.pid, stat.start_time, "another-boot", ("sleep",))
    assert not is_running(other_boot)
    this_boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert is_running(replace(other_boot, boot_id=this_boot))


def test_a_process_that_leads_no_group_is_never_signalled(tmp_path):
    # Started without a session of its own: signalling "its" group would hit pytest's.
    proc = subprocess.Popen(["sleep", "60"])
    try:
        stat = read_stat(proc.pid)
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        record = Record("a.test", proc.pid, stat.start_time, boot, ("sleep", "60"))
        write_record(tmp_path, record)
        with pytest.raises(ResponderError, match="does not stop"):
            stop(str(tmp_path), "a.test", grace=0.2)
        assert alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()


def test_a_process_that_ignores_sigterm_gets_sigkill(tmp_path):
    record = start(str(tmp_path), "a.test", ["sh", "-c", "trap '' TERM; sleep 60"])
    deadline = time.monotonic() + 5
    while not group_members(record.pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # the sleep runs: the shell has set its trap
    begun = time.monotonic()
    assert stop(str(tmp_path), "a.test", grace=0.3) == record
    assert time.monotonic() - begun >= 0.3
    assert not alive(record.pid)


def test_an_ended_process_counts_as_gone_zombie_or_reaped(tmp_path):
    record = start(str(tmp_path), "a.test", ["true"])
    deadline = time.monotonic() + 5
    while alive(record.pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # a zombie, or already reaped by whatever waits in this process
    assert not is_running(record)
    assert stop(str(tmp_path), "a.test") is None


def test_starting_a_running_name_again_replaces_it(tmp_path):
    first = start(str(tmp_path), "a.test", ["sleep", "60"])
    second = start(str(tmp_path), "a.test", ["sleep", "61"])
    assert not alive(first.pid)
    assert is_running(second)
    assert read_record(str(tmp_path), "a.test") == second
    stop(str(tmp_path), "a.test")
    assert not alive(second.pid)


def test_output_goes_to_the_log_fresh_each_start(tmp_path):
    log = tmp_path / "a.test.log"
    log.write_text("old run\n")
    start(str(tmp_path / "state"), "a.test", ["sh", "-c", "echo served; echo oops >&2"], str(log))
    deadline = time.monotonic() + 5
    while log.read_text().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.read_text() == "served\noops\n"


def test_a_missing_program_is_a_responder_error(tmp_path):
    with pytest.raises(ResponderError, match=r"cannot start responder a\.test"):
        start(str(tmp_path), "a.test", ["/nonexistent/responder"])
    assert read_record(str(tmp_path), "a.test") is None


def test_a_broken_record_is_an_error(tmp_path):
    (tmp_path / "a.test.json").write_text("{not json")
    with pytest.raises(ResponderError, match="cannot read the responder record"):
        stop(str(tmp_path), "a.test")
