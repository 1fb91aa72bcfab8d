#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the names (and key) of an XMPP server's certificates from its inventory data."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: certificate_plan
short_description: Plan which names an XMPP server's certificates must cover
version_added: "0.1.0"
description:
  - Turns a host's XMPP domains and components into the certificates it needs and the names
    each must cover, ready for M(community.crypto.openssl_csr) or an ACME order.
  - Every name is normalised (lower case, IDNA A-labels, no trailing dot), deduplicated and
    validated. A bad entry fails the task with a message that names the entry and the option
    it came from; nothing else is done.
  - For a C(public) CA the plan holds DNS names only. For an C(internal) CA it also holds the
    SRV-IDs C(_xmpp-client.DOMAIN) and C(_xmpp-server.DOMAIN) of each domain,
    C(_xmpp-server.COMPONENT) of each component, and an XmppAddr for each domain, all
    rendered in RV(certificates[].subject_alt_name) in the syntax community.crypto expects.
  - The key to generate is validated here too, and returned as arguments for
    M(community.crypto.openssl_privatekey).
  - Reads nothing and changes nothing.
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.attributes
  - xmpp.encryption.attributes.read_only
options:
  domains:
    description:
      - The host's XMPP domains (Prosody VirtualHosts).
      - Each entry is a domain name, or a dictionary with the key C(name) and optionally
        C(components) (full names of that domain's components) and C(subdomains) (prefixes
        such as C(conference) that name components under that domain).
    type: list
    elements: raw
    required: true
  components:
    description:
      - Full names of components (MUC, upload, proxy65, pubsub...) served by the host.
      - With O(group_by=domain) each goes with the domain it lies under, or gets a
        certificate of its own when it lies under none.
    type: list
    elements: str
    default: []
  subdomains:
    description:
      - Component prefixes applied to every domain, for example C(conference) and C(upload).
    type: list
    elements: str
    default: []
  group_by:
    description:
      - C(host) plans one certificate for all names; C(domain) one per domain with its
        components.
    type: str
    choices: [host, domain]
    default: host
  host:
    description:
      - The certificate's name when O(group_by=host), usually the inventory host name.
    type: str
    default: server
  ca:
    description:
      - C(public) for a public CA such as an ACME one (DNS names only); C(internal) for the
        collection's own CA (DNS names, SRV-IDs and XmppAddrs).
    type: str
    choices: [public, internal]
    default: public
  key_type:
    description:
      - The key type to generate.
    type: str
    choices: [ecdsa, rsa]
    default: ecdsa
  key_size:
    description:
      - Bits of the key. For C(ecdsa) 256 (P-256, the default) or 384; for C(rsa) 2048,
        3072 (the default) or 4096.
    type: int
notes:
  - Give the CSR a subject (RV(certificates[].common_name)) or make the subjectAltName
    critical; with an empty subject and a non-critical subjectAltName, path validation
    rejects the certificate.
seealso:
  - module: xmpp.encryption.certificate_check
  - module: community.crypto.openssl_csr
"""

EXAMPLES = r"""
- name: Plan the certificate of an XMPP server
  xmpp.encryption.certificate_plan:
    host: "{{ inventory_hostname }}"
    domains:
      - example.org
      - name: example.net
        subdomains: [upload]
    subdomains: [conference]
    ca: internal
  register: plan

- name: Make the CSR with every planned name
  community.crypto.openssl_csr:
    path: /etc/prosody/certs/{{ plan.certificates[0].name }}.csr
    privatekey_path: /etc/prosody/certs/{{ plan.certificates[0].name }}.key
    common_name: "{{ plan.certificates[0].common_name }}"
    subject_alt_name: "{{ plan.certificates[0].subject_alt_name }}"
    extended_key_usage: [serverAuth, clientAuth]
"""

RETURN = r"""
certificates:
  description: One entry per certificate.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The host name, or the domain (or lone component) with O(group_by=domain).
      type: str
      sample: example.org
    common_name:
      description: A subject common name for the CSR (the first DNS name).
      type: str
      sample: example.org
    domains:
      description: The XMPP domains on this certificate.
      type: list
      elements: str
      sample: [example.org]
    components:
      description: The components on this certificate.
      type: list
      elements: str
      sample: [conference.example.org]
    dns_names:
      description: Every DNS name (domains, then components), as A-labels.
      type: list
      elements: str
      sample: [example.org, conference.example.org]
    srv_ids:
      description: SRV-IDs; empty for a public CA.
      type: list
      elements: str
      sample: [_xmpp-client.example.org, _xmpp-server.example.org]
    xmpp_addrs:
      description: XmppAddr domains (A-labels); empty for a public CA.
      type: list
      elements: str
      sample: [example.org]
    subject_alt_name:
      description:
        - The names as community.crypto C(subject_alt_name) entries. SRV-IDs are written
          as the hex DER of an IA5String because community.crypto's string form knows only
          UTF8; XmppAddrs as C(UTF8:) values in U-labels.
      type: list
      elements: str
      sample: ["DNS:example.org", "otherName:1.3.6.1.5.5.7.8.5;UTF8:example.org"]
key:
  description: The key to generate.
  returned: success
  type: dict
  contains:
    type:
      description: C(ecdsa) or C(rsa).
      type: str
      sample: ecdsa
    size:
      description: Bits (the curve size for ECDSA).
      type: int
      sample: 256
    privatekey_args:
      description: Arguments for M(community.crypto.openssl_privatekey).
      type: dict
      sample: {type: ECC, curve: secp256r1}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.names import (
    CertNameError,
    plan_certificates,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.errors import X509Error
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.keys import key_spec


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "domains": {"type": "list", "elements": "raw", "required": True},
            "components": {"type": "list", "elements": "str", "default": []},
            "subdomains": {"type": "list", "elements": "str", "default": []},
            "group_by": {"type": "str", "choices": ["host", "domain"], "default": "host"},
            "host": {"type": "str", "default": "server"},
            "ca": {"type": "str", "choices": ["public", "internal"], "default": "public"},
            "key_type": {"type": "str", "choices": ["ecdsa", "rsa"], "default": "ecdsa"},
            "key_size": {"type": "int"},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        key = key_spec(p["key_type"], p["key_size"])
        plans = plan_certificates(
            p["domains"], p["components"], p["subdomains"], group_by=p["group_by"], host=p["host"]
        )
    except (CertNameError, X509Error) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(
        changed=False,
        certificates=[plan.as_dict(p["ca"]) for plan in plans],
        key=key.as_dict(),
    )


if __name__ == "__main__":
    main()
