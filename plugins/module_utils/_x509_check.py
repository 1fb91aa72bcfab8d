"""Certificate checks for what an XMPP server presented: fields, trust, identity, EKU, DANE data.

``check_certificate`` never raises for what the server sent: garbage DER, a broken chain or
an unknown key type end up as values in the report. It raises ``X509CheckError`` only for the
caller's own mistakes (a ``ca_path`` that does not exist or holds no certificate, a bad
``stream``).
"""

from __future__ import annotations

import hashlib
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ansible_collections.xmpp.encryption.plugins.module_utils._tlsa import association_data
from ansible_collections.xmpp.encryption.plugins.module_utils._xmpp_identity import (
    match_identity,
    reference_identity,
)

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
    from cryptography.x509 import verification
    from cryptography.x509.oid import ExtendedKeyUsageOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_CRYPTOGRAPHY = False

OID_SRV_NAME = "1.3.6.1.5.5.7.8.7"  # id-on-dnsSRV, RFC 4985
OID_XMPP_ADDR = "1.3.6.1.5.5.7.8.5"  # id-on-xmppAddr, RFC 6120 §13.7.1.4
OID_ANY_EKU = "2.5.29.37.0"
# What OpenSSL reports as the size of EdDSA keys, so our figures match `openssl x509 -text`.
EDDSA_BITS = {"Ed25519": 253, "Ed448": 456}
SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")

# trust_error values, in the order of precedence used for ``trust_error``.
TRUST_ERRORS = (
    "invalid-certificate",
    "self-signed",
    "expired",
    "not-yet-valid",
    "misordered-chain",
    "incomplete-chain",
    "unknown-issuer",
    "bad-signature",
    "invalid-chain",
)


class X509CheckError(Exception):
    """A mistake of the caller (bad trust store path, unknown stream), not of the server."""


@dataclass(frozen=True)
class ChainEntry:
    subject: str
    issuer: str
    sha256: str


@dataclass(frozen=True)
class CertificateReport:
    """Everything the prober reports about one presented chain. Times are ISO 8601 UTC."""

    error: str | None = None
    subject: str | None = None
    issuer: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    days_left: int | None = None
    key_type: str | None = None
    key_bits: int | None = None
    curve: str | None = None
    signature_algorithm: str | None = None
    san_dns: tuple[str, ...] = ()
    san_srv: tuple[str, ...] = ()
    san_xmpp_addr: tuple[str, ...] = ()
    chain: tuple[ChainEntry, ...] = ()
    trusted: bool = False
    trust_error: str | None = None
    trust_errors: tuple[str, ...] = ()
    trust_detail: str | None = None
    name_matches: bool = False
    matched_identity: str | None = None
    eku: tuple[str, ...] = ()
    eku_client_auth: bool = False
    eku_server_auth: bool = False
    sha256: str | None = None
    tlsa_3_1_1: str | None = None
    details: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out


# ---------------------------------------------------------------- small DER and field readers


def _der_string(value: bytes, tag: int) -> str | None:
    """Decode one DER TLV of ``tag`` (0x16 IA5String, 0x0C UTF8String); None when malformed."""
    if len(value) < 2 or value[0] != tag:
        return None
    length, offset = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(value) < 2 + count:
            return None
        length, offset = int.from_bytes(value[2 : 2 + count], "big"), 2 + count
    body = value[offset : offset + length]
    if len(body) != length or offset + length != len(value):
        return None
    try:
        return body.decode("ascii" if tag == 0x16 else "utf-8")
    except UnicodeDecodeError:
        return None


def _sans(
    cert: x509.Certificate,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str | None]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return (), (), (), None
    except ValueError as exc:  # a malformed extension: report it, match nothing
        return (), (), (), f"subjectAltName cannot be parsed: {exc}"
    dns = tuple(ext.get_values_for_type(x509.DNSName))
    srv: list[str] = []
    xmpp: list[str] = []
    bad: list[str] = []
    for other in ext.get_values_for_type(x509.OtherName):
        oid = other.type_id.dotted_string
        if oid == OID_SRV_NAME:
            text = _der_string(other.value, 0x16)
            (srv if text is not None else bad).append(text or "SRVName")
        elif oid == OID_XMPP_ADDR:
            text = _der_string(other.value, 0x0C)
            (xmpp if text is not None else bad).append(text or "XmppAddr")
    note = f"malformed otherName: {', '.join(bad)}" if bad else None
    return dns, tuple(srv), tuple(xmpp), note


