"""DANE TLSA data (RFC 6698, RFC 7671, RFC 7673): compute association data and match records.

Selector 0 is the whole certificate, 1 its SubjectPublicKeyInfo; matching type 0 is the data
itself, 1 SHA-256, 2 SHA-512. Usages 0 (PKIX-TA) and 2 (DANE-TA) name a certificate above the
leaf, 1 (PKIX-EE) and 3 (DANE-EE) the leaf; usages 0 and 1 also need the chain to validate
under PKIX, which the caller says through ``pkix_valid``.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    HAS_CRYPTOGRAPHY,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.errors import X509Error
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.read import spki_der

with contextlib.suppress(ImportError):  # decided once, in _common.dependencies
    from cryptography import x509

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
SELECTORS = {0: "Cert", 1: "SPKI"}
MATCHING_TYPES = {0: "Full", 1: "SHA2-256", 2: "SHA2-512"}


class TlsaError(X509Error):
    """Input that cannot be turned into TLSA data (garbage DER, unknown parameters)."""


@dataclass(frozen=True)
class TlsaRecord:
    """One TLSA record; ``data`` is the association data as lower-case hex."""

    usage: int
    selector: int
    matching_type: int
    data: str

    def as_text(self) -> str:
        return f"{self.usage} {self.selector} {self.matching_type} {self.data}"

    def as_dict(self) -> dict[str, object]:
        return {
            "usage": self.usage,
            "selector": self.selector,
            "matching_type": self.matching_type,
            "data": self.data,
            "text": self.as_text(),
        }


def selected_bytes(cert_der: bytes, selector: int) -> bytes:
    """The bytes a selector picks from a certificate (DER of the cert or of its SPKI)."""
    if selector == 0:
        return cert_der
    if selector != 1:
        raise TlsaError(f"unknown TLSA selector {selector}")
    if not HAS_CRYPTOGRAPHY:  # pragma: no cover
        raise TlsaError("the cryptography library is needed for selector 1")
    try:
        return spki_der(x509.load_der_x509_certificate(cert_der))
    except (ValueError, TypeError) as exc:  # garbage DER or an unsupported key type
        raise TlsaError(f"cannot read the certificate: {exc}") from exc


def association_data(cert_der: bytes, selector: int, matching_type: int) -> str:
    """The TLSA association data (hex) for a certificate, selector and matching type."""
    raw = selected_bytes(cert_der, selector)
    if matching_type == 0:
        return raw.hex()
    if matching_type == 1:
        return hashlib.sha256(raw).hexdigest()
    if matching_type == 2:
        return hashlib.sha512(raw).hexdigest()
    raise TlsaError(f"unknown TLSA matching type {matching_type}")


def record_for(
    cert_der: bytes, usage: int = 3, selector: int = 1, matching_type: int = 1
) -> TlsaRecord:
    """The record an operator would publish for this certificate (default ``3 1 1``)."""
    if usage not in USAGES:
        raise TlsaError(f"unknown TLSA usage {usage}")
    return TlsaRecord(
        usage, selector, matching_type, association_data(cert_der, selector, matching_type)
    )


@dataclass(frozen=True)
class TlsaMatch:
    """The verdict for one record against what the server presented.

    ``matched`` is None when it could not be decided (for example only a hash was known, or a
    PKIX usage without a PKIX verdict). ``position`` is the chain index that matched.
    """

    record: TlsaRecord
    matched: bool | None
    position: int | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "record": self.record.as_text(),
            "usage": USAGES.get(self.record.usage, str(self.record.usage)),
            "matched": self.matched,
            "position": self.position,
            "reason": self.reason,
        }


def _normalise_hex(data: str) -> str:
    return "".join(data.split()).lower()


def match_record(
    record: TlsaRecord,
    chain_der: Sequence[bytes] = (),
    *,
    spki_sha256: str | None = None,
    pkix_valid: bool | None = None,
) -> TlsaMatch:
    """Match one record against a chain (leaf first) or, failing that, a known SPKI SHA-256.

    ``spki_sha256`` is what ``tls_info`` reports as ``tlsa_3_1_1``: with only that, records
    with selector 1 and matching type 1 for the leaf (usages 1 and 3) can be decided.
    """
    if record.usage not in USAGES or record.selector not in SELECTORS:
        return TlsaMatch(record, False, None, "unknown usage or selector: unusable (RFC 7671 §4)")
    if record.matching_type not in MATCHING_TYPES:
        return TlsaMatch(record, False, None, "unknown matching type: unusable")
    want = _normalise_hex(record.data)
    ee = record.usage in (1, 3)
    candidates = range(0, 1) if ee else range(1, len(chain_der))
    if chain_der:
        for position in candidates:
            try:
                have = association_data(chain_der[position], record.selector, record.matching_type)
            except TlsaError as exc:
                return TlsaMatch(record, False, position, str(exc))
            if have == want:
                return _with_pkix(record, position, pkix_valid)
        where = "the leaf" if ee else "any certificate above the leaf"
        return TlsaMatch(record, False, None, f"does not match {where}")
    if spki_sha256 is not None and ee and (record.selector, record.matching_type) == (1, 1):
        if _normalise_hex(spki_sha256) == want:
            return _with_pkix(record, 0, pkix_valid)
        return TlsaMatch(record, False, None, "does not match the leaf's SPKI SHA-256")
    return TlsaMatch(
        record, None, None, "no certificate data that this record can be checked against"
    )


def _with_pkix(record: TlsaRecord, position: int, pkix_valid: bool | None) -> TlsaMatch:
    if record.usage in (2, 3):
        return TlsaMatch(record, True, position, "matches")
    if pkix_valid is None:
        return TlsaMatch(record, None, position, "data matches; PKIX validation not known")
    if pkix_valid:
        return TlsaMatch(record, True, position, "matches and the chain validates under PKIX")
    return TlsaMatch(record, False, position, "data matches but the chain fails PKIX validation")


def match_records(
    records: Sequence[TlsaRecord],
    chain_der: Sequence[bytes] = (),
    *,
    spki_sha256: str | None = None,
    pkix_valid: bool | None = None,
) -> tuple[TlsaMatch, ...]:
    """``match_record`` for each record, in order."""
    return tuple(
        match_record(r, chain_der, spki_sha256=spki_sha256, pkix_valid=pkix_valid) for r in records
    )
