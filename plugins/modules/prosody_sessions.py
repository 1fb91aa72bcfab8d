#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""List Prosody's live c2s/s2s sessions and what enforcing encryption would cut off."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: prosody_sessions
short_description: List Prosody's live sessions and the remote domains enforcement would cut off
version_added: "0.1.0"
description:
  - Asks a running Prosody (0.12 or later) for its current sessions through its admin shell
    (C(prosodyctl shell), which needs C(admin_shell) in C(modules_enabled)), with
    C(s2s:show()) and C(c2s:show()).
  - Returns every server-to-server session with its direction, TLS version and certificate
    status, and the impact preview of an enforcement - the remote domains this server
    currently reaches without TLS (cut off by C(s2s_require_encryption)) and those reached
    without a valid certificate (cut off by C(s2s_secure_auth)).
  - Returns the client sessions and which of them are not encrypted (connected in plaintext
    before encryption was required); with O(close_insecure_c2s=true) closes those with a
    C(policy-violation) stream error so that their clients reconnect over TLS.
  - The admin shell cuts names longer than its column width and ends them with an
    ellipsis; such sessions carry C(truncated=true).
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.attributes
options:
  s2s:
    description: List server-to-server sessions and the impact preview.
    type: bool
    default: true
  c2s:
    description: List client sessions.
    type: bool
    default: true
  close_insecure_c2s:
    description:
      - Close every client session that is not encrypted. Implies O(c2s).
    type: bool
    default: false
  close_reason:
    description: Text sent with the stream error when a session is closed.
    type: str
    default: Encryption is now required; please reconnect (your client will use TLS).
  prosodyctl:
    description: The prosodyctl command.
    type: str
    default: prosodyctl
  runas:
    description:
      - Command prefix that runs prosodyctl as Prosody's user (the admin shell's socket
        belongs to it).
    type: list
    elements: str
    default: [runuser, -u, prosody, --]
attributes:
  check_mode:
    support: full
    details:
      - Sessions are listed; with O(close_insecure_c2s) the ones that would be closed are
        returned and none is closed.
  diff_mode:
    support: none
notes:
  - Runs on the XMPP server.
"""

EXAMPLES = r"""
- name: Preview who enforcement would cut off
  xmpp.encryption.prosody_sessions:
    c2s: false
  register: sessions

- name: Show the remote domains reached without TLS
  ansible.builtin.debug:
    msg: "{{ sessions.impact.without_tls }}"

- name: Close the client sessions that are still in plaintext
  xmpp.encryption.prosody_sessions:
    s2s: false
    close_insecure_c2s: true
"""

RETURN = r"""
s2s_sessions:
  description: Server-to-server sessions (empty when O(s2s=false)).
  returned: success
  type: list
  elements: dict
  sample:
    - id: s2sout561a0b591660
      host: a.lab.test
      direction: outgoing
      remote: b.lab.test
      security: TLSv1.3
      encrypted: true
      certificate: Valid
      certificate_valid: true
      sasl: Succeeded
      dialback: Not used
      truncated: false
impact:
  description:
    - Remote domains this server's current s2s sessions reach without TLS, and without a
      valid certificate (each sorted).
  returned: success
  type: dict
  sample:
    without_tls: [legacy.example]
    without_valid_certificate: [legacy.example, selfsigned.example]
c2s_sessions:
  description: Client sessions (empty when O(c2s=false) and O(close_insecure_c2s=false)).
  returned: success
  type: list
  elements: dict
  sample:
    - id: c2s55d0c8a5f4a0
      jid: alice@a.lab.test/laptop
      security: insecure
      encrypted: false
      truncated: false
insecure_c2s:
  description: Full JIDs of the client sessions that are not encrypted.
  returned: success
  type: list
  elements: str
  sample: [alice@a.lab.test/laptop]
closed:
  description: Full JIDs whose sessions were closed (or would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.sessions import (
    C2S_COLUMNS,
    ELLIPSIS,
    S2S_COLUMNS,
    ProsodyShellError,
    close_command,
    parse_c2s,
    parse_s2s,
    s2s_impact,
    shell_command,
)

CLOSE_REASON = "Encryption is now required; please reconnect (your client will use TLS)."


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "s2s": {"type": "bool", "default": True},
            "c2s": {"type": "bool", "default": True},
            "close_insecure_c2s": {"type": "bool", "default": False},
            "close_reason": {"type": "str", "default": CLOSE_REASON},
            "prosodyctl": {"type": "str", "default": "prosodyctl"},
            "runas": {
                "type": "list",
                "elements": "str",
                "default": ["runuser", "-u", "prosody", "--"],
            },
        },
        supports_check_mode=True,
    )
    p = module.params

    def shell(line: str) -> str:
        rc, out, err = module.run_command([*p["runas"], p["prosodyctl"], "shell", line])
        if rc != 0:
            raise ProsodyShellError(
                f"prosodyctl shell {line!r} failed (rc={rc}): {(err or out).strip()}"
            )
        return out

    try:
        s2s = parse_s2s(shell(shell_command("s2s", S2S_COLUMNS))) if p["s2s"] else ()
        c2s = (
            parse_c2s(shell(shell_command("c2s", C2S_COLUMNS)))
            if p["c2s"] or p["close_insecure_c2s"]
            else ()
        )
        insecure = sorted({s.jid for s in c2s if not s.encrypted})
        # A name the shell cut cannot be matched by c2s:close(); it stays listed, not closed.
        closed = (
            [j for j in insecure if not j.endswith(ELLIPSIS)] if p["close_insecure_c2s"] else []
        )
        if closed and not module.check_mode:
            for jid in closed:
                shell(close_command(jid, p["close_reason"]))
    except ProsodyShellError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(
        changed=bool(closed),
        s2s_sessions=[s.as_dict() for s in s2s],
        impact=s2s_impact(s2s).as_dict(),
        c2s_sessions=[s.as_dict() for s in c2s],
        insecure_c2s=insecure,
        closed=closed,
    )


if __name__ == "__main__":
    main()
