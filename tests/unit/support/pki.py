"""The one test PKI, built with cryptography: keys, certificates, a root-intermediate-leaf chain.

``Certs`` says how certificates are issued: around which clock, valid how long, under which
names. ``CERTS`` follows the real clock, as the modules under test do; ``FIXED`` stands at one
date, for the tests that compare printed dates and subjects with literals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
SERVER_EKU = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)
OID_SRV = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.7")
OID_XMPP = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.5")

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def make_key(kind: str = "ec", size: int = 256) -> PrivateKey:
    if kind == "ec":
        return ec.generate_private_key({256: ec.SECP256R1(), 384: ec.SECP384R1()}[size])
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(kind)


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
    return x509.OtherName(OID_SRV, ia5(text))


def xmpp_addr(text: str) -> x509.OtherName:
    return x509.OtherName(OID_XMPP, utf8(text))


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self, passphrase: bytes | None = None) -> bytes:
        algo = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algo
        )


@dataclass(frozen=True)
class Pki:
    """A root, an intermediate under it and a leaf under that; ``files`` once written."""

    certs: Certs
    root: Issued
    intermediate: Issued
    leaf: Issued
    files: dict[str, Path] = field(default_factory=dict)

    def new_leaf(self, cn: str = "leaf", **kwargs: object) -> Issued:
        """Another leaf under the intermediate, for server and client use unless told."""
        kwargs.setdefault("eku", SERVER_EKU)
        return self.certs.issue(cn, issuer=self.intermediate, **kwargs)

    def write(self, folder: Path, *, order: tuple[Issued, ...] | None = None) -> dict[str, Path]:
        """Write cert (leaf), chain (given order, default intermediate), key, root, and two
        trust stores: ``bundle`` (an unrelated root, then ours) and ``cadir`` (a directory
        holding our root and a file that is no certificate)."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "cert": folder / "cert.pem",
            "chain": folder / "chain.pem",
            "key": folder / "key.pem",
            "root": folder / "root.pem",
            "bundle": folder / "bundle.pem",
            "cadir": folder / "cadir",
        }
        paths["cert"].write_bytes(self.leaf.pem())
        chain = order if order is not None else (self.intermediate,)
        paths["chain"].write_bytes(b"".join(i.pem() for i in chain))
        paths["key"].write_bytes(self.leaf.key_pem())
        paths["key"].chmod(0o600)
        paths["root"].write_bytes(self.root.pem())
        other_root = self.certs.issue("Other Root", ca=True)
        paths["bundle"].write_bytes(other_root.pem() + self.root.pem())
        paths["cadir"].mkdir(exist_ok=True)
        (paths["cadir"] / "root.pem").write_bytes(self.root.pem())
        (paths["cadir"] / "README").write_text("not a certificate\n")
        return paths


@dataclass(frozen=True)
class Certs:
    """How certificates are issued: valid from ``now - before`` to ``now + after`` unless told,
    subjects with ``organization`` before the CN, leaves with ``eku`` unless told."""

    now: datetime = NOW
    before: timedelta = DAY
    after: timedelta = 90 * DAY
    organization: str | None = None
    eku: tuple[x509.ObjectIdentifier, ...] | None = SERVER_EKU

    def name(self, cn: str) -> x509.Name:
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if self.organization:
            attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization))
        return x509.Name(attributes)

    def issue(
        self,
        cn: str,
        *,
        issuer: Issued | None = None,
        key: PrivateKey | None = None,
        ca: bool = False,
        path_length: int | None = None,
        dns: tuple[str, ...] = (),
        sans: tuple[x509.GeneralName, ...] | list[x509.GeneralName] | None = (),
        eku: tuple[x509.ObjectIdentifier, ...] | list[x509.ObjectIdentifier] | None = (),
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        aia: bool = False,
        issuer_name: x509.Name | None = None,
    ) -> Issued:
        """A certificate; self-signed when ``issuer`` is None. ``eku=()`` means the default."""
        key = key or make_key()
        signer = issuer.key if issuer else key
        builder = (
            x509.CertificateBuilder()
            .subject_name(self.name(cn))
            .issuer_name(issuer_name or (issuer.cert.subject if issuer else self.name(cn)))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or self.now - self.before)
            .not_valid_after(not_after or self.now + self.after)
            .add_extension(
                x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
        )
        if ca:
            usage = (False, False, False, False, False, True, True, False, False)
        else:
            usage = (True, False, False, False, False, False, False, False, False)
        builder = builder.add_extension(x509.KeyUsage(*usage), critical=True)
        if eku == ():
            eku = None if ca else self.eku
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        names = [x509.DNSName(d) for d in dns] + list(sans or ())
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
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
        algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
        return Issued(builder.sign(signer, algorithm), key)

    def pki(
        self,
        dns: tuple[str, ...] = ("example.org", "conference.example.org"),
        *,
        folder: Path | None = None,
        **leaf_args: object,
    ) -> Pki:
        """Root, intermediate and an ``example.org`` leaf; written to ``folder`` if given."""
        root = self.issue(
            "Test Root", ca=True, not_before=self.now - 3650 * DAY, not_after=self.now + 3650 * DAY
        )
        intermediate = self.issue(
            "Test Intermediate",
            issuer=root,
            ca=True,
            not_before=self.now - 365 * DAY,
            not_after=self.now + 1000 * DAY,
        )
        leaf = self.issue("example.org", issuer=intermediate, dns=dns, **leaf_args)
        pki = Pki(self, root, intermediate, leaf)
        if folder is not None:
            pki.files.update(pki.write(folder))
        return pki


CERTS = Certs()
FIXED = Certs(
    now=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    before=30 * DAY,
    after=60 * DAY,
    organization="Test",
    eku=None,
)
issue = CERTS.issue
make_pki = CERTS.pki
