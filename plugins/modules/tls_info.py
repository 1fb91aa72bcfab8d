#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe one XMPP endpoint from outside: stream features, TLS and the certificate."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tls_info
short_description: Probe an XMPP endpoint's encryption live, as a client or peer server sees it
version_added: "0.1.0"
description:
  - Connects to one XMPP endpoint (client-to-server or server-to-server, STARTTLS or direct
    TLS) and reports what it offers before TLS, whether it refuses plaintext authentication
    or dialback, every TLS protocol version, cipher suite and key-exchange group it accepts,
    whether it picks suites itself, and whether its certificate chain is trusted and names
    the XMPP domain (RFC 6120, RFC 7590, RFC 9525, XEP-0368).
  - The TLS layer writes its own ClientHello messages, so versions and suites that the
    local OpenSSL no longer supports (SSL 3.0, TLS 1.0, export or anonymous suites) are
    still detected.
  - Everything read before TLS goes through a guarded XML parser (no DOCTYPE, entities,
    comments or processing instructions; at most 64 KiB); every wait is bounded by
    O(connect_timeout) and by one overall O(timeout); at most O(max_connections)
    connections to the server are open at a time, and a refusal after earlier connections
    worked is retried after a short back-off (rate limits).
  - B(An endpoint that cannot be probed is a result, not a module failure.) The module
    fails only on bad input (or a missing library, or an unreadable O(ca_path)); when the
    endpoint cannot be reached or misbehaves, it returns RV(error) with a stable code and
    whatever could be learned, so a play can grade a whole fleet in one pass. Set
    O(fail_on_error=true) to make such an endpoint fail the task instead.
  - The module never changes anything.
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.probe
  - xmpp.encryption.requirements.cryptography
  - xmpp.encryption.attributes
  - xmpp.encryption.attributes.read_only
options:
  host:
    description:
      - The host name or IP address to connect to (for example the target of an SRV record).
    type: str
    required: true
  port:
    description:
      - The TCP port. When not given, 5222 for C(c2s)/C(starttls), 5269 for
        C(s2s)/C(starttls), 5223 for C(c2s)/C(direct) and 5270 for C(s2s)/C(direct).
    type: int
  domain:
    description:
      - The XMPP domain the stream is for - sent as the stream's C(to), as the TLS SNI, and
        the reference identity the certificate must match. Defaults to O(host).
    type: str
  stream:
    description:
      - C(c2s) probes as a client (C(jabber:client)), C(s2s) as a peer server
        (C(jabber:server) with dialback).
    type: str
    choices: [c2s, s2s]
    default: c2s
  tls_mode:
    description:
      - C(starttls) negotiates TLS inside the XMPP stream; C(direct) starts TLS right after
        connecting (XEP-0368, with ALPN C(xmpp-client) or C(xmpp-server)).
    type: str
    choices: [starttls, direct]
    default: starttls
  max_connections:
    description:
      - The most connections open to the server at the same time.
    type: int
    default: 5
  fail_on_error:
    description:
      - Fail the task when the endpoint could not be probed (RV(error) is set), instead of
        returning the error as a result.
    type: bool
    default: false
notes:
  - The plaintext test (C(features)) sends one SASL C(<auth/>) with a random, invalid
    user name and password (c2s) or one dialback C(<db:result/>) from a random C(.invalid)
    domain (s2s), in the clear, to see whether the server evaluates it before TLS.
  - Bytes that the server sends after C(<proceed/>) and before the TLS handshake are never
    fed to TLS; they are reported as RV(starttls_injection).
"""

EXAMPLES = r"""
- name: Probe a client port the way a client sees it
  xmpp.encryption.tls_info:
    host: xmpp1.example.org
    domain: example.org
  register: probe

- name: Probe federation on direct TLS, with the lab's trust anchors, certificate only
  xmpp.encryption.tls_info:
    host: 127.0.0.2
    domain: example.org
    stream: s2s
    tls_mode: direct
    ca_path: /etc/xmpp-lab/ca.pem
    checks: [certificate]
  register: s2s_cert

- name: Stop when plaintext authentication is still possible
  ansible.builtin.assert:
    that:
      - probe.error is none
      - probe.plaintext_refused is true
      - not probe.tls.versions['TLSv1.0']
    fail_msg: "{{ probe.endpoint }}: {{ probe.error or probe.plaintext_evidence }}"
"""

RETURN = r"""
endpoint:
  description: What was probed.
  returned: always
  type: dict
  sample: {host: xmpp1.example.org, port: 5222, domain: example.org, stream: c2s,
           tls_mode: starttls}
error:
  description:
    - Why the endpoint could not be probed, or null. C(code) is stable - one of
      C(connect-timeout), C(connect-refused), C(connect-failed), C(phase-timeout),
      C(deadline), C(byte-cap), C(xml-forbidden), C(xml-invalid), C(stream-error),
      C(starttls-failure), C(starttls-missing), C(protocol), C(reset), C(closed),
      C(tls-alert), C(tls-protocol).
  returned: always
  type: dict
  sample: {code: stream-error, message: the server sent stream error host-unknown}
