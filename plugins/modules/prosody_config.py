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
  - The file is read with a small Lua tokenizer that never runs the file. A file that is not
    valid Lua is refused with its file name and line, and nothing is changed.
  - Code that is valid Lua but sets no option plainly (C(if) blocks, loops, function calls,
    C(a.b = x), an C(Include) of a computed name) is kept as it is, not evaluated. It blocks
    only the edits that depend on it - an edit of an option it may set in the same section,
    or of an option a section with a computed name (which may be this host) sets - and such
    an edit of a section is refused whole, naming the file, the line and what could not be
    checked. A section whose name is computed (C(VirtualHost(os.getenv("DOMAIN")))) is
    addressed in O(host) by the Lua source of its name.
  - Values are compared as Lua values, so C(true) and C(true;) are the same and a second run
    with the same settings changes nothing.
  - Sections follow Prosody's rules. The global section is everything before the first
    C(VirtualHost) or C(Component) line of a file; every such line starts the section of
    that host. Each section is edited on its own. An option set globally is not touched when
    it is asked for a host, and the other way round.
  - To read the configuration without changing it, use M(xmpp.encryption.prosody_config_info).
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.attributes
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
  restore:
    description:
      - Put files back from backups instead of editing options, as a mapping from file to its
        backup (the RV(backup_files) of an earlier run). Each file keeps its mode, owner and
        group; the restored configuration is validated with O(validate) before any file is
        replaced, under the same lock.
      - Not with O(settings) or O(remove).
    type: dict
    default: {}
  expect_sha256:
    description:
      - With O(restore), the SHA-256 each file must still have (what the earlier run wrote).
        When a file holds anything else, the module fails naming it and restores nothing.
    type: dict
    default: {}
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
      - Copy every file that changes to C(FILE.PID.DATE@TIME~) before replacing it. The copy
        is created readable by its owner only and given the original's mode, owner and group
        once complete; a copy that cannot be completed (a full disk) is removed and nothing
        is changed.
    type: bool
    default: false
  keep_backups:
    description:
      - After a backup, keep only this many backups of each changed file (the newest), and
        delete older ones. Backups are recognised by their name, C(FILE.PID.DATE@TIME~), which
        is also how Ansible's own C(backup) option names them.
      - V(0) keeps every backup.
    type: int
    default: 10
  validate:
    description:
      - A command run once, before any file is replaced, on the configuration as Prosody
        will read it, with C(%s) standing for a copy of the main file. That copy, and a copy
        of every changed file and of every file that includes one, sit beside their originals
        with a C(.lua) suffix (C(.NAME.xmpp-encryption-XXXXXXXX.lua)), and their C(Include)
        lines point at the copies. So C(prosodyctl --config %s check config), which picks its
        parser from the extension, checks the main file and every changed include together;
        an included file is never checked on its own. Their leading dot keeps them out of
        wildcard C(Include)s. They are removed when the command ends.
      - The command is split like a shell would but run without one.
      - If the command fails, cannot be run or does not finish within O(validate_timeout),
        no file is replaced and the module fails with the reason (and the command's output).
      - A non-zero exit with nothing but the warnings of C(prosodyctl check config) in its
        output (deprecated or obsolete global options, public registration, suggestions -
        Prosody 0.12 and 13 exit 2 on them) is not a failure; any other line is.
      - Not run in check mode.
    type: str
  redact_secrets:
    description:
      - Hide secrets in what the module returns. In RV(changes) and in the diff, the value of
        every option and table key that holds a secret is replaced by C(<redacted>)
        (C(component_secret), C(ldap_password), C(turn_external_secret), the C(password) of
        C(sql) and C(ssl) tables, any name ending in C(_secret), C(_password) or
        C(_passphrase); the list M(xmpp.encryption.prosody_config_info) documents), and
        secret values given in O(settings) are masked wherever they appear, as Ansible masks
        a C(no_log) option.
      - The files themselves are written with the real values.
    type: bool
    default: true
  validate_timeout:
    description:
      - Seconds O(validate) may take.
    type: int
    default: 300
notes:
  - A changed file keeps its mode, owner and group; it is replaced by an atomic rename. A
    symbolic link to the configuration stays a link and its target is replaced.
  - From the read to the write the module holds a lock on the main file's directory (an
    C(flock), so no lock file is left), waiting at most 120 seconds for another run. Before
    any file is replaced, every file read is compared with what was read; when one has
    changed (an edit by hand, or a run planned from an older read) the module fails naming
    that file and changes nothing.
  - Inline option tables after a host line (C(VirtualHost "x" { ... })) and function
    definitions are not supported; such a file is refused.
