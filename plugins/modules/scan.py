#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit many XMPP domains in one run: discover, probe concurrently, grade, hold to a policy."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: scan
short_description: Audit the encryption of a fleet of XMPP domains in one run
version_added: "0.1.0"
description:
  - Discovers every endpoint of each domain in O(domains) through DNS, as
    M(xmpp.encryption.dns_info) does (c2s and s2s, STARTTLS and direct TLS, every SRV target
    and each of its addresses; an SRV target C(.) means no service; without SRV records the
    domain itself on 5222 and 5269), probes them all as M(xmpp.encryption.tls_info) does,
    grades each endpoint and domain (docs/grading.md) and holds them against O(policy).
  - All probes run concurrently in one event loop under two bounds, O(max_connections) in
    total and O(max_connections_per_server) per server address. Domains that share a server
    (aliases, virtual hosts) share its bound, whatever their names.
  - Domains served at the same address and port share one enumeration of TLS versions,
    suites and groups; each domain still gets its own stream features and certificate
    checks. Turn this off with O(share_tls_scan=false) for servers whose TLS settings differ
    by name.
  - A domain that does not resolve, a failed lookup or an endpoint that cannot be reached
    is a breach of that domain; the other domains are still audited.
  - It only reads. Use it once for the whole fleet (C(run_once)), from the controller or a
    probe host.
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.probe
  - xmpp.encryption.requirements.dnspython
  - xmpp.encryption.requirements.cryptography
  - xmpp.encryption.attributes
  - xmpp.encryption.attributes.read_only
options:
  domains:
    description:
      - The XMPP domains to audit (the domain part of JIDs), probed on c2s and s2s.
    type: list
    elements: str
    default: []
  components:
    description:
      - Domains probed on s2s only, such as XEP-0114 components (MUC, upload), which
        clients reach through federation.
    type: list
    elements: str
    default: []
  endpoints:
    description:
      - Endpoints listed by hand, for hosts without DNS. A domain with entries here is not
        looked up in DNS; its endpoints are exactly these.
    type: list
    elements: dict
    default: []
    suboptions:
      domain:
        description: The XMPP domain the endpoint serves (sent as C(to) and as SNI).
        type: str
        required: true
      host:
        description: The host name or address to connect to.
        type: str
        required: true
      port:
        description:
          - The port. Defaults to 5222, 5269, 5223 or 5270 by O(endpoints[].stream) and
            O(endpoints[].tls_mode).
        type: int
      stream:
        description: C(c2s) (a client's view) or C(s2s) (a peer server's view).
        type: str
        choices: [c2s, s2s]
        default: c2s
      tls_mode:
        description: C(starttls) or C(direct) (XEP-0368).
        type: str
        choices: [starttls, direct]
        default: starttls
  nameservers:
    description:
      - Addresses of the DNS servers to ask. Without it, those of the system resolver
        configuration of the host the module runs on.
    type: list
    elements: str
  dns_port:
    description:
      - The port of the DNS servers.
    type: int
    default: 53
  dns_timeout:
    description:
      - Seconds to wait for each try of a DNS query (three tries each).
    type: float
    default: 1.0
  trust_anchor:
    description:
      - File with DS or DNSKEY records from which DNSSEC is validated. Without it, the root
        zone's keys.
    type: path
  max_connections:
    description:
      - Connections open at once across the whole run.
    type: int
    default: 50
  max_connections_per_server:
    description:
      - Connections open at once to one server address, over all its ports and domains.
    type: int
    default: 5
  renew_days:
    description:
      - A certificate with fewer days left gets a warning in its grade.
    type: int
    default: 30
  policy:
    description:
      - The policy to hold each endpoint to. Its keys, all optional (see docs/grading.md), are
        C(min_grade) (default C(B)), C(require_plaintext_refused) (true),
        C(min_tls_version) (C(TLSv1.2)), C(require_forward_secrecy) (true),
        C(min_days_left) (14), C(require_s2s_cert_auth) (false), C(require_dane) (false).
      - An unknown key is an error that lists the valid keys.
    type: dict
    default: {}
  share_tls_scan:
    description:
      - Domains at the same address and port share one TLS enumeration.
    type: bool
    default: true
  address_families:
    description:
      - Which addresses of SRV targets to probe.
    type: list
    elements: str
    choices: [ipv4, ipv6]
    default: [ipv4, ipv6]
