#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage and swap a certificate with its key as one versioned pair on the server."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: certificate_store
short_description: Change a served certificate and its key together, in one atomic step
version_added: "0.1.0"
description:
  - Keeps each certificate name as versioned directories under O(path), in the way of
    certbot's C(archive) and C(live) folders. C(PATH/NAME) is a symbolic link to
    C(PATH/.versions/NAME/N), which holds C(privkey.pem) (0640) and C(fullchain.pem) (0644).
    The server's configuration names the stable path C(PATH/NAME/fullchain.pem) and
    C(PATH/NAME/privkey.pem); Prosody 0.12 finds it there by itself, and skips the dot
    directories when it indexes O(path).
  - O(state=staged) makes an empty staging directory C(PATH/.versions/NAME/.staging) for the
    next pair. Every directory below C(.versions) is made 0750 O(owner):O(group) before any
    key is written into it, so no key is readable by other users at any moment, whatever mode
    the tool that writes it gives a new file first.
  - O(state=present) checks that the staging directory holds both files, gives them their
    owner and modes, makes it the next version and swaps the C(NAME) link in one
    C(rename(2)). The name serves the old pair or the new one, never a mix. When the staged
    pair is the served one byte for byte, nothing changes. A real directory C(PATH/NAME)
    left by an older layout is kept as a version the first time.
  - Old versions beyond O(keep) are removed; the served one never is.
author:
  - xmpp.encryption developers (@xmpp-encryption)
options:
  path:
    description: The certificate directory (Prosody's C(certificates) option).
    type: path
    required: true
  name:
    description: The certificate's name, a directory name under O(path) (the domain).
    type: str
    required: true
  state:
    description: C(staged) makes the staging directory; C(present) serves what it holds.
    type: str
    choices: [staged, present]
    default: present
  owner:
    description: Owner of the directories and files.
    type: str
    default: root
  group:
    description: Group of the directories and files (the server's, which reads the key).
    type: str
    required: true
  keep:
    description: Versions kept, the served one included.
    type: int
    default: 3
attributes:
  check_mode:
    description: Can run in check mode and say whether the served pair would change.
    support: full
  diff_mode:
    description: Returns no diff (the files hold keys).
    support: none
"""

EXAMPLES = r"""
- name: Make the staging directory for example.org
  xmpp.encryption.certificate_store:
    path: /etc/prosody/certs
    name: example.org
    group: prosody
    state: staged
  register: store

- name: Write the key and the certificate into store.staging (modules of your choice)
  ansible.builtin.debug:
    msg: "{{ store.staging }}/privkey.pem and {{ store.staging }}/fullchain.pem"

- name: Serve the staged pair
  xmpp.encryption.certificate_store:
    path: /etc/prosody/certs
    name: example.org
    group: prosody
    state: present
"""

RETURN = r"""
staging:
  description: The staging directory.
  returned: state=staged
  type: str
  sample: /etc/prosody/certs/.versions/example.org/.staging
live:
  description: The stable path the server reads.
  returned: state=present
  type: str
  sample: /etc/prosody/certs/example.org
version:
  description: The served version, relative to O(path).
  returned: state=present
  type: str
  sample: .versions/example.org/4
previous:
  description: The version served before, relative to O(path); empty when there was none.
  returned: state=present
  type: str
  sample: .versions/example.org/3
migrated:
  description: The version the older layout's directory became; empty when there was none.
  returned: state=present
  type: str
  sample: ""
removed:
  description: Old versions removed (beyond O(keep)).
  returned: state=present
  type: list
  elements: str
  sample: [.versions/example.org/1]
"""

import grp
import pwd
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.store import (
    Layout,
    Owner,
    StoreError,
    commit,
    stage,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["staged", "present"], "default": "present"},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "required": True},
            "keep": {"type": "int", "default": 3},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        owner = Owner(pwd.getpwnam(p["owner"]).pw_uid, grp.getgrnam(p["group"]).gr_gid)
    except KeyError as exc:
        module.fail_json(msg=f"unknown owner or group: {exc}")
    try:
        layout = Layout(Path(p["path"]), p["name"])
        if p["state"] == "staged":
            staged = stage(layout, owner, module.check_mode)
            module.exit_json(changed=staged.changed, staging=staged.staging)
        done = commit(layout, owner, p["keep"], module.check_mode)
    except (StoreError, OSError) as exc:
        module.fail_json(msg=f"{p['name']}: {exc}")
    module.exit_json(
        changed=done.changed,
        live=done.live,
        version=done.version,
        previous=done.previous,
        migrated=done.migrated,
        removed=list(done.removed),
    )


if __name__ == "__main__":
    main()
