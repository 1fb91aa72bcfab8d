"""Filter plugins in a test: the value a playbook gets, and the doc file against the code."""

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_playbook

REPO = Path(__file__).resolve().parents[3]


def debug_msg(tmp_path: Path, tasks: str, extra_vars: dict[str, Any]) -> dict[str, Any]:
    """The ``msg`` of the play's first debug task; ``tasks`` is YAML, indented by four."""
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(extra_vars))
    playbook = f"- hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}"
    run = run_playbook(playbook, tmp_path, "-e", f"@{extra}")
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]


def doc_options(name: str) -> set[str]:
    """The options documented in plugins/filter/NAME.yml, after checking its name."""
    doc = yaml.safe_load((REPO / "plugins" / "filter" / f"{name}.yml").read_text())
    assert doc["DOCUMENTATION"]["name"] == name
    assert doc["EXAMPLES"].strip()
    assert "_value" in doc["RETURN"]
    return set(doc["DOCUMENTATION"]["options"])


def signature_options(function: Callable[..., Any]) -> set[str]:
    """A filter function's parameters as its doc names them (the first one is _input)."""
    names = list(inspect.signature(function).parameters)
    return {"_input", *names[1:]}
