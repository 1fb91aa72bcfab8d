#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start or stop a temporary ACME http-01 responder by name."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: acme_responder
short_description: Start or stop a temporary ACME http-01 responder by name
version_added: "1.0.0"
description:
  - Serves O(root) over plain HTTP on O(port) with Python's C(http.server), detached from
    the task that starts it, so an ACME CA can fetch the http-01 answers written under
    C(ROOT/.well-known/acme-challenge/). Under C(timeout) it stops by itself after
    O(timeout) seconds, whatever happens to the play.
  - The responder is known by O(name). O(state=started) records its pid together with the
    process's start time (from C(/proc/PID/stat)) and the boot id in
    C(STATE_DIR/NAME.json); O(state=stopped) signals it only while all three still match,
    so a pid the kernel has since given to another process is never signalled.
  - The process runs in a session of its own; the stop signals that process group (the
    responder and C(timeout)), with C(SIGTERM) and, after five seconds, C(SIGKILL), and
    waits until it is gone, so the port is free when the task returns.
  - Starting a name that still runs stops it first. Stopping a name that does not run
    changes nothing.
  - Linux only (C(/proc)). No systemd needed, so it works the same in containers.
author:
  - xmpp.encryption developers (@xmpp-encryption)
options:
  name:
    description:
      - The responder's name, for example the certificate's; letters, digits, C(.), C(_)
        and C(-), starting with a letter or digit.
    type: str
    required: true
  state:
    description:
      - V(started) starts it (again); V(stopped) stops it.
    type: str
    choices: [started, stopped]
    default: started
  root:
    description:
      - The directory served. Required with O(state=started).
    type: path
  port:
    description:
      - The TCP port to listen on, on every address.
    type: int
    default: 80
  timeout:
    description:
      - Seconds after which the responder stops by itself.
    type: int
    default: 300
  state_dir:
    description:
      - Where the records (C(NAME.json)) and the responder's output (C(NAME.log)) are kept.
    type: path
    default: /run/xmpp-encryption/responders
attributes:
  check_mode:
    description: Says whether it would start or stop, and does neither.
    support: full
  diff_mode:
    description: Not supported.
    support: none
notes:
  - The responder's output (one line per request) is in C(STATE_DIR/NAME.log) until the
    name is started again.
"""

EXAMPLES = r"""
- name: Start the responder for example.org
  xmpp.encryption.acme_responder:
    name: example.org
    root: /run/xmpp-encryption-acme-example.org
    port: 80
    timeout: 300

- name: Stop it, whether or not it is still running
  xmpp.encryption.acme_responder:
    name: example.org
    state: stopped
"""

RETURN = r"""
pid:
  description: The responder's pid (started, or stopped by this task).
  returned: when a responder was started or stopped
  type: int
  sample: 4242
start_time:
  description: Its start time in clock ticks after boot, from C(/proc/PID/stat).
  returned: when a responder was started or stopped
  type: int
argv:
  description: The command the responder runs.
  returned: when a responder was started or stopped
  type: list
  elements: str
log:
  description: The file that receives the responder's output.
  returned: with O(state=started)
  type: str
"""

import os
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.responder import (
    DEFAULT_STATE_DIR,
    Record,
    ResponderError,
    check_name,
    http01_argv,
    is_running,
    read_record,
    start,
    stop,
)


def _described(record: Record | None) -> dict[str, object]:
    if record is None:
        return {}
    return {"pid": record.pid, "start_time": record.start_time, "argv": list(record.argv)}


def _stop(state_dir: str, name: str, check_mode: bool) -> dict[str, object]:
    if check_mode:
        record = read_record(state_dir, name)
        stopped = record if record is not None and is_running(record) else None
    else:
        stopped = stop(state_dir, name)
    return {"changed": stopped is not None, **_described(stopped)}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["started", "stopped"], "default": "started"},
            "root": {"type": "path"},
            "port": {"type": "int", "default": 80},
            "timeout": {"type": "int", "default": 300},
            "state_dir": {"type": "path", "default": DEFAULT_STATE_DIR},
        },
        required_if=[("state", "started", ["root"])],
        supports_check_mode=True,
    )
    params = module.params
    name, state_dir = params["name"], params["state_dir"]
    try:
        check_name(name)
        if params["state"] == "stopped":
            module.exit_json(**_stop(state_dir, name, module.check_mode))
        if not os.path.isdir(params["root"]):
            module.fail_json(msg=f"the directory to serve, {params['root']}, does not exist")
        argv = http01_argv(sys.executable, params["root"], params["port"], params["timeout"])
        log = os.path.join(state_dir, f"{name}.log")
        if module.check_mode:
            module.exit_json(changed=True, argv=argv, log=log)
        module.exit_json(changed=True, log=log, **_described(start(state_dir, name, argv, log)))
    except (ResponderError, OSError) as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
