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
  - xmpp.encryption.dns
options:
  names:
    description:
      - The TLSA owner names, C(_PORT._tcp.HOST), for example C(_5222._tcp.xmpp.example.org).
    type: list
    elements: str
    required: true
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
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import (
    LOOKUP_OPTIONS,
    lookup_nameservers,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.errors import DnsError
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    read_tlsa,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            **LOOKUP_OPTIONS,
        },
        supports_check_mode=True,
    )
    require_dnspython(module)
    p = module.params
    try:
        nameservers = lookup_nameservers(p["nameservers"])
        found = read_tlsa(
            p["names"],
            nameservers=nameservers,
            port=p["port"],
            timeout=p["timeout"],
            trust_anchor=p["trust_anchor"],
        )
    except DnsError as exc:
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
