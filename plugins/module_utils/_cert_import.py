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

from ansible_collections.xmpp.encryption.plugins.module_utils._cert_keys import (
    KeyInfo,
    describe_public_key,
    key_problem,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._cert_names import (
    OID_SRV_NAME,
    OID_XMPP_ADDR,
    CertNameError,
    NameSet,
    compare_names,
    normalize_name,
    normalize_srv_id,
    normalize_xmpp_addr,
)

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_CRYPTOGRAPHY = False

_DER_IA5, _DER_UTF8 = 0x16, 0x0C
_PEM_SUFFIXES = (".pem", ".crt", ".cer")


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


# --- reading -----------------------------------------------------------------------------


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, in file order (ValueError if there is none)."""
    certs = x509.load_pem_x509_certificates(data)
    if not certs:  # pragma: no cover - cryptography raises on an empty bundle itself
        raise ValueError("no certificate found")
    return certs


def load_trust_anchors(ca_path: str) -> tuple[x509.Certificate, ...]:
    """Trust anchors from a PEM bundle file, or from every *.pem/*.crt/*.cer in a directory."""
    path = Path(ca_path)
    anchors: list[x509.Certificate] = []
    try:
        files = (
            sorted(p for p in path.iterdir() if p.suffix in _PEM_SUFFIXES)
            if path.is_dir()
            else [path]
        )
        for file in files:
            anchors.extend(load_certificates(file.read_bytes()))
    except OSError as exc:  # reported like any other bad input: a ValueError
        raise ValueError(f"ca_path {ca_path}: cannot read ({exc.strerror})") from exc
    except ValueError as exc:
        raise ValueError(f"ca_path {ca_path}: not a PEM certificate bundle ({exc})") from exc
    if not anchors:
        raise ValueError(f"no certificate found in {ca_path}")
    return tuple(anchors)


def _der_string(value: bytes, tag: int) -> str | None:
    """The text of a DER string of type ``tag`` (short or long length form), else None."""
    if len(value) < 2 or value[0] != tag:
        return None
    length, offset = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 2 or len(value) < 2 + count:
            return None
        length, offset = int.from_bytes(value[2 : 2 + count], "big"), 2 + count
    if len(value) != offset + length:
        return None
    try:
        return value[offset:].decode("ascii" if tag == _DER_IA5 else "utf-8")
    except UnicodeDecodeError:
        return None


def _normal_or_raw(func: Callable[[str, str], str], raw: str) -> str:
    try:
        return func(raw, "certificate")
    except CertNameError:
        return raw.lower()  # kept so that it shows up as an extra name, never as a match


def names_from_certificate(cert: x509.Certificate) -> NameSet:
    """DNS-IDs, SRV-IDs and XmppAddrs of ``cert`` (never the subject CN: RFC 9525)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return NameSet()
    dns = [
        _normal_or_raw(lambda n, s: normalize_name(n, s, allow_wildcard=True), n)
        for n in san.get_values_for_type(x509.DNSName)
    ]
    srv: list[str] = []
    xmpp: list[str] = []
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id.dotted_string == OID_SRV_NAME:
            text = _der_string(other.value, _DER_IA5)
            if text is not None:
                srv.append(_normal_or_raw(normalize_srv_id, text))
        elif other.type_id.dotted_string == OID_XMPP_ADDR:
            text = _der_string(other.value, _DER_UTF8)
            if text is not None:
                xmpp.append(_normal_or_raw(normalize_xmpp_addr, text))
    return NameSet(tuple(dict.fromkeys(dns)), tuple(dict.fromkeys(srv)), tuple(dict.fromkeys(xmpp)))


# --- chain -------------------------------------------------------------------------------


def _short(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s name and key made ``cert`` (name match and signature verify)."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _is_anchor(cert: x509.Certificate, anchors: Sequence[x509.Certificate]) -> bool:
    spki = _spki(cert)
    return any(a.subject == cert.subject and _spki(a) == spki for a in anchors)


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _link_problem(certs: Sequence[x509.Certificate], i: int) -> Problem:
    """Why ``certs[i + 1]`` is not the issuer of ``certs[i]``."""
    child, parent = certs[i], certs[i + 1]
    where = f"certificate {i + 1} ({_short(child)})"
    elsewhere = [j for j, c in enumerate(certs) if j != i and issued_by(child, c)]
    if elsewhere:
        return Problem(
            "chain-order",
            f"{where} is followed by {_short(parent)}, but its issuer is certificate "
            f"{elsewhere[0] + 1} ({_short(certs[elsewhere[0]])}): put each issuer right after "
            "the certificate it issued",
        )
    if child.issuer == parent.subject:
        return Problem(
            "chain-signature",
            f"{where} names {_short(parent)} as issuer, but the signature "
            "does not verify with that certificate's key",
        )
    return Problem(
        "chain-incomplete",
        f"{where} is issued by {child.issuer.rfc4514_string()}, which is missing from the "
        f"chain (found {_short(parent)} next)",
    )


def _chain_problems(
    certs: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate] | None
) -> tuple[list[Problem], bool | None]:
    problems: list[Problem] = []
    if _is_ca(certs[0]) and any(not _is_ca(c) for c in certs[1:]):
        problems.append(
            Problem("chain-order", "the first certificate is a CA; the server's must come first")
        )
    for i in range(len(certs) - 1):
        if not issued_by(certs[i], certs[i + 1]):
            problems.append(_link_problem(certs, i))
    for i, cert in enumerate(certs[1:], start=2):
        if not _is_ca(cert):
            problems.append(
                Problem("chain-not-ca", f"certificate {i} ({_short(cert)}) is not a CA certificate")
            )
    last = certs[-1]
    if anchors is None:
        return problems, None
    if issued_by(last, last):  # the chain carries its root: it must be one of ours
        if _is_anchor(last, anchors):
            return problems, True
        problems.append(
            Problem("chain-untrusted", f"the chain ends at {_short(last)}, not a trust anchor")
        )
        return problems, False
    if any(issued_by(last, a) for a in anchors):
        return problems, True
    problems.append(
        Problem(
            "chain-incomplete",
            f"the chain ends at {_short(last)}, issued by {last.issuer.rfc4514_string()}, "
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
    """Full RFC 5280 path validation by cryptography, once the simple checks passed.

    It is asked about a name the leaf does carry, so only path faults (constraints, key
    usage, algorithms) can make it fail here; names are checked separately.
    """
    from cryptography.x509 import verification

    plain = [n for n in names.dns_ids if "*" not in n]
    if not plain:
        return None
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store(list(anchors)))
        .time(now)
        .build_server_verifier(x509.DNSName(plain[0]))
    )
    intermediates = [c for c in certs[1:] if not _is_anchor(c, anchors)]
    try:
        verifier.verify(certs[0], intermediates)
    except verification.VerificationError as exc:
        return Problem("chain-untrusted", f"path validation failed: {exc}")
    return None


# --- the check ---------------------------------------------------------------------------


def _time_problems(
    certs: Sequence[x509.Certificate], now: datetime, min_days: int
) -> list[Problem]:
    leaf = certs[0]
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    problems: list[Problem] = []
    if start > now:
        problems.append(Problem("not-yet-valid", f"the certificate is valid from {_iso(start)}"))
    if end <= now:
        problems.append(Problem("expired", f"the certificate expired on {_iso(end)}"))
    elif (end - now).days < min_days:
        days = (end - now).days
        problems.append(
            Problem(
                "expires-soon",
                f"the certificate expires on {_iso(end)}, {days} days from now "
                f"(at least {min_days} wanted)",
            )
        )
    for i, cert in enumerate(certs[1:], start=2):
        if cert.not_valid_after_utc <= now or cert.not_valid_before_utc > now:
            problems.append(
                Problem("chain-expired", f"certificate {i} ({_short(cert)}) is not valid now")
            )
    return problems


def _eku_findings(leaf: x509.Certificate) -> tuple[list[Problem], list[Problem]]:
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return [], []  # no EKU means any use
    problems: list[Problem] = []
    advisories: list[Problem] = []
    if ExtendedKeyUsageOID.SERVER_AUTH not in usages:
        problems.append(
            Problem("eku", "the certificate is not allowed for TLS servers (serverAuth)")
        )
    if ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        advisories.append(
            Problem(
                "no-client-auth",
                "no clientAuth usage: peers that check it will not accept this certificate for "
                "outgoing s2s authentication (XEP-0178)",
            )
        )
    return problems, advisories


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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
    if public != _spki(leaf):
        return [Problem("key-mismatch", "the private key does not belong to the certificate")]
    return []


def _read_certs(source: Source, code: str) -> tuple[list[x509.Certificate], list[Problem]]:
    try:
        return load_certificates(source.read()), []
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
        not_before=_iso(leaf.not_valid_before_utc),
        not_after=_iso(leaf.not_valid_after_utc),
        days_left=(leaf.not_valid_after_utc - now).days,
        fingerprint=_fingerprint(leaf.public_bytes(serialization.Encoding.DER)),
        spki_sha256=hashlib.sha256(_spki(leaf)).hexdigest(),
        key=info,
        chain=tuple(_short(c) for c in certs),
        trusted=trusted,
    )