features:
  description: The stream features offered before TLS (null for direct TLS, when not
    checked, or when they could not be read).
  returned: always
  type: dict
  contains:
    starttls_offered:
      description: C(<starttls/>) was offered.
      type: bool
    starttls_required:
      description: C(<starttls><required/></starttls>) was offered.
      type: bool
    sasl_mechanisms_before_tls:
      description: SASL mechanisms offered on the plaintext stream.
      type: list
      elements: str
    dialback_before_tls:
      description: The dialback feature (C(urn:xmpp:features:dialback)) was offered before
        TLS.
      type: bool
    other_features:
      description: Any other feature, as C(namespace:name).
      type: list
      elements: str
    stream_header:
      description: The server's stream header - C(from), C(id), C(version), C(lang),
        C(namespace).
      type: dict
plaintext_refused:
  description: True when the server refused plaintext authentication (c2s) or dialback
    (s2s) before TLS, false when it went ahead, null when it could not be told.
  returned: always
  type: bool
plaintext_evidence:
  description: What the server answered to the plaintext attempt.
  returned: always
  type: str
  sample: SASL PLAIN failed with encryption-required
starttls_injection:
  description: True when the server sent bytes after C(<proceed/>) before the TLS
    handshake; null for direct TLS or when no STARTTLS was negotiated.
  returned: always
  type: bool
tls:
  description: What the TLS layer accepts (null when no TLS check was asked for).
  returned: always
  type: dict
  contains:
    versions:
      description: Protocol name (C(SSLv3) ... C(TLSv1.3)) to accepted.
      type: dict
    cipher_suites:
      description: Protocol name to the IANA names of its accepted suites, in the server's
        order when it has one.
      type: dict
    server_preference:
      description: Protocol name to true (the server chooses), false (the client chooses)
        or null (unknown, or only one suite).
      type: dict
    groups:
      description: Key-exchange groups accepted (TLS 1.3 groups, then TLS 1.2 curves).
      type: list
      elements: str
    groups_tls13:
      description: The TLS 1.3 groups.
      type: list
      elements: str
    groups_tls12:
      description: The ECDHE curves with TLS 1.0-1.2.
      type: list
      elements: str
    min_dh_bits:
      description: Size of the finite-field DHE prime, when DHE suites are accepted.
      type: int
    min_kex_bits:
      description: The smallest key-exchange size seen (DHE or ECDHE).
      type: int
    forward_secrecy:
      description: Every accepted suite has forward secrecy.
      type: bool
    compression:
      description: The server accepted TLS compression (CRIME).
      type: bool
    downgrade:
      description:
        - A server answered an offer of a higher protocol version with TLS 1.2 or lower and
          a random ending in the RFC 8446 section 4.1.3 downgrade sentinel - something in
          front of it forced the version down, and TLS 1.3 clients abort such handshakes.
      type: bool
    certificate_version:
      description: The protocol version the certificate chain was read with.
      type: str
    certificate_request:
      description: The server asked for a client certificate.
      type: bool
    alpn:
      description: The ALPN protocol the server selected.
      type: str
    complete:
      description: No part of the scan was lost to a failure or the deadline.
      type: bool
    anomalies:
      description: Protocol violations and failed single probes.
      type: list
      elements: str
certificate:
  description: The certificate checks of the presented chain (null when not checked or no
    chain was seen) - subject, issuer, validity, key, SANs (DNS, SRV-ID, xmppAddr), chain,
    C(trusted) with C(trust_error), C(name_matches) with C(matched_identity), EKU, SHA-256
    and the DANE C(3 1 1) association data.
  returned: always
  type: dict
handshakes:
  description: Connections opened to the endpoint.
  returned: always
  type: int
  sample: 14
pipelined:
  description: >-
    TLS scan connections that sent C(<starttls/>) with the stream header (O(pipelining)) and
    got C(<proceed/>).
  returned: always
  type: int
  sample: 12
retries:
  description: Connections retried after a back-off because the server refused them.
  returned: always
  type: int
  sample: 0
elapsed:
  description: Seconds the probe took.
  returned: always
  type: float
  sample: 0.84
problems:
  description: Parts of the probe that failed while others worked.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    require_cryptography,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    EndpointTarget,
    X509CheckError,
    run_probe,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import (
    ProbeOptions,
    argument_spec,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **argument_spec(EndpointTarget),
            **argument_spec(ProbeOptions),
            "fail_on_error": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    require_cryptography(module)
    try:
        result = run_probe(module.params)
    except (ValueError, X509CheckError) as exc:
        module.fail_json(msg=str(exc))
    if module.params["fail_on_error"] and result["error"]:
        error = result["error"]
        module.fail_json(msg=f"{error['code']}: {error['message']}", **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
