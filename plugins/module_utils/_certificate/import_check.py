"""Checks on a certificate, chain and key that an operator brings (an import), before use.

Everything that is wrong is collected as a ``Problem`` with a stable code, so a role can
refuse an import listing every reason at once and change nothing. Codes:

``cert-unreadable``, ``chain-unreadable``, ``key-unreadable``, ``key-mismatch``,
``key-type``, ``chain-order``, ``chain-incomplete``, ``chain-signature``, ``chain-not-ca``,
``chain-untrusted``, ``chain-expired``, ``names-missing``, ``not-yet-valid``, ``expired``,
``expires-soon``, ``eku``.

Advisories (``no-client-auth``) do not make an import invalid. The private key is read only to
compare its public half with the certificate's: it is never returned, logged or put into a
message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.names import (
    CertNameError,
    NameSet,
    compare_names,
    normalize_name,
    normalize_srv_id,
    normalize_xmpp_addr,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.keys import (
    KeyInfo,
    describe_public_key,
    key_problem,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.read import (
    OID_CLIENT_AUTH,
    OID_SERVER_AUTH,
    iso_utc,
    key_usages,
    load_pem_certificates,
    san_identities,
    spki_der,
    subject_text,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.tlsa import association_data
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.trust import (
    find_issuer,
    is_ca,
    is_trust_anchor,
    issued_by,
    load_ca_certificates,
    pkix_failure,
    self_signed,
    validity_problem,
)

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - the module checks cryptography_problem() first
    pass

# load_ca_certificates is part of this interface: certificate_check imports it from here.
__all__ = [
    "ImportPolicy",
    "ImportReport",
    "Problem",
    "Source",
    "check_import",
    "load_ca_certificates",
    "names_from_certificate",
]


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Source:
    """Where PEM data comes from: a file ``path`` or inline ``content``; ``label`` for messages."""

    label: str
    path: str | None = None
    content: bytes | None = None

    def read(self) -> bytes:
        if self.content is not None:
            return self.content
        if self.path is None:  # pragma: no cover - the module's argument spec prevents it
            raise OSError("neither a path nor content was given")
        return Path(self.path).read_bytes()


@dataclass(frozen=True)
class ImportPolicy:
    """What an import must satisfy; ``trust_anchors`` None means trust is not checked."""

    required: NameSet = field(default_factory=NameSet)
    min_days: int = 30
    accepted_key_types: tuple[str, ...] = ("rsa", "ecdsa")
    min_rsa_bits: int = 2048
    trust_anchors: tuple[x509.Certificate, ...] | None = None


@dataclass(frozen=True)
class ImportReport:
    problems: tuple[Problem, ...]
    advisories: tuple[Problem, ...] = ()
    names: NameSet = field(default_factory=NameSet)
    missing_names: tuple[str, ...] = ()
    extra_names: tuple[str, ...] = ()
    not_before: str | None = None
    not_after: str | None = None
    days_left: int | None = None
    fingerprint: str | None = None
    spki_sha256: str | None = None
    key: KeyInfo | None = None
    chain: tuple[str, ...] = ()
    trusted: bool | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "problems": [p.as_dict() for p in self.problems],
            "advisories": [p.as_dict() for p in self.advisories],
            "names": {
                "dns_ids": list(self.names.dns_ids),
                "srv_ids": list(self.names.srv_ids),
                "xmpp_addrs": list(self.names.xmpp_addrs),
            },
            "missing_names": list(self.missing_names),
            "extra_names": list(self.extra_names),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "days_left": self.days_left,
            "fingerprint": self.fingerprint,
            "spki_sha256": self.spki_sha256,
            "key": self.key.as_dict() if self.key else None,
            "chain": list(self.chain),
            "trusted": self.trusted,
        }


# --- names ------------------------------------------------------------------------------


def _normal_or_raw(func: Callable[[str, str], str], raw: str) -> str:
    try:
        return func(raw, "certificate")
    except CertNameError:
        return raw.lower()  # kept so that it shows up as an extra name, never as a match


def names_from_certificate(cert: x509.Certificate) -> NameSet:
    """DNS-IDs, SRV-IDs and XmppAddrs of ``cert``, normalised (malformed values are skipped)."""
    sans = san_identities(cert)
    dns = [
        _normal_or_raw(lambda n, s: normalize_name(n, s, allow_wildcard=True), n)
        for n in sans.dns_ids
    ]
    srv = [_normal_or_raw(normalize_srv_id, n) for n in sans.srv_ids]
    xmpp = [_normal_or_raw(normalize_xmpp_addr, n) for n in sans.xmpp_addrs]
    return NameSet(tuple(dict.fromkeys(dns)), tuple(dict.fromkeys(srv)), tuple(dict.fromkeys(xmpp)))


# --- chain -------------------------------------------------------------------------------


def _link_problem(certs: Sequence[x509.Certificate], i: int) -> Problem:
    """Why ``certs[i + 1]`` is not the issuer of ``certs[i]``."""
    child, parent = certs[i], certs[i + 1]
    where = f"certificate {i + 1} ({subject_text(child)})"
    elsewhere = find_issuer(certs, child, skip=(i,))
    if elsewhere is not None:
        return Problem(
            "chain-order",
            f"{where} is followed by {subject_text(parent)}, but its issuer is certificate "
            f"{elsewhere + 1} ({subject_text(certs[elsewhere])}): put each issuer right after "
            "the certificate it issued",
        )
    if child.issuer == parent.subject:
        return Problem(
            "chain-signature",
            f"{where} names {subject_text(parent)} as issuer, but the signature "
            "does not verify with that certificate's key",
        )
    return Problem(
        "chain-incomplete",
        f"{where} is issued by {child.issuer.rfc4514_string()}, which is missing from the "
        f"chain (found {subject_text(parent)} next)",
    )


def _chain_problems(
    certs: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate] | None
) -> tuple[list[Problem], bool | None]:
    problems: list[Problem] = []
    if is_ca(certs[0]) and any(not is_ca(c) for c in certs[1:]):
        problems.append(
            Problem("chain-order", "the first certificate is a CA; the server's must come first")
        )
    for i in range(len(certs) - 1):
        if not issued_by(certs[i], certs[i + 1]):
            problems.append(_link_problem(certs, i))
    for i, cert in enumerate(certs[1:], start=2):
        if not is_ca(cert):
            problems.append(
                Problem(
                    "chain-not-ca",
                    f"certificate {i} ({subject_text(cert)}) is not a CA certificate",
                )
            )
    last = certs[-1]
    if anchors is None:
        return problems, None
    if self_signed(last):  # the chain carries its root: it must be one of ours
        if is_trust_anchor(last, anchors):
            return problems, True
        problems.append(
            Problem(
                "chain-untrusted", f"the chain ends at {subject_text(last)}, not a trust anchor"
            )
        )
        return problems, False
    if any(issued_by(last, a) for a in anchors):
        return problems, True
    problems.append(
        Problem(
            "chain-incomplete",
            f"the chain ends at {subject_text(last)}, issued by {last.issuer.rfc4514_string()}, "
            "which is neither in the chain nor among the trust anchors",
        )
    )
    return problems, False


def _pkix_problem(
    certs: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    names: NameSet,
    now: datetime,
) -> Problem | None:
    """Full RFC 5280 path validation for a TLS server, once the simple checks passed.

    It is asked about a name the leaf does carry, so only path faults (constraints, key
    usage, algorithms) can make it fail here; names are checked separately.
    """
    plain = [n for n in names.dns_ids if "*" not in n]
    if not plain:
        return None
    intermediates = [c for c in certs[1:] if not is_trust_anchor(c, anchors)]
    failure = pkix_failure(certs[0], intermediates, anchors, now, server_name=plain[0])
    if failure is not None:
        return Problem("chain-untrusted", f"path validation failed: {failure}")
    return None


# --- the check ---------------------------------------------------------------------------


def _time_problems(
    certs: Sequence[x509.Certificate], now: datetime, min_days: int
) -> list[Problem]:
    leaf = certs[0]
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    problems: list[Problem] = []
    validity = validity_problem(leaf, now)
    if validity == "not-yet-valid":
        problems.append(Problem("not-yet-valid", f"the certificate is valid from {iso_utc(start)}"))
    elif validity == "expired":
        problems.append(Problem("expired", f"the certificate expired on {iso_utc(end)}"))
    elif (end - now).days < min_days:
        days = (end - now).days
        problems.append(
            Problem(
                "expires-soon",
                f"the certificate expires on {iso_utc(end)}, {days} days from now "
                f"(at least {min_days} wanted)",
            )
        )
    for i, cert in enumerate(certs[1:], start=2):
        if validity_problem(cert, now):
            problems.append(
                Problem("chain-expired", f"certificate {i} ({subject_text(cert)}) is not valid now")
            )
    return problems


def _eku_findings(leaf: x509.Certificate) -> tuple[list[Problem], list[Problem]]:
    usages = key_usages(leaf)
    if not usages.present:
        return [], []  # no EKU means any use
    # Only the usages as listed count here: anyExtendedKeyUsage does not stand in for
    # serverAuth (the prober's report, by contrast, reads EKU by RFC 5280).
    problems: list[Problem] = []
    advisories: list[Problem] = []
    if OID_SERVER_AUTH not in usages.oids:
        problems.append(
            Problem("eku", "the certificate is not allowed for TLS servers (serverAuth)")
        )
    if OID_CLIENT_AUTH not in usages.oids:
        advisories.append(
            Problem(
                "no-client-auth",
                "no clientAuth usage: peers that check it will not accept this certificate for "
                "outgoing s2s authentication (XEP-0178)",
            )
        )
    return problems, advisories


def _fingerprint(data: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(data).digest())


def _key_problems(
    source: Source, passphrase: bytes | None, leaf: x509.Certificate
) -> list[Problem]:
    # Messages here are fixed text: nothing from the key file may reach them.
    try:
        data = source.read()
    except OSError as exc:
        return [Problem("key-unreadable", f"{source.label}: cannot read ({exc.strerror})")]
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return [
            Problem(
                "key-unreadable",
                f"{source.label}: not a PEM private key, or the passphrase is wrong or missing",
            )
        ]
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if public != spki_der(leaf):
        return [Problem("key-mismatch", "the private key does not belong to the certificate")]
    return []


def _read_certs(source: Source, code: str) -> tuple[list[x509.Certificate], list[Problem]]:
    try:
        return load_pem_certificates(source.read()), []
    except OSError as exc:
        return [], [Problem(code, f"{source.label}: cannot read ({exc.strerror})")]
    except ValueError:
        return [], [Problem(code, f"{source.label}: no PEM certificate could be read")]


def check_import(
    certificate: Source,
    policy: ImportPolicy,
    *,
    chain: Source | None = None,
    private_key: Source | None = None,
    passphrase: bytes | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Run every check on an import; the report lists all problems, never only the first."""
    now = now or datetime.now(UTC)
    certs, problems = _read_certs(certificate, "cert-unreadable")
    if chain is not None:
        more, chain_problems = _read_certs(chain, "chain-unreadable")
        certs += more
        problems += chain_problems
    if not certs:
        return ImportReport(problems=tuple(problems))
    leaf = certs[0]
    advisories: list[Problem] = []
    if private_key is not None:
        problems += _key_problems(private_key, passphrase, leaf)
    info = describe_public_key(leaf.public_key())
    reason = key_problem(info, list(policy.accepted_key_types), policy.min_rsa_bits)
    if reason:
        problems.append(Problem("key-type", reason))
    chain_problems, trusted = _chain_problems(certs, policy.trust_anchors)
    problems += chain_problems
    time_problems = _time_problems(certs, now, policy.min_days)
    problems += time_problems
    eku_problems, eku_advisories = _eku_findings(leaf)
    problems += eku_problems
    advisories += eku_advisories
    names = names_from_certificate(leaf)
    leaf_der = leaf.public_bytes(serialization.Encoding.DER)
    # Path validation last, and only when nothing simpler explains a failure already.
    if policy.trust_anchors is not None and not (chain_problems or time_problems or eku_problems):
        pkix = _pkix_problem(certs, policy.trust_anchors, names, now)
        if pkix:
            problems.append(pkix)
            trusted = False
    diff = compare_names(policy.required, names)
    if diff.missing:
        problems.append(
            Problem("names-missing", "the certificate does not cover " + ", ".join(diff.missing))
        )
    return ImportReport(
        problems=tuple(problems),
        advisories=tuple(advisories),
        names=names,
        missing_names=diff.missing,
        extra_names=diff.extra,
        not_before=iso_utc(leaf.not_valid_before_utc),
        not_after=iso_utc(leaf.not_valid_after_utc),
        days_left=(leaf.not_valid_after_utc - now).days,
        fingerprint=_fingerprint(leaf_der),
        spki_sha256=association_data(leaf_der, 1, 1),  # the TLSA 3 1 1 data
        key=info,
        chain=tuple(subject_text(c) for c in certs),
        trusted=trusted,
    )
