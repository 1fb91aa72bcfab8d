"""Trust in a certificate chain: trust anchors, who issued whom, validity, path validation.

The mechanisms only; what counts as a problem and how it is reported stays with the callers
(``_certificate.import_check`` lists every problem of an import, ``_x509.check`` reports the
prober's first ``trust_error``).
"""

from __future__ import annotations

import ssl
from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path

from ansible_collections.xmpp.encryption.plugins.module_utils._x509.errors import X509Error
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.read import (
    PEM_CERTIFICATE_MARKER,
    load_pem_certificates,
    spki_der,
)

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
except ImportError:  # decided once, in _common.dependencies
    pass

SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


class TrustStoreError(X509Error):
    """A trust store that cannot be used: missing, unreadable, or without a certificate."""


def _system_store_files() -> list[Path]:
    defaults = ssl.get_default_verify_paths()
    bundles = [Path(c) for c in (defaults.cafile, *SYSTEM_BUNDLES) if c and Path(c).is_file()]
    if bundles:
        return bundles[:1]
    if defaults.capath and Path(defaults.capath).is_dir():
        return sorted(p for p in Path(defaults.capath).iterdir() if p.is_file())
    raise TrustStoreError("no system trust store found; give ca_path")


def _store_files(ca_path: str | None) -> tuple[list[Path], bool]:
    """The files to read, and whether a file without certificates is an error (a named file)."""
    if ca_path is None:
        return _system_store_files(), False
    root = Path(ca_path)
    try:
        if root.is_dir():
            return sorted(p for p in root.iterdir() if p.is_file()), False
        root.stat()
    except OSError as exc:  # a ValueError, reported like any other bad input
        raise TrustStoreError(f"ca_path {ca_path}: cannot read ({exc.strerror})") from exc
    return [root], True


def load_ca_certificates(ca_path: str | None) -> tuple[x509.Certificate, ...]:
    """Trust anchors from a PEM bundle file, a directory of PEM files, or the system store.

    In a directory, files that hold no PEM certificate (hash links to the same files, CRLs,
    notes) are skipped; a bundle named directly must hold certificates. Anchors are
    deduplicated, since bundles and hash-linked directories often repeat a root.
    """
    files, strict = _store_files(ca_path)
    where = ca_path or "the system trust store"
    anchors: list[x509.Certificate] = []
    seen: set[bytes] = set()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            if strict:
                raise TrustStoreError(f"ca_path {ca_path}: cannot read ({exc.strerror})") from exc
            continue
        try:
            loaded = load_pem_certificates(data) if PEM_CERTIFICATE_MARKER in data else []
        except ValueError as exc:
            if strict:
                raise TrustStoreError(
                    f"ca_path {ca_path}: not a PEM certificate bundle ({exc})"
                ) from exc
            continue
        for cert in loaded:
            if cert.tbs_certificate_bytes not in seen:
                seen.add(cert.tbs_certificate_bytes)
                anchors.append(cert)
    if not anchors:
        raise TrustStoreError(f"no certificate found in {where}")
    return tuple(anchors)


# ---------------------------------------------------------------- who issued whom


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s name and key made ``cert`` (name match and signature verify)."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def self_signed(cert: x509.Certificate) -> bool:
    return issued_by(cert, cert)


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def is_trust_anchor(cert: x509.Certificate, anchors: Sequence[x509.Certificate]) -> bool:
    """A trust anchor is a name and a key (RFC 5280 §6.1.1 d): a re-issued root still counts."""
    spki = spki_der(cert)
    return any(a.subject == cert.subject and spki_der(a) == spki for a in anchors)


def by_subject(certs: Sequence[x509.Certificate]) -> dict[x509.Name, list[int]]:
    """Indexes of ``certs`` by subject name: the only candidates for the issuer of a certificate.

    Finding issuers through this index checks signatures only where the names match, instead
    of trying every pair of a chain the server chose.
    """
    index: dict[x509.Name, list[int]] = {}
    for i, cert in enumerate(certs):
        index.setdefault(cert.subject, []).append(i)
    return index


