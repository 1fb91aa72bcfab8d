"""Sub-scores of SSL Labs' SSL Server Rating Guide: protocol, key exchange, cipher strength.

The total is 0.3 protocol + 0.3 key exchange + 0.4 cipher (``Subscores.total``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.facts import (
    TLS_VERSIONS,
    Facts,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.result import Subscores
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import (
    GROUPS_BY_NAME,
    CipherSuite,
)

# SSL Labs' protocol scores (SSLv2 0, SSLv3 80, TLS 1.0 90, TLS 1.1 95, TLS 1.2 100), oldest
# first; TLS 1.3 is as good as it gets.
PROTOCOL_SCORES: dict[str, int] = dict(zip(TLS_VERSIONS, (0, 80, 90, 95, 100, 100), strict=True))


def key_strength_score(rsa_bits: int) -> int:
    """SSL Labs' key-exchange table, by RSA-equivalent bits."""
    if rsa_bits <= 0:
        return 0
    if rsa_bits < 512:
        return 20
    if rsa_bits < 1024:
        return 40
    if rsa_bits < 2048:
        return 80
    if rsa_bits < 4096:
        return 90
    return 100


def cipher_bits_score(bits: int) -> int:
    """SSL Labs' cipher-strength table."""
    if bits <= 0:
        return 0
    if bits < 128:
        return 20
    if bits < 256:
        return 80
    return 100


def ec_rsa_equivalent(ec_bits: int) -> int:
    """RSA modulus of the same strength as an elliptic curve of this size (NIST SP 800-57)."""
    for floor, rsa in ((500, 15360), (380, 7680), (250, 3072), (220, 2048), (190, 1536)):
        if ec_bits >= floor:
            return rsa
    return 1024 if ec_bits >= 160 else 512


def certificate_rsa_equivalent(cert: Mapping[str, Any]) -> int | None:
    key_type = str(cert.get("key_type") or "")
    bits = cert.get("key_bits")
    if key_type == "Ed25519":
        return 3072
    if key_type == "Ed448":
        return 7680
    if not isinstance(bits, int):
        return None
    if key_type == "EC":
        return ec_rsa_equivalent(bits)
    return bits  # RSA, DSA


def group_rsa_equivalent(name: str) -> int | None:
    group = GROUPS_BY_NAME.get(name)
    if group is None:
        return None
    if group.kind == "ff":
        return group.bits
    if group.kind == "hybrid":
        # ML-KEM-768 and -1024 are NIST categories 3 and 5: at least AES-192 strength.
        return max(ec_rsa_equivalent(group.bits), 7680)
    return ec_rsa_equivalent(group.bits)


def protocol_subscore(versions: Sequence[str]) -> float:
    if not versions:
        return 0.0
    scores = [PROTOCOL_SCORES[v] for v in versions]
    return (max(scores) + min(scores)) / 2


def key_exchange_subscore(facts: Facts) -> float:
    """The weakest of: the certificate key, every ephemeral group or DH prime, export, anon."""
    parts: list[int] = []
    cert_bits = certificate_rsa_equivalent(facts.certificate)
    if cert_bits is not None:
        parts.append(key_strength_score(cert_bits))
    for name in facts.groups:
        eq = group_rsa_equivalent(name)
        if eq is not None:
            parts.append(key_strength_score(eq))
    if facts.min_dh_bits is not None:
        parts.append(key_strength_score(facts.min_dh_bits))
    if any(s.export for s in facts.suites):
        parts.append(40)
    if any(s.anonymous for s in facts.suites):
        parts.append(0)
    return float(min(parts)) if parts else 0.0


def cipher_subscore(suites: Sequence[CipherSuite]) -> float:
    if not suites:
        return 0.0
    bits = [s.bits for s in suites]
    return (cipher_bits_score(max(bits)) + cipher_bits_score(min(bits))) / 2


def subscores_of(facts: Facts) -> Subscores:
    return Subscores(
        protocol=protocol_subscore(facts.versions),
        key_exchange=key_exchange_subscore(facts),
        cipher=cipher_subscore(facts.suites),
    )