seealso:
  - module: xmpp.encryption.tls_info
  - module: xmpp.encryption.dns_info
  - module: xmpp.encryption.verify_report
"""

EXAMPLES = r"""
- name: Audit every domain of the play once, from the controller
  xmpp.encryption.scan:
    domains: "{{ groups['prosody'] | map('extract', hostvars, 'xmpp_domains') | flatten }}"
    nameservers: [127.0.0.14]
    trust_anchor: "{{ playbook_dir }}/.lab/dnssec-trust-anchor"
    ca_path: "{{ playbook_dir }}/.lab/lab-ca.pem"
    policy:
      min_grade: A
      require_s2s_cert_auth: true
  run_once: true
  delegate_to: localhost
  register: fleet

- name: A host with no DNS, listed by hand
  xmpp.encryption.scan:
    endpoints:
      - {domain: staging.example.org, host: 192.0.2.10, stream: c2s}
      - {domain: staging.example.org, host: 192.0.2.10, stream: s2s}
  register: staging
"""

RETURN = r"""
verdict:
  description: C(pass) when no domain breaks the policy, else C(fail).
  returned: always
  type: str
  sample: fail
counts:
  description: Domains (passed, failed), endpoints (unreachable), breaches, and domains per grade.
  returned: always
  type: dict
  sample:
    domains: 3
    domains_passed: 0
    domains_failed: 3
    endpoints: 12
    endpoints_unreachable: 0
    breaches: 30
    grades: {"F": 3}
policy:
  description: The policy applied, with defaults filled in.
  returned: always
  type: dict
domains:
  description: One result per domain, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain (lower case, no trailing dot).
      type: str
    verdict:
      description: C(pass) or C(fail) (it has breaches).
      type: str
    grade:
      description:
        - The domain's grade (its worst endpoint) with C(score), C(subscores), C(caps),
          C(warnings) and C(plus_missing), each finding with its C(reason) and C(fix).
      type: dict
    breaches:
      description:
        - Each breach of the policy (or failure to discover or reach an endpoint) with
          C(code), C(endpoint), C(message) and C(fix).
      type: list
      elements: dict
    endpoints:
      description:
        - The M(xmpp.encryption.tls_info) result of each endpoint, plus its C(grade), its
          C(srv) source record, its C(dane) evidence and C(tls_shared_with) (the domain
          whose TLS enumeration it shares, or null).
      type: list
      elements: dict
    dns:
      description: The M(xmpp.encryption.dns_info) result (null for explicit endpoints).
      type: dict
stats:
  description: What the run cost.
  returned: always
  type: dict
  contains:
    connections:
      description: TCP connections opened to XMPP servers.
      type: int
    peak_connections:
      description: The most connections open at once.
      type: int
    peak_per_server:
      description: The most connections open at once to each server address.
      type: dict
    shared_tls_scans:
      description: Endpoints that reused another domain's TLS enumeration.
      type: int
    dns_queries:
      description: DNS queries sent.
      type: int
    elapsed:
      description: Seconds the run took.
      type: float
started:
  description: When the run started (ISO 8601, UTC).
  returned: always
  type: str
finished:
  description: When the run finished (ISO 8601, UTC).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    require_cryptography,
    require_dnspython,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.request import (
    ScanError,
    ScanOptions,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.run import run_scan
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    EndpointTarget,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import (
    argument_spec,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "domains": {"type": "list", "elements": "str", "default": []},
            "components": {"type": "list", "elements": "str", "default": []},
            "endpoints": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": argument_spec(EndpointTarget, required=("domain",)),
            },
            **argument_spec(ScanOptions),
        },
        supports_check_mode=True,
    )
    require_dnspython(module)
    require_cryptography(module)
    try:
        result = run_scan(module.params)
    except ScanError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