def find_issuer(
    certs: Sequence[x509.Certificate],
    cert: x509.Certificate,
    skip: Collection[int] = (),
    *,
    index: dict[x509.Name, list[int]] | None = None,
) -> int | None:
    """Index of the first certificate in ``certs`` (outside ``skip``) that issued ``cert``.

    ``index`` is ``by_subject(certs)``, for a caller that looks up several issuers.
    """
    candidates = (by_subject(certs) if index is None else index).get(cert.issuer, ())
    return next((i for i in candidates if i not in skip and issued_by(cert, certs[i])), None)


def find_leaf(certs: Sequence[x509.Certificate]) -> int:
    """Index of the end-entity: the one certificate in the list that issues none of the others.

    When that is ambiguous (unrelated certificates, a single one) the first is the leaf, as a
    TLS client would take it.
    """
    if len(certs) < 2:
        return 0
    index = by_subject(certs)
    issuers_of_others: set[int] = set()
    for i, cert in enumerate(certs):
        for j in index.get(cert.issuer, ()):
            # A certificate known to issue another needs no second signature check.
            if j != i and j not in issuers_of_others and issued_by(cert, certs[j]):
                issuers_of_others.add(j)
    ends = [i for i in range(len(certs)) if i not in issuers_of_others]
    return ends[0] if len(ends) == 1 else 0


def issuer_path(certs: Sequence[x509.Certificate], leaf: int) -> list[int]:
    """Indexes of the path leaf → issuer → ... through ``certs``, up to a self-signed one."""
    index = by_subject(certs)
    path = [leaf]
    while not self_signed(certs[path[-1]]):
        nxt = find_issuer(certs, certs[path[-1]], skip=path, index=index)
        if nxt is None:
            break
        path.append(nxt)
    return path


def distinct_issuers(certs: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """``certs`` with one certificate per subject name and key, the first of each kept.

    Certificates with the same name and key issue the same certificates, so a path builder
    could take each of them at each step: cryptography's (46) tries every such path up to
    its depth limit, and four copies of one self-issued CA certificate cost it 46 s. With one
    per name and key, every certificate has at most one issuer among them.
    """
    seen: set[tuple[x509.Name, bytes]] = set()
    kept: list[x509.Certificate] = []
    for cert in certs:
        try:
            key = (cert.subject, spki_der(cert))
        except (ValueError, UnsupportedAlgorithm):  # a key nothing can verify with
            kept.append(cert)
            continue
        if key not in seen:
            seen.add(key)
            kept.append(cert)
    return kept


def validity_problem(cert: x509.Certificate, now: datetime) -> str | None:
    """``expired`` or ``not-yet-valid`` at ``now``; notAfter itself is still valid (RFC 5280)."""
    if now > cert.not_valid_after_utc:
        return "expired"
    if now < cert.not_valid_before_utc:
        return "not-yet-valid"
    return None


# ---------------------------------------------------------------- path validation


def pkix_failure(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    now: datetime,
    *,
    server_name: str | None = None,
) -> str | None:
    """RFC 5280 path validation by cryptography: None when valid, the verifier's message if not.

    With ``server_name`` the Web PKI server profile applies in full, the name included. Without
    it the path is validated for no name: an XMPP certificate may be valid only through an
    SRV-ID or XmppAddr, which cryptography cannot check. Its client verifier with the
    end-entity policy ``permit_all`` then asks nothing of the leaf's extensions (clientAuth,
    SAN), which callers check on their own; CA certificates keep the full Web PKI checks.
    """
    from cryptography.x509 import verification

    intermediates = distinct_issuers(intermediates)
    builder = verification.PolicyBuilder().store(verification.Store(list(anchors))).time(now)
    try:
        if server_name is not None:
            builder.build_server_verifier(x509.DNSName(server_name)).verify(
                leaf, list(intermediates)
            )
        else:
            builder.extension_policies(
                ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=verification.ExtensionPolicy.permit_all(),
            ).build_client_verifier().verify(leaf, list(intermediates))
    except verification.VerificationError as exc:
        return str(exc)
    return None
