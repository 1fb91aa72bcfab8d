#!/usr/bin/python
# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a certificate, its chain and its key before they are used (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: certificate_check
short_description: Check a certificate, chain and key for an XMPP server before using them
version_added: "0.1.0"
description:
  - Reads a certificate (PEM, optionally followed by its chain), an optional separate chain
    and an optional private key, and checks them all, reporting every problem at once.
  - "Checks: the key belongs to the certificate (public key comparison, for RSA, ECDSA and
    Ed25519); each certificate of the chain is issued by the next one and the signatures
    verify; with O(ca_path) the chain ends at or just below a trust anchor and passes
    RFC 5280 path validation; the certificate covers every required name (DNS-IDs,
    wildcards included, SRV-IDs and XmppAddrs; never the subject common name); it is valid
    now and for at least O(min_days) more days; its key type and size are acceptable; its
    extended key usage allows TLS servers."
  - With O(fail_on_problems=true) the task fails listing every problem, so a role can refuse
    an import before it changes anything.
  - The private key is only compared, never returned or logged.
author:
  - xmpp.encryption developers (@xmpp-encryption)
extends_documentation_fragment:
  - xmpp.encryption.requirements.cryptography
  - xmpp.encryption.attributes
  - xmpp.encryption.attributes.read_only
options:
  certificate_path:
    description:
      - PEM file with the server certificate first, optionally followed by its chain
        (a fullchain file).
      - Exactly one of O(certificate_path) and O(certificate_content) is required.
    type: path
  certificate_content:
    description:
      - The same as O(certificate_path), as text.
    type: str
  chain_path:
    description:
      - PEM file with the intermediate certificates, each followed by its issuer.
    type: path
  chain_content:
    description:
      - The same as O(chain_path), as text.
    type: str
  private_key_path:
    description:
      - PEM file with the private key. Preferred over O(private_key_content).
    type: path
  private_key_content:
    description:
      - The private key as text. Never logged.
    type: str
  private_key_passphrase:
    description:
      - Passphrase of an encrypted private key.
    type: str
  ca_path:
    description:
      - Trust anchors, as a PEM bundle file or a directory of C(.pem), C(.crt) and C(.cer)
        files. Without it, whether the chain reaches a trusted root is not checked.
    type: path
  dns_names:
    description:
      - DNS names the certificate must cover. A wildcard in the certificate covers one
        label.
    type: list
    elements: str
    default: []
  srv_ids:
    description:
      - SRV-IDs the certificate must carry exactly, such as C(_xmpp-client.example.org).
    type: list
    elements: str
    default: []
  xmpp_addrs:
    description:
      - Domains the certificate must carry as XmppAddr.
    type: list
    elements: str
    default: []
  min_days:
    description:
      - Days of validity the certificate must still have.
    type: int
    default: 30
  accepted_key_types:
    description:
      - Key types accepted in the certificate. Ed25519 is left out by default because many
        XMPP clients cannot verify it.
    type: list
    elements: str
    choices: [rsa, ecdsa, ed25519]
    default: [rsa, ecdsa]
  min_rsa_bits:
    description:
      - Smallest RSA key accepted.
    type: int
    default: 2048
  fail_on_problems:
    description:
      - Fail the task when there is any problem; otherwise only report them.
    type: bool
    default: true
seealso:
  - module: xmpp.encryption.certificate_plan
"""

EXAMPLES = r"""
- name: Refuse an imported certificate that does not fit
  xmpp.encryption.certificate_check:
    certificate_path: files/example.org/fullchain.pem
    private_key_path: files/example.org/privkey.pem
    ca_path: /etc/ssl/certs/ca-certificates.crt
    dns_names: "{{ plan.certificates[0].dns_names }}"
    min_days: 14
  delegate_to: localhost

- name: Only report, for an audit
  xmpp.encryption.certificate_check:
    certificate_path: /etc/prosody/certs/example.org.crt
    dns_names: [example.org, conference.example.org]
    fail_on_problems: false
  register: cert
"""

RETURN = r"""
valid:
  description: True when there is no problem.
  returned: always
  type: bool
problems:
  description:
    - Every problem found, with a stable code (C(cert-unreadable), C(chain-unreadable),
      C(key-unreadable), C(key-mismatch), C(key-type), C(chain-order), C(chain-incomplete),
      C(chain-signature), C(chain-not-ca), C(chain-untrusted), C(chain-expired),
      C(names-missing), C(not-yet-valid), C(expired), C(expires-soon), C(eku)).
  returned: always
  type: list
  elements: dict
  sample:
    - code: names-missing
      message: "the certificate does not cover DNS-ID:upload.example.org"
advisories:
  description: Findings that do not make the certificate invalid (C(no-client-auth)).
  returned: always
  type: list
  elements: dict
