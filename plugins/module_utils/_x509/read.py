"""Facts read out of X.509 certificates, without judging them.

The one place that parses PEM bundles, decodes the subjectAltName identities an XMPP server
can carry (DNS-ID, SRV-ID of RFC 4985, XmppAddr of RFC 6120 §13.7.1.4), reads the extended key
usage and the SubjectPublicKeyInfo. The import checks (``_certificate.import_check``) and
the prober's report (``_x509.check``) both read certificates through it and apply their own
rules.
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

try:
    import cryptography
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_CRYPTOGRAPHY = False

# Certificate.not_valid_before_utc and not_valid_after_utc came with cryptography 42.
MIN_CRYPTOGRAPHY = (42, 0)

OID_SRV_NAME = "1.3.6.1.5.5.7.8.7"  # id-on-dnsSRV, RFC 4985
OID_XMPP_ADDR = "1.3.6.1.5.5.7.8.5"  # id-on-xmppAddr, RFC 6120 §13.7.1.4
OID_ANY_EKU = "2.5.29.37.0"
OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"  # id-kp-serverAuth
OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"  # id-kp-clientAuth
DER_IA5_STRING, DER_UTF8_STRING = 0x16, 0x0C
PEM_CERTIFICATE_MARKER = b"-----BEGIN CERTIFICATE-----"


class X509CheckError(Exception):
    """A mistake of the caller (bad trust store path, unknown stream), not of the server.

    Raised by ``_x509.check``; defined here so that callers can catch it without importing
    the certificate checks before they have a certificate to check.
    """


def cryptography_problem() -> str | None:
    """Why the certificate code cannot run with this Python, for a module to fail with; or None."""
    wanted = ".".join(map(str, MIN_CRYPTOGRAPHY))
    where = f"this host's Python ({sys.executable})"
    if not HAS_CRYPTOGRAPHY:
        return f"the cryptography library ({wanted} or later) is not installed for {where}"
    found = tuple(int(part) for part in re.findall(r"\d+", cryptography.__version__)[:2])
    if found < MIN_CRYPTOGRAPHY:
        return f"cryptography {cryptography.__version__} on {where} is too old: {wanted} or later"
    return None


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, in file order (ValueError if there is none)."""
    # Some real roots carry a non-positive serial; cryptography warns about each one.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        certs = x509.load_pem_x509_certificates(data)
    if not certs:  # pragma: no cover - cryptography raises on an empty bundle itself
        raise ValueError("no certificate found")
    return certs


def der_string(value: bytes, tag: int) -> str | None:
    """Decode one DER TLV of ``tag`` (IA5String or UTF8String); None when malformed."""
    if len(value) < 2 or value[0] != tag:
        return None
    length, offset = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(value) < 2 + count:
            return None
        length, offset = int.from_bytes(value[2 : 2 + count], "big"), 2 + count
    if offset + length != len(value):
        return None
    try:
        return value[offset:].decode("ascii" if tag == DER_IA5_STRING else "utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class SanIdentities:
    """The identities in a subjectAltName as the certificate spells them (not normalised).

    ``malformed`` names the otherName types whose value could not be decoded; ``error`` says
    why the whole extension could not be parsed. Neither ever counts as an identity.
    """

    dns_ids: tuple[str, ...] = ()
    srv_ids: tuple[str, ...] = ()
    xmpp_addrs: tuple[str, ...] = ()
    malformed: tuple[str, ...] = ()
    error: str | None = None


def san_identities(cert: x509.Certificate) -> SanIdentities:
    """DNS-IDs, SRV-IDs and XmppAddrs of ``cert`` (never the subject CN: RFC 9525)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return SanIdentities()
    except ValueError as exc:  # a malformed extension: report it, match nothing
        return SanIdentities(error=f"subjectAltName cannot be parsed: {exc}")
    srv: list[str] = []
    xmpp: list[str] = []
    bad: list[str] = []
    for other in ext.get_values_for_type(x509.OtherName):
        oid = other.type_id.dotted_string
        if oid == OID_SRV_NAME:
            text = der_string(other.value, DER_IA5_STRING)
            (srv if text is not None else bad).append(text or "SRVName")
        elif oid == OID_XMPP_ADDR:
            text = der_string(other.value, DER_UTF8_STRING)
            (xmpp if text is not None else bad).append(text or "XmppAddr")
    return SanIdentities(
        tuple(ext.get_values_for_type(x509.DNSName)), tuple(srv), tuple(xmpp), tuple(bad)
    )


@dataclass(frozen=True)
class KeyUsages:
    """The extended key usage of a certificate as written.

    ``present`` False means the extension is absent, which RFC 5280 §4.2.1.12 reads as "any
    use"; ``malformed`` means it could not be parsed. ``oids`` are dotted strings.
    """

    present: bool
    names: tuple[str, ...] = ()
    oids: frozenset[str] = frozenset()
    malformed: bool = False

    def allows(self, oid: str) -> bool:
        """RFC 5280: allowed when the extension is absent, lists ``oid`` or anyExtendedKeyUsage."""
        if self.malformed:
            return False
        return not self.present or oid in self.oids or OID_ANY_EKU in self.oids


def key_usages(cert: x509.Certificate) -> KeyUsages:
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return KeyUsages(present=False)
    except ValueError:
        return KeyUsages(present=True, names=("malformed",), malformed=True)
    return KeyUsages(
        present=True,
        names=tuple(getattr(oid, "_name", None) or oid.dotted_string for oid in usages),
        oids=frozenset(oid.dotted_string for oid in usages),
    )


def spki_der(cert: x509.Certificate) -> bytes:
    """The DER SubjectPublicKeyInfo: what TLSA selector 1 and key comparisons work on."""
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def subject_text(cert: x509.Certificate) -> str:
    """The subject for messages (RFC 4514)."""
    return cert.subject.rfc4514_string() or "(empty subject)"


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
