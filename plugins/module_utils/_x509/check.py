"""Certificate checks for what an XMPP server presented: fields, trust, identity, EKU, DANE data.

``check_certificate`` never raises for what the server sent: garbage DER, a broken chain or
an unknown key type end up as values in the report. It raises ``X509CheckError`` only for the
caller's own mistakes (a ``ca_path`` that does not exist or holds no certificate, a bad
``stream``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    cryptography_problem,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.errors import (
    X509CheckError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.identity import (
    ReferenceIdentity,
    match_identity,
    reference_identity,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.keys import (
    describe_public_key,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.read import (
    OID_CLIENT_AUTH,
    OID_SERVER_AUTH,
    dn_text,
    iso_utc,
    key_usages,
    san_identities,
    subject_text,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.tlsa import association_data
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.trust import (
    TrustStoreError,
    find_leaf,
    is_trust_anchor,
    issued_by,
    issuer_path,
    load_ca_certificates,
    pkix_failure,
    self_signed,
    validity_problem,
)

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec
except ImportError:  # decided once, in _common.dependencies
    pass

# How this report spells key types, and the EdDSA sizes OpenSSL prints (`openssl x509 -text`).
KEY_TYPE_NAMES = {"rsa": "RSA", "ecdsa": "EC", "ed25519": "Ed25519", "ed448": "Ed448", "dsa": "DSA"}
EDDSA_BITS = {"Ed25519": 253, "Ed448": 456}

# Longer chains are reported as invalid, not evaluated: real ones hold a leaf and a few CA
# certificates, and finding who issued whom in a chain the server chose costs signature checks
# that grow with the square of its length (649 certificates once took two minutes).
MAX_CHAIN_CERTIFICATES = 10

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


@dataclass(frozen=True)
class ChainEntry:
    subject: str | None  # None: the name cannot be parsed
    issuer: str | None
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


# ---------------------------------------------------------------- field readers


def _key_info(cert: x509.Certificate) -> tuple[str | None, int | None, str | None]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None, None, None
    info = describe_public_key(key)
    if info.kind not in KEY_TYPE_NAMES:
        return type(key).__name__, None, None
    name = KEY_TYPE_NAMES[info.kind]
    curve = key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else None
    return name, EDDSA_BITS.get(name, info.size), curve


def _san_details(malformed: tuple[str, ...], error: str | None) -> tuple[str, ...]:
    if error is not None:
        return (error,)
    return (f"malformed otherName: {', '.join(malformed)}",) if malformed else ()


def _reference_details(ref: ReferenceIdentity) -> tuple[str, ...]:
    if ref.dns_ids:
        return ()
    return (f"the domain {ref.domain} is an IP address: no DNS-ID, SRV-ID or XmppAddr names it",)


def _sig_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


# ---------------------------------------------------------------- trust anchors


def load_trust_store(ca_path: str | None) -> list[x509.Certificate]:
    """Certificates from a PEM bundle, a directory of PEM files, or the system store."""
    try:
        return list(load_ca_certificates(ca_path))
    except TrustStoreError as exc:  # the caller's mistake, as this module reports those
        raise X509CheckError(str(exc)) from exc


# ---------------------------------------------------------------- trust problems


def _order_problem(certs: Sequence[x509.Certificate], leaf: int, path: list[int]) -> str | None:
    if leaf != 0:
        return f"leaf not first: the end-entity certificate is at position {leaf}"
    for step, index in enumerate(path):
        if index != step:
            return (
                f"intermediates out of order: the issuer of position {step - 1} "
                f"({subject_text(certs[index])}) is at position {index}, expected {step}"
            )
    return None


def _time_problems(
    certs: Sequence[x509.Certificate], path: list[int], now: datetime
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for index in path:
        cert = certs[index]
        problem = validity_problem(cert, now)
        if problem == "expired":
            when = f"expired {iso_utc(cert.not_valid_after_utc)}"
        elif problem == "not-yet-valid":
            when = f"valid from {iso_utc(cert.not_valid_before_utc)}"
        else:
            continue
        found.append((problem, f"position {index} ({subject_text(cert)}) {when}"))
    return found


def _has_ca_issuers_url(cert: x509.Certificate) -> bool:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return any(d.access_method == x509.AuthorityInformationAccessOID.CA_ISSUERS for d in aia)


def _trust(
    certs: list[x509.Certificate], anchors: list[x509.Certificate], now: datetime
) -> tuple[int, list[tuple[str, str]]]:
    """Index of the leaf, and every trust problem found as (code, detail), best first."""
    leaf = find_leaf(certs)
    path = issuer_path(certs, leaf)
    problems: list[tuple[str, str]] = []
    leaf_cert = certs[leaf]
    if self_signed(leaf_cert) and not is_trust_anchor(leaf_cert, anchors):
        problems.append(
            (
                "self-signed",
                f"the leaf ({subject_text(leaf_cert)}) signs itself and is not a trust anchor",
            )
        )
    problems.extend(_time_problems(certs, path, now))
    order = _order_problem(certs, leaf, path)
    if order is not None:
        problems.append(("misordered-chain", order))
    others = [c for i, c in enumerate(certs) if i != leaf]
    # Validated for no name: identity is matched separately, by RFC 9525 rules.
    failure = pkix_failure(leaf_cert, others, anchors, now)
    if failure is None:
        return leaf, problems
    top = certs[path[-1]]
    issuer_anchors = [a for a in anchors if a.subject == top.issuer]
    if self_signed(top):
        if not is_trust_anchor(top, anchors) and len(path) > 1:
            problems.append(
                (
                    "unknown-issuer",
                    f"the chain ends at a root that is not trusted: {subject_text(top)}",
                )
            )
    elif not issuer_anchors:
        issuer = top.issuer.rfc4514_string()
        if _has_ca_issuers_url(top):
            problems.append(
                (
                    "incomplete-chain",
                    f"the issuer of {subject_text(top)} ({issuer}) was not sent; "
                    "the certificate points to it (AIA caIssuers)",
                )
            )
        else:
            problems.append(
                ("unknown-issuer", f"issuer {issuer} is neither sent nor a trust anchor")
            )
    elif not any(issued_by(top, a) for a in issuer_anchors):
        issuer = top.issuer.rfc4514_string()
        problems.append(
            ("bad-signature", f"{subject_text(top)} is not signed by the anchor {issuer}")
        )
    if not problems:
        problems.append(("invalid-chain", failure))
    return leaf, problems


def _name_problems(certs: Sequence[x509.Certificate]) -> list[tuple[str, str]]:
    return [
        ("invalid-certificate", f"the {which} of position {index} cannot be parsed")
        for index, cert in enumerate(certs)
        for which in ("subject", "issuer")
        if dn_text(cert, which) is None
    ]


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
    problem = cryptography_problem()
    if problem:  # pragma: no cover - the module checks first
        raise X509CheckError(problem)
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
    for index, der in enumerate(chain_der[:MAX_CHAIN_CERTIFICATES]):
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
    leaf_index, problems = 0, _name_problems(certs)
    if len(chain_der) > MAX_CHAIN_CERTIFICATES:
        problems.append(
            (
                "invalid-certificate",
                f"the server sent {len(chain_der)} certificates: a chain of more than "
                f"{MAX_CHAIN_CERTIFICATES} is not evaluated (the first ones are listed)",
            )
        )
    elif not problems:  # who issued whom is a question of names
        try:
            leaf_index, problems = _trust(certs, store, moment)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:  # an unparsable extension
            problems = [("invalid-certificate", f"cannot evaluate the chain: {exc}")]
    problems.sort(key=lambda p: TRUST_ERRORS.index(p[0]))
    leaf = certs[leaf_index]
    leaf_der = bytes(chain_der[leaf_index])
    sans = san_identities(leaf)
    identity = match_identity(
        ref, san_dns=sans.dns_ids, san_srv=sans.srv_ids, san_xmpp_addr=sans.xmpp_addrs
    )
    key_type, key_bits, curve = _key_info(leaf)
    # RFC 5280 reading: no EKU or anyExtendedKeyUsage allows both. For s2s clientAuth matters:
    # a server authenticates to its peers as a TLS client (XEP-0178).
    usages = key_usages(leaf)
    try:
        spki = association_data(leaf_der, 1, 1)
    except ValueError:
        spki = None
    return CertificateReport(
        subject=dn_text(leaf, "subject"),
        issuer=dn_text(leaf, "issuer"),
        not_before=iso_utc(leaf.not_valid_before_utc),
        not_after=iso_utc(leaf.not_valid_after_utc),
        days_left=(leaf.not_valid_after_utc - moment).days,
        key_type=key_type,
        key_bits=key_bits,
        curve=curve,
        signature_algorithm=_sig_name(leaf),
        san_dns=sans.dns_ids,
        san_srv=sans.srv_ids,
        san_xmpp_addr=sans.xmpp_addrs,
        chain=tuple(
            ChainEntry(
                dn_text(c, "subject"), dn_text(c, "issuer"), hashlib.sha256(bytes(d)).hexdigest()
            )
            for c, d in zip(certs, chain_der, strict=False)
        ),
        trusted=not problems,
        trust_error=problems[0][0] if problems else None,
        trust_errors=tuple(dict.fromkeys(p[0] for p in problems)),
        trust_detail="; ".join(p[1] for p in problems) or None,
        name_matches=identity.matches,
        matched_identity=identity.matched_identity,
        eku=usages.names,
        eku_client_auth=usages.allows(OID_CLIENT_AUTH),
        eku_server_auth=usages.allows(OID_SERVER_AUTH),
        sha256=hashlib.sha256(leaf_der).hexdigest(),
        tlsa_3_1_1=spki,
        details=_san_details(sans.malformed, sans.error) + _reference_details(ref),
    )
