#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read Prosody's configuration: global options, VirtualHosts, Components and includes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: prosody_config_info
short_description: Read Prosody's configuration without running it
version_added: "0.1.0"
description:
  - Parses C(prosody.cfg.lua) (and the files it includes) with the same Lua tokenizer as
    M(xmpp.encryption.prosody_config) and returns what Prosody would see - the global
    options, every VirtualHost and Component with its own options, and the includes.
  - When an option is set more than once in a section, the last one Prosody reads is given.
  - Values that are Lua literals are returned as data; anything else (function calls,
    concatenations, references to other options) is not evaluated but returned as Lua
    source under C(expressions).
  - Code that is valid Lua but sets no option plainly (C(if) blocks, loops, function calls,
    C(a.b = x)) is kept unevaluated and listed under C(unevaluated) with what it may set; a
    section whose name is computed (C(VirtualHost(os.getenv("DOMAIN")))) is listed under
    C(dynamic_sections) by its Lua source. A file that is not valid Lua is refused with its
    file name and line.
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.attributes
  - xmpp.encryption.attributes.read_only
options:
  path:
    description:
      - The main configuration file.
    type: path
    default: /etc/prosody/prosody.cfg.lua
  follow_includes:
    description:
      - Also read the files named by C(Include) lines, relative to the main file's directory,
        globs allowed.
    type: bool
    default: true
  redact_secrets:
    description:
      - Replace the value of every option and table key that holds a secret by
        C(<redacted>) - C(component_secret), C(dialback_secret), C(ldap_password),
        C(turn_external_secret), the C(password) of C(sql) and C(ssl) tables, the C(secret)
        of C(external_services) entries, and any name ending in C(_secret), C(_password) or
        C(_passphrase). An expression that sets one is replaced as a whole.
      - Set V(false) only on a task with C(no_log), when the values are needed to write
        them back (as the enforce role does).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Learn which domains and components the server hosts
  xmpp.encryption.prosody_config_info:
  register: prosody

- name: Show them
  ansible.builtin.debug:
    msg: >-
      {{ prosody.config.virtualhosts.keys() | list }}
      {{ prosody.config.components.keys() | list }}
"""

RETURN = r"""
config:
  description: The parsed configuration.
  returned: success
  type: dict
  contains:
    main:
      description: The main file, as an absolute path.
      type: str
    files:
      description: Every file read, main file first.
      type: list
      elements: str
    includes:
      description: Every C(Include) line with the file and line it is on, its pattern and the
        files it matched.
      type: list
      elements: dict
    global:
      description: The global section - C(options) (literal values), C(expressions) (option to
        Lua source), C(files) that set its options and C(locations) (option to the C(file) and
        C(line) of the assignment Prosody reads last).
      type: dict
    virtualhosts:
      description: Every VirtualHost by name, each with C(options), C(expressions), C(files),
        C(locations).
      type: dict
    components:
      description: Every Component by name, each with C(module) (null for an external
        component), C(options), C(expressions), C(files) and C(locations).
      type: dict
    dynamic_sections:
      description: Sections whose host name is computed, by the Lua source of the name (or
        the code that left the section open), each with C(kind), C(line), C(options),
        C(expressions) and C(files). Such a name is never taken for a host name.
      type: dict
    unevaluated:
      description: Code kept but not evaluated, each with C(file), C(line), C(section),
        C(reason) and C(may_set) (the options it may set; null when it may set any).
      type: list
      elements: dict
    warnings:
      description: Problems that do not stop reading, such as a missing included file.
      type: list
      elements: str
  sample:
    main: /etc/prosody/prosody.cfg.lua
    files: [/etc/prosody/prosody.cfg.lua]
    includes: []
    global:
      options: {c2s_require_encryption: true, certificates: certs}
      expressions: {}
      files: [/etc/prosody/prosody.cfg.lua]
      locations:
        c2s_require_encryption: {file: /etc/prosody/prosody.cfg.lua, line: 12}
        certificates: {file: /etc/prosody/prosody.cfg.lua, line: 14}
    virtualhosts:
      example.org:
        options: {}
        expressions: {}
        files: [/etc/prosody/prosody.cfg.lua]
        locations: {}
    components:
      conference.example.org:
        module: muc
        options: {}
        expressions: {}
        files: [/etc/prosody/prosody.cfg.lua]
        locations: {}
    dynamic_sections: {}
    unevaluated: []
    warnings: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    ProsodyConfigError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    config_view,
    load_config,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "default": "/etc/prosody/prosody.cfg.lua"},
            "follow_includes": {"type": "bool", "default": True},
            "redact_secrets": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    try:
        config = load_config(module.params["path"], module.params["follow_includes"], tolerant=True)
    except ProsodyConfigError as exc:
        module.fail_json(msg=str(exc), **exc.details())
    view = config_view(config, module.params["redact_secrets"])
    module.exit_json(changed=False, config=view)


if __name__ == "__main__":
    main()
