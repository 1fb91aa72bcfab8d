"""verify_report end to end: through AnsibleModule, and once through a real ansible-playbook."""

from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.xmpp.encryption.plugins.modules import verify_report
from ansible_collections.xmpp.encryption.tests.unit.support.builders import report as builder
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module, run_playbook


def args(dest: Path, **more) -> dict:
    return {
        "results": builder.fleet(),
        "dest": str(dest),
        "policy": builder.POLICY,
        "started": builder.STARTED,
        "finished": builder.FINISHED,
        "collection_version": "0.1.0",
        **more,
    }


def test_writes_reports_then_is_idempotent(tmp_path):
    rc, out = run_module(verify_report, args(tmp_path / "r"))
    assert rc == 0
    assert out["changed"] is True
    assert out["verdict"] == "fail"
    assert out["counts"]["domains"] == 4
    assert set(out["paths"]) == {"json", "junit", "html", "markdown"}
    for path in out["paths"].values():
        assert Path(path).is_file()
    doc = json.loads(Path(out["paths"]["json"]).read_text())
    assert doc["collection_version"] == "0.1.0"
    assert doc["policy"] == builder.POLICY

    rc, again = run_module(verify_report, args(tmp_path / "r"))
    assert rc == 0
    assert again["changed"] is False
    assert again["changed_formats"] == []


def test_check_mode_writes_nothing(tmp_path):
    rc, out = run_module(verify_report, args(tmp_path / "r", formats=["html"]), check=True)
    assert rc == 0
    assert out["changed"] is True
    assert out["paths"] == {"html": str(tmp_path / "r" / "report.html")}
    assert not (tmp_path / "r").exists()


def test_bad_results_fail_with_a_message(tmp_path):
    rc, out = run_module(verify_report, args(tmp_path, results=[{"domain": "x.example"}]))
    assert rc == 1
    assert out["failed"] is True
    assert "x.example" in out["msg"]
    assert "has no grade" in out["msg"]
    assert list(tmp_path.iterdir()) == []


def test_real_playbook_run(tmp_path):
    """Ansible packs the module and its module_utils and runs it: the imports hold."""
    results = tmp_path / "results.json"
    results.write_text(json.dumps(builder.fleet()))
    done = run_playbook(
        f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - xmpp.encryption.verify_report:
        results: "{{{{ lookup('file', '{results}') | from_json }}}}"
        dest: "{tmp_path / "out"}"
        formats: [json, markdown]
        verdict: fail
      register: report
    - ansible.builtin.assert:
        that:
          - report is changed
          - report.counts.domains == 4
          - report.paths.markdown is file
""",
        tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "out" / "report.md").read_text().startswith("### ❌")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json", "report.md"]