names:
  description: The identities the certificate carries (the subject common name is ignored).
  returned: always
  type: dict
  contains:
    dns_ids:
      description: DNS-IDs, as A-labels.
      type: list
      elements: str
    srv_ids:
      description: SRV-IDs.
      type: list
      elements: str
    xmpp_addrs:
      description: XmppAddr domains, as A-labels.
      type: list
      elements: str
missing_names:
  description: Required identities not covered, labelled C(DNS-ID:), C(SRV-ID:) or C(XmppAddr:).
  returned: always
  type: list
  elements: str
  sample: ["DNS-ID:upload.example.org"]
extra_names:
  description: Identities in the certificate that were not required (names that were dropped).
  returned: always
  type: list
  elements: str
not_before:
  description: Start of validity (UTC, ISO 8601).
  returned: when the certificate could be read
  type: str
not_after:
  description: End of validity (UTC, ISO 8601).
  returned: when the certificate could be read
  type: str
  sample: "2026-03-01T12:00:00Z"
days_left:
  description: Whole days until RV(not_after); negative when expired.
  returned: when the certificate could be read
  type: int
fingerprint:
  description: SHA-256 fingerprint of the certificate, colon-separated upper-case hex.
  returned: when the certificate could be read
  type: str
spki_sha256:
  description: SHA-256 of the certificate's public key (SubjectPublicKeyInfo), for TLSA 3 1 1.
  returned: when the certificate could be read
  type: str
key:
  description: Type and size of the certificate's key.
  returned: when the certificate could be read
  type: dict
chain:
  description: Subjects of the certificates read, server certificate first.
  returned: always
  type: list
  elements: str
trusted:
  description: Whether the chain reaches a trust anchor; null without O(ca_path).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.import_check import (
    ImportPolicy,
    Source,
    check_import,
    load_ca_certificates,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.names import (
    CertNameError,
    required_names,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    require_cryptography,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.errors import X509Error
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.keys import (
    validate_acceptance,
)


def _source(label: str, path: str | None, content: str | None) -> Source | None:
    if path is None and content is None:
        return None
    return Source(label, path=path, content=content.encode() if content is not None else None)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "certificate_path": {"type": "path"},
            "certificate_content": {"type": "str"},
            "chain_path": {"type": "path"},
            "chain_content": {"type": "str"},
            "private_key_path": {"type": "path"},
            "private_key_content": {"type": "str", "no_log": True},
            "private_key_passphrase": {"type": "str", "no_log": True},
            "ca_path": {"type": "path"},
            "dns_names": {"type": "list", "elements": "str", "default": []},
            "srv_ids": {"type": "list", "elements": "str", "default": []},
            "xmpp_addrs": {"type": "list", "elements": "str", "default": []},
            "min_days": {"type": "int", "default": 30},
            "accepted_key_types": {
                "type": "list",
                "elements": "str",
                "choices": ["rsa", "ecdsa", "ed25519"],
                "default": ["rsa", "ecdsa"],
            },
            "min_rsa_bits": {"type": "int", "default": 2048},
            "fail_on_problems": {"type": "bool", "default": True},
        },
        mutually_exclusive=[
            ("certificate_path", "certificate_content"),
            ("chain_path", "chain_content"),
            ("private_key_path", "private_key_content"),
        ],
        required_one_of=[("certificate_path", "certificate_content")],
        supports_check_mode=True,
    )
    require_cryptography(module)
    p = module.params
    try:
        validate_acceptance(p["accepted_key_types"], p["min_rsa_bits"])
        policy = ImportPolicy(
            required=required_names(p["dns_names"], p["srv_ids"], p["xmpp_addrs"]),
            min_days=p["min_days"],
            accepted_key_types=tuple(p["accepted_key_types"]),
            min_rsa_bits=p["min_rsa_bits"],
            trust_anchors=load_ca_certificates(p["ca_path"]) if p["ca_path"] else None,
        )
    except (CertNameError, X509Error) as exc:  # names; a key policy or ca_path
        module.fail_json(msg=str(exc))
    passphrase = p["private_key_passphrase"]
    report = check_import(
        _source("certificate", p["certificate_path"], p["certificate_content"]),  # type: ignore[arg-type]
        policy,
        chain=_source("chain", p["chain_path"], p["chain_content"]),
        private_key=_source("private_key", p["private_key_path"], p["private_key_content"]),
        passphrase=passphrase.encode() if passphrase else None,
    )
    result = report.as_dict()
    if report.problems and p["fail_on_problems"]:
        listing = "; ".join(f"{pr.code}: {pr.message}" for pr in report.problems)
        module.fail_json(msg=f"certificate refused: {listing}", **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
