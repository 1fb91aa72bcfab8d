"""Run a module's ``main()`` in the test process, the way AnsibleModule reads and answers."""

from __future__ import annotations

import contextlib
import io
import json
from types import ModuleType

import pytest
from ansible.module_utils.testing import patch_module_args


def run_module(
    module: ModuleType, args: dict, *, check: bool = False, diff: bool = False
) -> tuple[int, dict]:
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
    return exited.value.code, json.loads(out.getvalue())
