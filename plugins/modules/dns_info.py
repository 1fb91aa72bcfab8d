#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect what DNS publishes for one XMPP domain: SRV, addresses, TLSA, DNSSEC (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dns_info
short_description: Inspect an XMPP domain's SRV, address and TLSA records and their DNSSEC
version_added: "0.1.0"
description:
  - Looks up C(_xmpp-client._tcp), C(_xmpp-server._tcp), C(_xmpps-client._tcp) and
    C(_xmpps-server._tcp) SRV records of O(domain), the A and AAAA records of every target and
    the TLSA records at C(_PORT._tcp.TARGET) (RFC 7673).
  - A single SRV record with the target C(.) is reported as C(no-service). Without SRV
    records for C(_xmpp-client) or C(_xmpp-server), the domain itself on port 5222 or 5269 is
    reported with status C(fallback) (RFC 6120 section 3.2); the direct TLS services of
    XEP-0368 have no fallback and are then C(absent).
  - An SRV target that is a CNAME is reported as a finding, because RFC 2782 forbids it.
  - Validates DNSSEC itself, from O(trust_anchor) down, and gives every answer a status of
    C(secure), C(insecure), C(bogus) or C(indeterminate) (no trust anchor reaches the name).
    Queries carry the DO and CD bits so that signatures arrive even through a validating
    resolver; a SERVFAIL answer is taken as C(bogus).
  - Each query is tried three times with a short timeout each, so one lost UDP packet is
    survived; an answer truncated over UDP is asked again over TCP.
  - With O(certificate), the TLSA records are matched against it and the record that matched
    is reported. TLSA records are only C(usable) when DNSSEC-secure.
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.requirements.dnspython
  - xmpp.encryption.attributes
  - xmpp.encryption.attributes.read_only
  - xmpp.encryption.dns
options:
  domain:
    description:
      - The XMPP domain (the domain part of the JIDs), for example C(example.org).
    type: str
    required: true
  certificate:
    description:
      - The server's certificate to match TLSA records against, as PEM text (leaf first,
        optionally followed by its chain), as the path of a PEM file, or as the 64 hex digits
        of the SHA-256 of the leaf's public key (C(certificate.tlsa_3_1_1) from
        M(xmpp.encryption.tls_info)); a hash can only be matched with C(3 1 1) and C(1 1 1)
        records.
    type: str
requirements:
  - cryptography >= 42.0, only for O(certificate) in PEM form
notes:
  - NXDOMAIN proofs are checked for a covering signed NSEC or NSEC3 record, not for the complete
    closest-encloser proof of RFC 5155.
seealso:
  - module: xmpp.encryption.tls_info
"""

EXAMPLES = r"""
- name: Inspect the lab domain with the lab's trust anchor
  xmpp.encryption.dns_info:
    domain: a.lab.test
    nameservers: [127.0.0.14]
    trust_anchor: "{{ lab.dns.trust_anchor }}"
  register: dns

- name: Require secure SRV records
  ansible.builtin.assert:
    that: dns.services['_xmpp-client._tcp'].dnssec.status == 'secure'

- name: Check the published TLSA records against the certificate in use
  xmpp.encryption.dns_info:
    domain: example.org
    certificate: "{{ lookup('ansible.builtin.file', '/etc/prosody/certs/example.org.crt') }}"
  register: dane
"""

RETURN = r"""
domain:
  description: The domain inspected, as an absolute name.
  returned: always
  type: str
  sample: a.lab.test.
dnssec:
  description:
    - The worst DNSSEC status of all answers
      (C(bogus) > C(indeterminate) > C(insecure) > C(secure)).
  returned: always
  type: str
  sample: secure
tlsa_matched:
  description: True when a DNSSEC-secure TLSA record of some target matched O(certificate).
  returned: always
  type: bool
findings:
  description:
    - Problems seen, each prefixed with a code, such as C(srv-target-cname), C(dnssec-bogus),
      C(tlsa-not-secure), C(no-srv), C(no-address), C(srv-dot-mixed), C(query-failed).
  returned: always
  type: list
  elements: str
  sample:
    - "no-srv: b.lab.test. publishes no XMPP SRV records; clients fall back"
queries:
  description: What the lookups cost, to compare runs.
  returned: always
  type: dict
  contains:
    udp:
      description: UDP queries sent.
      type: int
    tcp:
      description: Queries answered over TCP after a truncated UDP answer.
      type: int
    timeouts:
      description: Tries that timed out.
      type: int
services:
  description: One entry per SRV service, keyed by its label (C(_xmpp-client._tcp) and so on).
  returned: always
  type: dict
  contains:
    service:
      description: The service label.
      type: str
    name:
      description: The SRV owner name that was asked.
      type: str
    status:
      description: C(records), C(no-service) (target C(.)), C(fallback), C(absent) or C(error).
      type: str
    fallback:
      description: True when no SRV exists and the domain itself is used.
      type: bool
    error:
      description: Why the lookup failed, when RV(services.status) is C(error).
      type: str
    dnssec:
      description: The DNSSEC verdict of the SRV answer.
      type: dict
      contains:
        status:
          description: C(secure), C(insecure), C(bogus) or C(indeterminate).
          type: str
        reason:
          description: Why, in words.
          type: str
        signer:
          description: The zone whose signature was checked.
          type: str
    targets:
      description: The targets in order of priority (then weight).
      type: list
      elements: dict
      contains:
        priority:
          description: SRV priority.
          type: int
        weight:
          description: SRV weight.
          type: int
        port:
          description: SRV port.
          type: int
        target:
          description: The target host.
          type: str
        addresses:
          description:
            - A and AAAA records of the target (C(a), C(aaaa)), the name it is an alias of
              (C(cname)) and their DNSSEC verdict (C(dnssec)).
          type: dict
        tlsa:
          description:
            - TLSA records at C(_PORT._tcp.TARGET) (C(records)), their DNSSEC verdict, whether
              they are C(usable) (secure), the per-record C(matches) against O(certificate)
              and the first C(matched) record.
          type: dict
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
    inspect_domain,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "domain": {"type": "str", "required": True},
            **LOOKUP_OPTIONS,
            "certificate": {"type": "str"},
        },
        supports_check_mode=True,
    )
    require_dnspython(module)
    p = module.params
    try:
        nameservers = lookup_nameservers(p["nameservers"])
        report = inspect_domain(
            p["domain"],
            nameservers=nameservers,
            port=p["port"],
            timeout=p["timeout"],
            trust_anchor=p["trust_anchor"],
            certificate=p["certificate"],
        )
    except DnsError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **report.as_dict())


if __name__ == "__main__":
    main()