def _key_info(cert: x509.Certificate) -> tuple[str | None, int | None, str | None]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None, None, None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", EDDSA_BITS["Ed25519"], None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", EDDSA_BITS["Ed448"], None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    return type(key).__name__, None, None


def _eku(cert: x509.Certificate) -> tuple[tuple[str, ...], bool, bool]:
    """EKU names, clientAuth allowed, serverAuth allowed.

    An absent EKU extension means the key is not restricted (RFC 5280 §4.2.1.12), so both
    are allowed then; anyExtendedKeyUsage allows both as well. For s2s this matters: a server
    authenticates to its peers as a TLS client (XEP-0178), so clientAuth is needed there.
    """
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return (), True, True
    except ValueError:
        return ("malformed",), False, False
    names = tuple(getattr(oid, "_name", None) or oid.dotted_string for oid in usages)
    dotted = {oid.dotted_string for oid in usages}
    any_eku = OID_ANY_EKU in dotted
    client = any_eku or ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string in dotted
    server = any_eku or ExtendedKeyUsageOID.SERVER_AUTH.dotted_string in dotted
    return names, client, server


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sig_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


# ---------------------------------------------------------------- trust anchors


def load_trust_store(ca_path: str | None) -> list[x509.Certificate]:
    """Certificates from a PEM bundle, a directory of PEM files, or the system store."""
    paths: list[Path]
    if ca_path is None:
        defaults = ssl.get_default_verify_paths()
        candidates = [defaults.cafile, *SYSTEM_BUNDLES]
        found = [Path(c) for c in candidates if c and Path(c).is_file()]
        if found:
            paths = found[:1]
        elif defaults.capath and Path(defaults.capath).is_dir():
            paths = sorted(p for p in Path(defaults.capath).iterdir() if p.is_file())
        else:
            raise X509CheckError("no system trust store found; give ca_path")
    else:
        root = Path(ca_path)
        if root.is_dir():
            paths = sorted(p for p in root.iterdir() if p.is_file())
        elif root.is_file():
            paths = [root]
        else:
            raise X509CheckError(f"ca_path {ca_path} is neither a file nor a directory")
    certs: list[x509.Certificate] = []
    seen: set[bytes] = set()
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if b"-----BEGIN CERTIFICATE-----" not in data:
            continue  # hash links, CRLs, README files in a directory store
        try:
            # Some system roots carry a non-positive serial; cryptography warns about each.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loaded = x509.load_pem_x509_certificates(data)
        except ValueError:
            continue
        for cert in loaded:
            if cert.tbs_certificate_bytes not in seen:  # bundles often repeat a root
                seen.add(cert.tbs_certificate_bytes)
                certs.append(cert)
    if not certs:
        raise X509CheckError(f"no certificate found in {ca_path or 'the system trust store'}")
    return certs


