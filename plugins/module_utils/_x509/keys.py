"""Key types and sizes for server certificates: the one place that decides what is acceptable.

Two questions are answered here and nowhere else:

* which key to *generate* (ECDSA P-256 by default; ECDSA P-384; RSA 2048, 3072 or 4096), and
  the matching ``community.crypto.openssl_privatekey`` arguments, so the role never spells
  a curve name of its own;
* whether a key found in an *imported* certificate is acceptable (RSA of at least
  ``min_rsa_bits``, ECDSA on P-256/P-384/P-521, Ed25519 only when asked for, since many
  XMPP clients cannot verify it).

The ``cryptography`` import is guarded: ``ansible-test sanity`` imports this file without it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from ansible_collections.xmpp.encryption.plugins.module_utils._x509.errors import X509Error

with contextlib.suppress(ImportError):  # decided once, in _common.dependencies
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

KEY_TYPES = ("ecdsa", "rsa")
RSA_SIZES = (2048, 3072, 4096)
ECDSA_SIZES = (256, 384)
DEFAULT_SIZES = {"ecdsa": 256, "rsa": 3072}
# community.crypto's curve names, by field size.
_CURVE_NAMES = {256: "secp256r1", 384: "secp384r1", 521: "secp521r1"}
ACCEPTED_KINDS = ("rsa", "ecdsa", "ed25519")
_ACCEPTED_CURVE_SIZES = (256, 384, 521)


class KeyPolicyError(X509Error):
    """A key type or size that the collection does not generate or accept."""


@dataclass(frozen=True)
class KeySpec:
    """A key to generate: ``kind`` is ``ecdsa`` or ``rsa``; ``size`` is bits (curve size for EC)."""

    kind: str
    size: int

    def privatekey_args(self) -> dict[str, str | int]:
        """Arguments for ``community.crypto.openssl_privatekey`` that produce this key."""
        if self.kind == "ecdsa":
            return {"type": "ECC", "curve": _CURVE_NAMES[self.size]}
        return {"type": "RSA", "size": self.size}

    def as_dict(self) -> dict[str, object]:
        return {"type": self.kind, "size": self.size, "privatekey_args": self.privatekey_args()}


def key_spec(kind: str = "ecdsa", size: int | None = None) -> KeySpec:
    """Validate a requested key type and size; ``size`` None means the type's default."""
    if kind not in KEY_TYPES:
        raise KeyPolicyError(f"key type {kind!r} is not supported; use one of {list(KEY_TYPES)}")
    if size is None:
        size = DEFAULT_SIZES[kind]
    allowed = ECDSA_SIZES if kind == "ecdsa" else RSA_SIZES
    if size not in allowed:
        raise KeyPolicyError(
            f"key size {size} is not supported for {kind}; use one of {list(allowed)}"
        )
    return KeySpec(kind=kind, size=size)


@dataclass(frozen=True)
class KeyInfo:
    """What a public key is: ``kind`` in rsa/ecdsa/ed25519/ed448/dsa/unknown, ``size`` in bits."""

    kind: str
    size: int | None

    def as_dict(self) -> dict[str, object]:
        return {"type": self.kind, "size": self.size}


def describe_public_key(public_key: object) -> KeyInfo:
    """Classify a ``cryptography`` public key object."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return KeyInfo("rsa", public_key.key_size)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return KeyInfo("ecdsa", public_key.curve.key_size)
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return KeyInfo("ed25519", 256)
    if isinstance(public_key, ed448.Ed448PublicKey):
        return KeyInfo("ed448", 456)
    if isinstance(public_key, dsa.DSAPublicKey):
        return KeyInfo("dsa", public_key.key_size)
    return KeyInfo("unknown", None)


def validate_acceptance(accepted_kinds: list[str], min_rsa_bits: int) -> None:
    """Reject a policy that the checker could not apply (unknown kinds, RSA floor too low)."""
    unknown = [kind for kind in accepted_kinds if kind not in ACCEPTED_KINDS]
    if unknown:
        raise KeyPolicyError(
            f"unknown accepted key types {unknown}; use some of {list(ACCEPTED_KINDS)}"
        )
    if not accepted_kinds:
        raise KeyPolicyError("accepted key types must not be empty")
    if min_rsa_bits < RSA_SIZES[0]:
        raise KeyPolicyError(f"min_rsa_bits must be at least {RSA_SIZES[0]}, not {min_rsa_bits}")


def key_problem(info: KeyInfo, accepted_kinds: list[str], min_rsa_bits: int) -> str | None:
    """Why an imported certificate's key is not acceptable, or None when it is."""
    if info.kind not in accepted_kinds:
        return f"key type {info.kind} is not accepted (accepted: {', '.join(accepted_kinds)})"
    if info.kind == "rsa" and (info.size or 0) < min_rsa_bits:
        return f"RSA key of {info.size} bits is below the minimum of {min_rsa_bits}"
    if info.kind == "ecdsa" and info.size not in _ACCEPTED_CURVE_SIZES:
        return f"ECDSA curve of {info.size} bits is not accepted (P-256, P-384 or P-521 only)"
    return None
