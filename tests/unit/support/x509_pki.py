"""A small test PKI built with cryptography: root, intermediate, and leaves of every kind."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def ia5(text: str) -> bytes:
    raw = text.encode("ascii")
    assert len(raw) < 128
    return bytes([0x16, len(raw)]) + raw


def utf8(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) < 128:
        return bytes([0x0C, len(raw)]) + raw
    return bytes([0x0C, 0x81, len(raw)]) + raw


def srv_name(text: str) -> x509.OtherName:
    return x509.OtherName(x509.ObjectIdentifier("1.3.6.1.5.5.7.8.7"), ia5(text))


def xmpp_addr(text: str) -> x509.OtherName:
    return x509.OtherName(x509.ObjectIdentifier("1.3.6.1.5.5.7.8.5"), utf8(text))


def name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: object

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def issue(
    cn: str,
    *,
    issuer: Issued | None = None,
    key: object | None = None,
    ca: bool = False,
    sans: list[x509.GeneralName] | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    not_before: dt.datetime = NOW - 30 * DAY,
    not_after: dt.datetime = NOW + 60 * DAY,
    aia: bool = False,
    issuer_name: x509.Name | None = None,
) -> Issued:
    """A certificate; self-signed when ``issuer`` is None."""
    key = key or ec_key()
    sign_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(issuer_name or (issuer.cert.subject if issuer else name(cn)))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if aia:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier("http://ca.invalid/intermediate.der"),
                    )
                ]
            ),
            critical=False,
        )
    algorithm = None if isinstance(sign_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return Issued(builder.sign(sign_key, algorithm), key)


SERVER_EKU = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]


@dataclass(frozen=True)
class Pki:
    root: Issued
    intermediate: Issued
    other_root: Issued
    ca_file: Path
    ca_dir: Path

    def leaf(self, cn: str = "leaf", **kwargs: object) -> Issued:
        kwargs.setdefault("eku", SERVER_EKU)
        return issue(cn, issuer=self.intermediate, **kwargs)


def build_pki(tmp: Path) -> Pki:
    root = issue("Test Root", ca=True, not_before=NOW - 3650 * DAY, not_after=NOW + 3650 * DAY)
    intermediate = issue(
        "Test Intermediate",
        issuer=root,
        ca=True,
        not_before=NOW - 365 * DAY,
        not_after=NOW + 1000 * DAY,
    )
    other_root = issue("Other Root", ca=True)
    ca_file = tmp / "bundle.pem"
    ca_file.write_bytes(other_root.pem + root.pem)
    ca_dir = tmp / "cadir"
    ca_dir.mkdir()
    (ca_dir / "root.pem").write_bytes(root.pem)
    (ca_dir / "README").write_text("not a certificate\n")
    return Pki(root, intermediate, other_root, ca_file, ca_dir)


def rsa_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)