attributes:
  check_mode:
    support: full
    details: The changes are planned and returned, nothing is written and O(validate) is not run.
  diff_mode:
    support: full
    details: The before and after text of every file that changes.
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
      description: C(set), C(add) or C(remove); C(restore) for a file put back by O(restore)
        (its C(section) is C(file) and C(option) C(*)).
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
sha256:
  description: The SHA-256 of every file that changed, as written (for O(expect_sha256) later).
  returned: when something changed, outside check mode
  type: dict
backup_files:
  description: Every backup made, as a mapping from file to backup.
  returned: when O(backup=true) and something changed
  type: dict
pruned_backups:
  description: Older backups deleted to keep O(keep_backups) of each file.
  returned: when some were deleted
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.edits import (
    plan_edits,
    plan_restore,
    sha256_of,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.files import (
    config_lock,
    write_files,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    ProsodyConfigError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.secrets import (
    is_secret,
    redact,
    redact_text,
    secret_strings,
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
            "restore": {"type": "dict", "default": {}},
            "expect_sha256": {"type": "dict", "default": {}},
            "follow_includes": {"type": "bool", "default": True},
            "backup": {"type": "bool", "default": False},
            "keep_backups": {"type": "int", "default": 10},
            "validate": {"type": "str"},
            "validate_timeout": {"type": "int", "default": 300},
            "redact_secrets": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["restore"] and (params["settings"] or params["remove"]):
        module.fail_json(msg="restore cannot be combined with settings or remove")
    hide = params["redact_secrets"]
    if hide:  # masked in every string returned, the invocation's module_args included
        module.no_log_values.update(secret_strings(params["settings"]))
    try:
        with config_lock(params["path"]):
            config = load_config(params["path"], params["follow_includes"], tolerant=True)
            if params["restore"]:
                plan = plan_restore(config, params["restore"], params["expect_sha256"])
            else:
                plan = plan_edits(config, params["host"], params["settings"], params["remove"])
            changes = [c.as_dict() for c in plan.changes]
            if hide:
                for change in changes:
                    secret = is_secret(change["option"])
                    change["old"] = redact(change["old"], secret and change["old"] is not None)
                    change["new"] = redact(change["new"], secret and change["new"] is not None)
            result: dict[str, object] = {
                "changed": plan.changed,
                "changes": changes,
                "files": list(plan.after),
            }
            if module._diff:
                shown = redact_text if hide else (lambda text, _path: text)
                result["diff"] = [
                    {
                        "before_header": f,
                        "after_header": f,
                        "before": shown(plan.before[f], f),
                        "after": shown(t, f),
                    }
                    for f, t in plan.after.items()
                ]
            if plan.changed and not module.check_mode:
                written = write_files(
                    config,
                    plan.after,
                    backup=params["backup"],
                    validate=params["validate"],
                    keep_backups=params["keep_backups"],
                    timeout=params["validate_timeout"],
                )
                if written.backups:
                    result["backup_files"] = dict(written.backups)
                    main_backup = written.backups.get(config.main)
                    result["backup_file"] = main_backup or next(iter(written.backups.values()))
                result["sha256"] = {f: sha256_of(t) for f, t in plan.after.items()}
                if written.pruned:
                    result["pruned_backups"] = list(written.pruned)
    except ProsodyConfigError as exc:  # validation failures too: they carry rc and output
        module.fail_json(msg=str(exc), **exc.details())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
