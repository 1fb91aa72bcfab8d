"""module_utils/_enforce/preflight.py: the expectations are what the enforce role's Jinja
templates (controller_findings, the certificate part of refusals) produced for the same inputs."""

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._enforce.preflight import (
    CheckFinding,
    PreflightError,
    certificate_refusals,
    check_findings,
    skipped,
)

A = {
    "group": "a.test",
    "certificate": "/c/a/fullchain.pem",
    "key": "/c/a/privkey.pem",
    "names": ["a.test", "conf.a.test"],
    "files": ["/c/a/fullchain.pem", "/c/a/privkey.pem"],
}
B = {
    "group": "b.test",
    "certificate": "/c/b.crt",
    "key": "/c/b.key",
    "names": ["b.test"],
    "files": ["/c/b.crt", "/c/b.key"],
}
EVERY_FILE = A["files"] + B["files"]


def zipped(group):
    """A controller-side loop item: the slurped certificate and the slurped key."""
    return [{"item": group, "content": "PEM"}, {"item": group, "content": "S0VZ"}]


def test_skipped():
    assert skipped({"skipped": True})
    assert not skipped({"skipped": False})
    assert not skipped({"valid": True})


def test_no_results_no_findings():
    assert check_findings([], []) == []


def test_findings_keep_the_item_and_nothing_of_the_loop_item():
    results = [
        {
            "item": zipped(A),
            "valid": True,
            "problems": [],
            "days_left": 80,
            "changed": False,
            "failed": False,
        },
        {"item": zipped(B), "failed": True, "msg": "bad"},
        {"item": [{"skipped": True}, {"skipped": True}], "skipped": True},
    ]
    findings = check_findings(results, [A, B, {**A, "group": "c"}])
    assert findings == [
        CheckFinding(item=A, valid=True, problems=(), msg="", days_left=80),
        CheckFinding(item=B, valid=False, problems=(), msg="bad", days_left=None),
    ]
    assert [f.as_dict() for f in findings] == [
        {"item": A, "valid": True, "problems": [], "msg": "", "days_left": 80},
        {"item": B, "valid": False, "problems": [], "msg": "bad", "days_left": None},
    ]
    assert "S0VZ" not in repr([f.as_dict() for f in findings])


def test_a_message_counts_only_when_the_check_failed():
    problem = {"code": "c", "message": "m"}
    results = [
        {
            "item": zipped(A),
            "valid": False,
            "problems": [problem],
            "days_left": 2,
            "failed": False,
            "msg": "not shown",
        }
    ]
    assert check_findings(results, [A])[0].as_dict() == {
        "item": A,
        "valid": False,
        "problems": [problem],
        "msg": "",
        "days_left": 2,
    }


def test_results_and_items_must_pair_up():
    with pytest.raises(PreflightError, match="2 check results for 1 items"):
        check_findings([{"valid": True}, {"valid": True}], [A])


def test_nothing_missing_nothing_failed():
    checks = [{"valid": True, "item": A}, {"skipped": True, "item": B}]
    assert certificate_refusals([A, B], EVERY_FILE, checks) == []
    assert certificate_refusals([], [], []) == []


def test_missing_files_then_failed_checks():
    checks = [
        {
            "valid": False,
            "item": A,
            "problems": [{"code": "x", "message": "expired"}, {"code": "y", "message": "name"}],
        },
        {"failed": True, "msg": "no cryptography", "item": B},
    ]
    assert certificate_refusals([A, B], ["/c/a/fullchain.pem"], checks) == [
        "missing /c/a/privkey.pem (for a.test, conf.a.test)",
        "missing /c/b.crt (for b.test)",
        "missing /c/b.key (for b.test)",
        "/c/a/fullchain.pem (for a.test, conf.a.test): expired, name",
        "/c/b.crt (for b.test): no cryptography",
    ]


def test_findings_from_the_controller_read_the_same():
    findings = [
        {"item": A, "valid": False, "problems": [], "msg": "", "days_left": None},
        {"item": B, "valid": False, "problems": [], "msg": "boom", "days_left": 3},
    ]
    assert certificate_refusals([A, B], EVERY_FILE, findings) == [
        "/c/a/fullchain.pem (for a.test, conf.a.test): ",
        "/c/b.crt (for b.test): boom",
    ]


def test_a_check_without_verdict_or_message_failed():
    assert certificate_refusals([], [], [{"item": A}]) == [
        "/c/a/fullchain.pem (for a.test, conf.a.test): certificate check failed"
    ]
