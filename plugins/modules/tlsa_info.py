#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the TLSA records at given names, each with its DNSSEC verdict (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tlsa_info
short_description: Read DANE TLSA records with their DNSSEC verdict
version_added: "0.1.0"
description:
  - Reads the TLSA records at each of O(names) (C(_PORT._tcp.HOST), RFC 6698 and RFC 7673)
    and validates each answer itself, from O(trust_anchor) down, as
    M(xmpp.encryption.dns_info) does.
  - Each name gets a status of C(secure), C(insecure), C(bogus) or C(indeterminate); only a
    C(secure) set (RV(tlsa.secure)) is what the zone's signatures vouch for, and the only one
    fit to be published again elsewhere, for example beside a new record during a key
    rollover.
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.requirements.dnspython
  - xmpp.encryption.attributes
  - xmpp.encryption.attributes.read_only
options:
  names:
    description:
      - The TLSA owner names, C(_PORT._tcp.HOST), for example C(_5222._tcp.xmpp.example.org).
    type: list
    elements: str
    required: true
  nameservers:
    description:
      - Addresses of the DNS servers to ask, in turn - recursive resolvers, or the authoritative
        servers of every zone from the trust anchor down.
      - Without it, the nameservers of the system resolver configuration are used.
    type: list
    elements: str
  port:
    description:
      - The port of the DNS servers.
    type: int
    default: 53
  trust_anchor:
    description:
      - File with DS or DNSKEY records in zone-file syntax for any zone; validation starts
        from there.
      - Without it, the root zone's key-signing keys are used.
    type: path
  timeout:
    description:
      - Seconds to wait for each try of a query; every query is tried three times, and all
        of them end within 30 seconds.
    type: float
    default: 1.0
seealso:
  - module: xmpp.encryption.dns_info
"""

EXAMPLES = r"""
- name: Read the published TLSA records of an SRV target, validated from the lab's anchor
  xmpp.encryption.tlsa_info:
    names: [_5222._tcp.xmpp.a.lab.test]
    nameservers: [127.0.0.14]
    trust_anchor: "{{ lab.dns.trust_anchor }}"
  register: published

- name: Keep only what DNSSEC vouches for
  ansible.builtin.set_fact:
    kept: "{{ published.tlsa['_5222._tcp.xmpp.a.lab.test'].records
      if published.tlsa['_5222._tcp.xmpp.a.lab.test'].secure else [] }}"
"""

RETURN = r"""
tlsa:
  description: For each name of O(names) (as given), what DNS holds there.
  returned: always
  type: dict
  contains:
    records:
      description: The TLSA records as C(usage selector matching-type hex), lower case.
      type: list
      elements: str
      sample: ["3 1 1 6b0f...e2"]
    dnssec:
      description: The DNSSEC verdict (C(status), C(reason), C(signer)) of the answer.
      type: dict
    secure:
      description: Whether the answer, records or their absence, is DNSSEC-secure.
      type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    require_dnspython,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import system_nameservers
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    DnsInspectError,
    read_tlsa,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "nameservers": {"type": "list", "elements": "str"},
            "port": {"type": "int", "default": 53},
            "trust_anchor": {"type": "path"},
            "timeout": {"type": "float", "default": 1.0},
        },
        supports_check_mode=True,
    )
    require_dnspython(module)
    p = module.params
    nameservers = p["nameservers"] or system_nameservers()
    if not nameservers:
        module.fail_json(msg="no nameservers given and none configured on the system")
    try:
        found = read_tlsa(
            p["names"],
            nameservers=nameservers,
            port=p["port"],
            timeout=p["timeout"],
            trust_anchor=p["trust_anchor"],
        )
    except DnsInspectError as exc:
        module.fail_json(msg=str(exc))
    tlsa = {
        name: {
            "records": [r.as_text() for r in found_set.records],
            "dnssec": found_set.dnssec.as_dict(),
            "secure": found_set.dnssec.status == "secure",
        }
        for name, found_set in zip(p["names"], found, strict=True)
    }
    module.exit_json(changed=False, tlsa=tlsa)


if __name__ == "__main__":
    main()
