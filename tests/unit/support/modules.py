"""Run a module in a test: its ``main()`` in the test process, the way AnsibleModule reads and
answers, or a whole playbook through a real ``ansible-playbook`` (packing, imports, Jinja)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import pytest
from ansible.module_utils.testing import patch_module_args

COLLECTIONS = Path(__file__).resolve().parents[3] / ".build" / "collections"


class ModuleRun(NamedTuple):
    rc: int
    result: dict


def run_module(
    module: ModuleType, args: dict, *, check: bool = False, diff: bool = False
) -> ModuleRun:
    """The exit code and the JSON result of one run; check and diff as Ansible passes them."""
    args = {**args}
    if check:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    out = io.StringIO()
    with (
        patch_module_args(args),
        contextlib.redirect_stdout(out),
        pytest.raises(SystemExit) as exited,
    ):
        module.main()
    return ModuleRun(exited.value.code, json.loads(out.getvalue()))


def run_playbook(playbook: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``ansible-playbook`` on ``playbook`` (YAML text) with this collection, on localhost,
    with this Python, temporary files under ``tmp_path`` and the JSON stdout callback."""
    path = tmp_path / "play.yml"
    path.write_text(playbook)
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "tmp"),
    }
    return subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), str(path), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
