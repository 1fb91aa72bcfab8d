#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set or remove options in Prosody's Lua configuration, in place."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: prosody_config
short_description: Set or remove options in Prosody's configuration file, in place
version_added: "0.1.0"
description:
  - Edits C(prosody.cfg.lua) without templating it, so the operator's comments and layout
    stay byte for byte as they were. Only the value of an option that is already set is
    replaced; an option that is not set is added at the end of its section.
  - The file is read with a small Lua tokenizer that never runs the file. A file whose
    statements it does not understand (anything besides C(option = value), C(VirtualHost),
    C(Component), C(Include) and C(local)) is refused with its file name and line, and
    nothing is changed.
  - Values are compared as Lua values, so C(true) and C(true;) are the same and a second run
    with the same settings changes nothing.
  - Sections follow Prosody's rules. The global section is everything before the first
    C(VirtualHost) or C(Component) line of a file; every such line starts the section of
    that host. Each section is edited on its own. An option set globally is not touched when
    it is asked for a host, and the other way round.
  - To read the configuration without changing it, use M(xmpp.encryption.prosody_config_info).
author:
  - xmpp.encryption developers (@xmpp-encryption)
options:
  path:
    description:
      - The main configuration file.
    type: path
    default: /etc/prosody/prosody.cfg.lua
  host:
    description:
      - The C(VirtualHost) or C(Component) whose section is edited.
      - Leave it out to edit the global section.
      - The host must be declared in the configuration; if it has several sections, a new
        option is added to the last one Prosody reads.
    type: str
  settings:
    description:
      - Options to set, as a mapping from option name to value.
      - Booleans, integers, floats and strings are written as Lua literals; lists become Lua
        sequences C({ "a", "b" }) and mappings become Lua tables C({ key = "value" }), nested
        as deep as needed.
      - A null value is refused; list the option under O(remove) to delete it.
    type: dict
    default: {}
  remove:
    description:
      - Options to delete from the section, with their line and its trailing comment.
      - An option listed here must not also be in O(settings).
    type: list
    elements: str
    default: []
  follow_includes:
    description:
      - Also read the files named by C(Include) lines (relative to the main file's directory,
        globs allowed) and edit an option in the file where it is set.
      - When an option is set several times in the section, every occurrence is changed.
      - When V(false), only the main file is read and edited.
    type: bool
    default: true
  backup:
    description:
      - Copy every file that changes to C(FILE.PID.DATE@TIME~) before replacing it.
    type: bool
    default: false
  validate:
    description:
      - A command run against each changed file's candidate before it replaces the real file,
        with C(%s) standing for the candidate's path. The candidate sits in the same
        directory as the file it replaces and keeps a C(.lua) suffix
        (C(.NAME.xmpp-encryption-XXXXXXXX.lua)), so C(prosodyctl --config %s check config),
        which picks its parser from the extension, checks it directly. Its leading dot
        keeps it out of wildcard C(Include)s. It is removed when validation fails.
      - The command is split like a shell would but run without one.
      - If the command fails for any file, no file is replaced and the module fails with
        the command's output.
      - Not run in check mode.
    type: str
notes:
  - A changed file keeps its mode, owner and group; it is replaced by an atomic rename. A
    symbolic link to the configuration stays a link and its target is replaced.
  - Inline option tables after a host line (C(VirtualHost "x" { ... })) and function
    definitions are not supported; such a file is refused.
attributes:
  check_mode:
    description: Can run in check mode and return the changes it would make.
    support: full
  diff_mode:
    description: Returns the before and after text of every file that changes.
    support: full
"""

EXAMPLES = r"""
- name: Require encryption and forbid plaintext authentication server-wide
  xmpp.encryption.prosody_config:
    settings:
      c2s_require_encryption: true
      s2s_require_encryption: true
      s2s_secure_auth: true
      allow_unencrypted_plain_auth: false
      ssl:
        protocol: "tlsv1_2+"
    backup: true
    validate: prosodyctl --config %s check config

- name: Give one domain its own certificate
  xmpp.encryption.prosody_config:
    host: example.org
    settings:
      ssl:
        certificate: /etc/prosody/certs/example.org.crt
        key: /etc/prosody/certs/example.org.key

- name: Drop the legacy SSL ports
  xmpp.encryption.prosody_config:
    remove:
      - legacy_ssl_ports
"""

RETURN = r"""
changes:
  description: Every change made (or that would be made in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    file:
      description: The file that holds the option.
      type: str
    section:
      description: C(global), C(VirtualHost NAME) or C(Component NAME).
      type: str
    option:
      description: The option's name.
      type: str
    old:
      description: The value before; null when the option was added. A value that is not a
        Lua literal is given as its Lua source text.
      type: raw
    new:
      description: The value after; null when the option was removed.
      type: raw
    action:
      description: C(set), C(add) or C(remove).
      type: str
  sample:
    - file: /etc/prosody/prosody.cfg.lua
      section: global
      option: s2s_secure_auth
      old: false
      new: true
      action: set
files:
  description: The files that changed (or would change).
  returned: always
  type: list
  elements: str
backup_file:
  description: The backup of the main file, or of the one file that changed when that is an
    included file.
  returned: when O(backup=true) and something changed
  type: str
backup_files:
  description: Every backup made, as a mapping from file to backup.
  returned: when O(backup=true) and something changed
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import (
    plan_edits,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.files import (
    write_files,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    ProsodyConfigError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    load_config,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "default": "/etc/prosody/prosody.cfg.lua"},
            "host": {"type": "str"},
            "settings": {"type": "dict", "default": {}},
            "remove": {"type": "list", "elements": "str", "default": []},
            "follow_includes": {"type": "bool", "default": True},
            "backup": {"type": "bool", "default": False},
            "validate": {"type": "str"},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        config = load_config(params["path"], params["follow_includes"])
        plan = plan_edits(config, params["host"], params["settings"], params["remove"])
        result: dict[str, object] = {
            "changed": plan.changed,
            "changes": [c.as_dict() for c in plan.changes],
            "files": list(plan.after),
        }
        if module._diff:
            result["diff"] = [
                {"before_header": f, "after_header": f, "before": plan.before[f], "after": text}
                for f, text in plan.after.items()
            ]
        if plan.changed and not module.check_mode:
            written = write_files(plan.after, params["backup"], params["validate"])
            if written.backups:
                result["backup_files"] = dict(written.backups)
                main_backup = written.backups.get(config.main)
                result["backup_file"] = main_backup or next(iter(written.backups.values()))
    except ProsodyConfigError as exc:  # validation failures too: they carry rc and output
        module.fail_json(msg=str(exc), **exc.details())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
