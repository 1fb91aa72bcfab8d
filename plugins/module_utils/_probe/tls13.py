"""Just enough of the TLS 1.3 key schedule to read the server's encrypted first flight.

In TLS 1.3 the certificate travels encrypted under the handshake traffic keys, and
Python 3.11's ssl module cannot hand back the chain the server sent. The client side of
the key exchange is ours (the key shares in our ClientHello), so the handshake secret can
be computed (RFC 8446 §7.1) and EncryptedExtensions, CertificateRequest and Certificate
decrypted. The handshake is never finished: the probe closes after the Certificate.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    HAS_CRYPTOGRAPHY,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import ProbeError
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_wire import (
    CERTIFICATE,
    CERTIFICATE_REQUEST,
    ENCRYPTED_EXTENSIONS,
    ClientHello,
    ServerFlight,
    ServerHello,
    TlsReader,
    parse_certificate,
)

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
    from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
except ImportError:  # decided once, in _common.dependencies
    pass

# TLS 1.3 suite -> (hash, key length, AEAD name).
_SUITE_PARAMS: dict[int, tuple[str, int, str]] = {
    0x1301: ("sha256", 16, "gcm"),
    0x1302: ("sha384", 32, "gcm"),
    0x1303: ("sha256", 32, "chacha"),
    0x1304: ("sha256", 16, "ccm"),
    0x1305: ("sha256", 16, "ccm8"),
}


def hkdf_extract(hash_name: str, salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hash_name).digest()


def hkdf_expand_label(
    hash_name: str, secret: bytes, label: str, context: bytes, length: int
) -> bytes:
    full = b"tls13 " + label.encode()
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), hash_name).digest()
        out += block
        counter += 1
    return out[:length]


def server_handshake_secret(suite: int, shared: bytes, transcript: bytes) -> bytes:
    """server_handshake_traffic_secret for ClientHello..ServerHello (no PSK)."""
    hash_name = _SUITE_PARAMS[suite][0]
    size = hashlib.new(hash_name).digest_size
    early = hkdf_extract(hash_name, bytes(size), bytes(size))
    empty_hash = hashlib.new(hash_name, b"").digest()
    derived = hkdf_expand_label(hash_name, early, "derived", empty_hash, size)
    handshake = hkdf_extract(hash_name, derived, shared)
    digest = hashlib.new(hash_name, transcript).digest()
    return hkdf_expand_label(hash_name, handshake, "s hs traffic", digest, size)


def shared_secret(private_key: Any, group: int, peer: bytes) -> bytes:
    """The (EC)DHE shared secret for our key share and the server's."""
    try:
        if group == 0x001D:
            return private_key.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
        if group == 0x001E:
            return private_key.exchange(x448.X448PublicKey.from_public_bytes(peer))
        curve = private_key.curve
        peer_key = ec.EllipticCurvePublicKey.from_encoded_point(curve, peer)
        return private_key.exchange(ec.ECDH(), peer_key)
    except ValueError as exc:
        raise ProbeError("tls-protocol", f"invalid server key share: {exc}") from exc


class RecordDecryptor:
    """Decrypts the server's handshake records (RFC 8446 §5.2-5.3)."""

    def __init__(self, suite: int, secret: bytes) -> None:
        hash_name, key_len, aead = _SUITE_PARAMS[suite]
        key = hkdf_expand_label(hash_name, secret, "key", b"", key_len)
        self.iv = hkdf_expand_label(hash_name, secret, "iv", b"", 12)
        self.aead: Any = {
            "gcm": lambda: AESGCM(key),
            "chacha": lambda: ChaCha20Poly1305(key),
            "ccm": lambda: AESCCM(key),
            "ccm8": lambda: AESCCM(key, tag_length=8),
        }[aead]()
        self.sequence = 0

    def __call__(self, header: bytes, payload: bytes) -> tuple[int, bytes]:
        nonce = bytes(
            a ^ b for a, b in zip(self.iv, self.sequence.to_bytes(12, "big"), strict=True)
        )
        self.sequence += 1
        try:
            inner = self.aead.decrypt(nonce, payload, header)
        except InvalidTag as exc:
            raise ProbeError("tls-protocol", "handshake record failed to decrypt") from exc
        stripped = inner.rstrip(b"\x00")
        if not stripped:
            raise ProbeError("tls-protocol", "encrypted record without a content type")
        return stripped[-1], stripped[:-1]


async def read_encrypted_flight(
    tls: TlsReader, hello: ClientHello, sh: ServerHello, sh_raw: bytes
) -> ServerFlight:
    """Continue after a TLS 1.3 ServerHello: decrypt up to and including the Certificate."""
    if not HAS_CRYPTOGRAPHY:
        raise RuntimeError("the cryptography library is needed to read a TLS 1.3 certificate")
    if sh.suite not in _SUITE_PARAMS or sh.key_share is None or sh.selected_group is None:
        raise ProbeError("tls-protocol", "TLS 1.3 ServerHello without a usable key share")
    if tls.pending():
        raise ProbeError("tls-protocol", "handshake data in the ServerHello record after it")
    key = hello.key_shares[sh.selected_group]
    shared = shared_secret(key, sh.selected_group, sh.key_share)
    secret = server_handshake_secret(sh.suite, shared, hello.message + sh_raw)
    tls.decryptor = RecordDecryptor(sh.suite, secret)
    cert_request = False
    mtype, _body, _raw = await tls.message()
    if mtype != ENCRYPTED_EXTENSIONS:
        raise ProbeError("tls-protocol", f"message {mtype} instead of EncryptedExtensions")
    while True:
        mtype, body, _raw = await tls.message()
        if mtype == CERTIFICATE_REQUEST:
            cert_request = True
        elif mtype == CERTIFICATE:
            chain = parse_certificate(body, tls13=True)
            return ServerFlight(sh, sh_raw, chain, None, cert_request, complete=True)
        else:
            raise ProbeError("tls-protocol", f"handshake message {mtype} before the Certificate")
