"""Run a small playbook on localhost with this collection, and read a filter's doc file."""

import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]


def debug_msg(tmp_path: Path, tasks: str, extra_vars: dict[str, Any]) -> dict[str, Any]:
    """The ``msg`` of the play's first debug task; ``tasks`` is YAML, indented by four."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(f"- hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}")
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(extra_vars))
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build" / "collections"),
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    }
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), "-e", f"@{extra}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
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
