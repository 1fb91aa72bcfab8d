"""A small real PKI built with cryptography: root, intermediate, server certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.now(UTC).replace(microsecond=0)
OID_SRV = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.7")
OID_XMPP = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.5")


def make_key(kind: str = "ec", size: int = 256):
    if kind == "ec":
        return ec.generate_private_key({256: ec.SECP256R1(), 384: ec.SECP384R1()}[size])
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(kind)


def srv_name(value: str) -> x509.OtherName:
    data = value.encode("ascii")
    return x509.OtherName(OID_SRV, bytes([0x16, len(data)]) + data)


def xmpp_addr(value: str) -> x509.OtherName:
    data = value.encode("utf-8")
    return x509.OtherName(OID_XMPP, bytes([0x0C, len(data)]) + data)


@dataclass
class Issued:
    cert: x509.Certificate
    key: object

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


def issue(
    cn: str,
    *,
    issuer: Issued | None = None,
    key=None,
    ca: bool = False,
    path_length: int | None = None,
    dns: tuple[str, ...] = (),
    others: tuple[x509.GeneralName, ...] = (),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    eku: tuple[x509.ObjectIdentifier, ...] | None = (
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
    ),
) -> Issued:
    key = key or make_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else name
    issuer_pub = issuer.cert.public_key() if issuer else key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(days=1))
        .not_valid_after(not_after or NOW + timedelta(days=90))
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_pub), critical=False
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    names = [x509.DNSName(d) for d in dns] + list(others)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    algorithm = None if isinstance(signer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return Issued(builder.sign(signer_key, algorithm), key)


@dataclass
class Pki:
    root: Issued
    inter: Issued
    leaf: Issued

    def write(self, folder: Path, *, order: tuple[Issued, ...] | None = None) -> dict[str, Path]:
        """Write cert (leaf), chain (given order, default intermediate), key and the root."""
        paths = {
            "cert": folder / "cert.pem",
            "chain": folder / "chain.pem",
            "key": folder / "key.pem",
            "root": folder / "root.pem",
        }
        paths["cert"].write_bytes(self.leaf.pem())
        chain = order if order is not None else (self.inter,)
        paths["chain"].write_bytes(b"".join(i.pem() for i in chain))
        paths["key"].write_bytes(self.leaf.key_pem())
        paths["key"].chmod(0o600)
        paths["root"].write_bytes(self.root.pem())
        return paths


def make_pki(dns: tuple[str, ...] = ("example.org", "conference.example.org"), **leaf_args) -> Pki:
    root = issue("Test Root", ca=True, not_after=NOW + timedelta(days=3650))
    inter = issue("Test Intermediate", issuer=root, ca=True, not_after=NOW + timedelta(days=1000))
    leaf = issue("example.org", issuer=inter, dns=dns, **leaf_args)
    return Pki(root, inter, leaf)