# ---------------------------------------------------------------- signature and path helpers


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer`` names ``cert``'s issuer and its key verifies ``cert``'s signature."""
    if cert.issuer != issuer.subject:
        return False
    try:
        key = issuer.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            pad = cert.signature_algorithm_parameters
            key.verify(
                cert.signature,
                cert.tbs_certificate_bytes,
                pad if pad is not None else padding.PKCS1v15(),
                cert.signature_hash_algorithm,
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(
                cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm)
            )
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, cert.signature_hash_algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _self_signed(cert: x509.Certificate) -> bool:
    return signed_by(cert, cert)


def _find_leaf(certs: Sequence[x509.Certificate]) -> int:
    """Index of the end-entity: the one certificate in the list that issues none of the others.

    When that is ambiguous (unrelated certificates, a single one) the first is the leaf, as a
    TLS client would take it.
    """
    if len(certs) < 2:
        return 0
    issuers_of_others = {
        j for i, c in enumerate(certs) for j, d in enumerate(certs) if i != j and signed_by(c, d)
    }
    ends = [i for i in range(len(certs)) if i not in issuers_of_others]
    return ends[0] if len(ends) == 1 else 0


def _path_from(certs: Sequence[x509.Certificate], leaf: int) -> list[int]:
    """Indexes of the path leaf → issuer → ... through the certificates the server sent."""
    path = [leaf]
    while True:
        current = certs[path[-1]]
        if _self_signed(current):
            return path
        nxt = next(
            (i for i, c in enumerate(certs) if i not in path and signed_by(current, c)), None
        )
        if nxt is None:
            return path
        path.append(nxt)


def _short(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _order_problem(certs: Sequence[x509.Certificate], leaf: int, path: list[int]) -> str | None:
    if leaf != 0:
        return f"leaf not first: the end-entity certificate is at position {leaf}"
    for step, index in enumerate(path):
        if index != step:
            return (
                f"intermediates out of order: the issuer of position {step - 1} "
                f"({_short(certs[index])}) is at position {index}, expected {step}"
            )
    return None


def _time_problems(
    certs: Sequence[x509.Certificate], path: list[int], now: datetime
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for index in path:
        cert = certs[index]
        if now > cert.not_valid_after_utc:
            found.append(
                (
                    "expired",
                    f"position {index} ({_short(cert)}) expired {_iso(cert.not_valid_after_utc)}",
                )
            )
        elif now < cert.not_valid_before_utc:
            found.append(
                (
                    "not-yet-valid",
                    f"position {index} ({_short(cert)}) "
                    f"valid from {_iso(cert.not_valid_before_utc)}",
                )
            )
    return found


def _has_ca_issuers_url(cert: x509.Certificate) -> bool:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return any(d.access_method == x509.AuthorityInformationAccessOID.CA_ISSUERS for d in aia)


def _verify_pkix(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    anchors: list[x509.Certificate],
    now: datetime,
) -> str | None:
    """Chain validation without a name check: None when valid, the verifier's message if not.

    cryptography's server verifier binds a DNS name into validation, but an XMPP certificate
    may be valid only through an SRV-ID or XmppAddr. Its client verifier validates the path
    without any name; with the end-entity extension policy set to ``permit_all`` it also
    stops requiring clientAuth and a SAN, which the identity and EKU checks below report on
    their own. CA certificates keep the full Web PKI checks (basicConstraints, keyUsage).
    """
    builder = (
        verification.PolicyBuilder()
        .store(verification.Store(anchors))
        .time(now)
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=verification.ExtensionPolicy.permit_all(),
        )
    )
    try:
        builder.build_client_verifier().verify(leaf, intermediates)
    except verification.VerificationError as exc:
        return str(exc)
    return None


def _trust(
    certs: list[x509.Certificate], anchors: list[x509.Certificate], now: datetime
) -> tuple[int, list[tuple[str, str]]]:
    """Index of the leaf, and every trust problem found as (code, detail), best first."""
    leaf = _find_leaf(certs)
    path = _path_from(certs, leaf)
    problems: list[tuple[str, str]] = []
    anchor_der = {a.tbs_certificate_bytes for a in anchors}
    leaf_cert = certs[leaf]
    if _self_signed(leaf_cert) and leaf_cert.tbs_certificate_bytes not in anchor_der:
        problems.append(
            (
                "self-signed",
                f"the leaf ({_short(leaf_cert)}) signs itself and is not a trust anchor",
            )
        )
    problems.extend(_time_problems(certs, path, now))
    order = _order_problem(certs, leaf, path)
    if order is not None:
        problems.append(("misordered-chain", order))
    others = [c for i, c in enumerate(certs) if i != leaf]
    failure = _verify_pkix(leaf_cert, others, anchors, now)
    if failure is None:
        return leaf, problems
    top = certs[path[-1]]
    issuer_anchor = next((a for a in anchors if a.subject == top.issuer), None)
    if _self_signed(top):
        if top.tbs_certificate_bytes not in anchor_der and len(path) > 1:
            problems.append(
                ("unknown-issuer", f"the chain ends at a root that is not trusted: {_short(top)}")
            )
    elif issuer_anchor is None:
        issuer = top.issuer.rfc4514_string()
        if _has_ca_issuers_url(top):
            problems.append(
                (
                    "incomplete-chain",
                    f"the issuer of {_short(top)} ({issuer}) was not sent; "
                    "the certificate points to it (AIA caIssuers)",
                )
            )
        else:
            problems.append(
                ("unknown-issuer", f"issuer {issuer} is neither sent nor a trust anchor")
            )
    elif not any(signed_by(top, a) for a in anchors if a.subject == top.issuer):
        issuer = top.issuer.rfc4514_string()
        problems.append(("bad-signature", f"{_short(top)} is not signed by the anchor {issuer}"))
    if not problems:
        problems.append(("invalid-chain", failure))
    return leaf, problems


# ---------------------------------------------------------------- the entry point


def check_certificate(
    chain_der: Sequence[bytes],
    *,
    domain: str,
    stream: str,
    ca_path: str | None,
    now: datetime | None = None,
    tls_mode: str = "starttls",
    anchors: Sequence[x509.Certificate] | None = None,
) -> CertificateReport:
    """Check the chain a server sent (leaf first, as on the wire) for ``domain`` and ``stream``.

    ``anchors`` lets a caller that checks many chains load the trust store once
    (``load_trust_store``); otherwise ``ca_path`` (or the system store) is read.
    """
    if not HAS_CRYPTOGRAPHY:  # pragma: no cover
        raise X509CheckError("the cryptography library is needed")
    try:
        ref = reference_identity(domain, stream, tls_mode)
    except ValueError as exc:
        raise X509CheckError(str(exc)) from exc
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    if not chain_der:
        return CertificateReport(
            error="no certificate was presented",
            trust_error="invalid-certificate",
            trust_errors=("invalid-certificate",),
        )
    certs: list[x509.Certificate] = []
    for index, der in enumerate(chain_der):
        try:
            certs.append(x509.load_der_x509_certificate(bytes(der)))
        except (ValueError, TypeError) as exc:
            message = f"certificate at position {index} is not valid DER: {exc}"
            return CertificateReport(
                error=message,
                trust_error="invalid-certificate",
                trust_errors=("invalid-certificate",),
                trust_detail=message,
            )
    store = list(anchors) if anchors is not None else load_trust_store(ca_path)
    try:
        leaf_index, problems = _trust(certs, store, moment)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:  # e.g. an unparsable extension
        leaf_index, problems = 0, [("invalid-certificate", f"cannot evaluate the chain: {exc}")]
    problems.sort(key=lambda p: TRUST_ERRORS.index(p[0]))
    leaf = certs[leaf_index]
    leaf_der = bytes(chain_der[leaf_index])
    dns, srv, xmpp, san_note = _sans(leaf)
    identity = match_identity(ref, san_dns=dns, san_srv=srv, san_xmpp_addr=xmpp)
    key_type, key_bits, curve = _key_info(leaf)
    eku, client_auth, server_auth = _eku(leaf)
    try:
        spki = association_data(leaf_der, 1, 1)
    except ValueError:
        spki = None
    return CertificateReport(
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        not_before=_iso(leaf.not_valid_before_utc),
        not_after=_iso(leaf.not_valid_after_utc),
        days_left=(leaf.not_valid_after_utc - moment).days,
        key_type=key_type,
        key_bits=key_bits,
        curve=curve,
        signature_algorithm=_sig_name(leaf),
        san_dns=dns,
        san_srv=srv,
        san_xmpp_addr=xmpp,
        chain=tuple(
            ChainEntry(
                c.subject.rfc4514_string(),
                c.issuer.rfc4514_string(),
                hashlib.sha256(bytes(d)).hexdigest(),
            )
            for c, d in zip(certs, chain_der, strict=True)
        ),
        trusted=not problems,
        trust_error=problems[0][0] if problems else None,
        trust_errors=tuple(dict.fromkeys(p[0] for p in problems)),
        trust_detail="; ".join(p[1] for p in problems) or None,
        name_matches=identity.matches,
        matched_identity=identity.matched_identity,
        eku=eku,
        eku_client_auth=client_auth,
        eku_server_auth=server_auth,
        sha256=hashlib.sha256(leaf_der).hexdigest(),
        tlsa_3_1_1=spki,
        details=tuple(n for n in (san_note,) if n),
    )
