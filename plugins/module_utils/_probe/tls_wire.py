"""TLS on the wire: ClientHello bytes out, the server's records and handshake messages in.

Written by hand so any version (SSLv3 to TLS 1.3) and any list of suites or groups can be
offered whatever the local OpenSSL allows. The reader trusts nothing: every length is
checked, every read is bounded by a deadline and a byte cap, and a ServerHello that picks
something that was not offered is refused (``tls-protocol``) rather than believed.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    HAS_CRYPTOGRAPHY,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Deadline,
    ProbeError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import (
    ALERTS,
    GROUPS,
    SIGNATURE_SCHEMES,
    SUITES,
    VERSION_NAMES,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.domain import (
    domain_to_ascii,
    is_ip_address,
)

try:
    from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
except ImportError:  # decided once, in _common.dependencies
    pass

# Record content types and handshake message types.
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA = 20, 21, 22, 23
SERVER_HELLO, CERTIFICATE, SERVER_KEY_EXCHANGE = 2, 11, 12
CERTIFICATE_REQUEST, SERVER_HELLO_DONE, ENCRYPTED_EXTENSIONS = 13, 14, 8

# SHA-256("HelloRetryRequest"): a ServerHello with this random is a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
# Last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2 / older (RFC 8446 4.1.3).
DOWNGRADE_SENTINELS = (b"DOWNGRD\x01", b"DOWNGRD\x00")

MAX_RECORD = 2**14 + 2048  # TLSCiphertext limit; anything larger is refused
MAX_MESSAGE = 2**17  # one handshake message (a long certificate chain fits)
MAX_FLIGHT_BYTES = 2**18  # everything read on one connection

DEFAULT_SIGALGS: tuple[int, ...] = tuple(SIGNATURE_SCHEMES)
DEFAULT_GROUPS: tuple[int, ...] = (0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x0100, 0x0101)
# RFC 7685: hellos of 256-511 bytes hang some load balancers (F5); pad those to 512.
PAD_FROM, PAD_TO = 256, 512

# Extension code points.
EXT_SNI, EXT_GROUPS, EXT_POINT_FORMATS, EXT_SIGALGS, EXT_ALPN = 0, 10, 11, 13, 16
EXT_PADDING, EXT_EMS, EXT_SUPPORTED_VERSIONS, EXT_PSK_MODES = 21, 23, 43, 45
EXT_KEY_SHARE, EXT_RENEGOTIATION_INFO = 51, 0xFF01


def _u8(data: bytes) -> bytes:
    return bytes([len(data)]) + data


def _u16(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


def _u24(data: bytes) -> bytes:
    return len(data).to_bytes(3, "big") + data


def _codes(values: Sequence[int]) -> bytes:
    return struct.pack(f">{len(values)}H", *values)  # up to 128 suites: no loop in Python


@dataclass(frozen=True)
class ClientHello:
    """A ClientHello as sent, with what it offered (to check the answer) and its secrets."""

    record: bytes  # the bytes on the wire (one or more records)
    message: bytes  # the handshake message, for the TLS 1.3 transcript
    versions: frozenset[int]  # versions the server may pick
    suites: tuple[int, ...]
    groups: tuple[int, ...]
    compression: tuple[int, ...]
    alpn: tuple[str, ...]
    key_shares: dict[int, Any] = field(default_factory=dict)  # group -> private key


def _key_share(group: int) -> tuple[Any, bytes]:
    """A fresh private key and its wire encoding for a key_share entry."""
    if not HAS_CRYPTOGRAPHY:
        raise RuntimeError("the cryptography library is needed to offer TLS 1.3 key shares")
    if group == 0x001D:
        key: Any = x25519.X25519PrivateKey.generate()
        return key, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if group == 0x001E:
        key = x448.X448PrivateKey.generate()
        return key, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    curves = {0x0017: ec.SECP256R1, 0x0018: ec.SECP384R1, 0x0019: ec.SECP521R1}
    if group not in curves:
        raise ValueError(f"no key share for group {group:#06x}")
    key = ec.generate_private_key(curves[group]())
    return key, key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def build_client_hello(
    *,
    version: int,
    suites: Sequence[int],
    tls13_versions: Sequence[int] = (),
    groups: Sequence[int] = DEFAULT_GROUPS,
    key_share_groups: Sequence[int] = (),
    sigalgs: Sequence[int] = DEFAULT_SIGALGS,
    sni: str | None = None,
    alpn: Sequence[str] = (),
    compression: Sequence[int] = (0,),
    record_version: int | None = None,
    extensions: bool = True,
) -> ClientHello:
    """Build a ClientHello.

    ``version`` is the highest version offered the pre-1.3 way (legacy_version); with
    ``tls13_versions`` (e.g. 1.3, 1.2, 1.1, 1.0) a supported_versions extension lists them and
    legacy_version is TLS 1.2, as RFC 8446 requires. ``compression`` (1 = DEFLATE) must be
    only null when TLS 1.3 is offered. ``record_version`` defaults to TLS 1.0 (SSLv3 for an
    SSLv3 hello), which old servers tolerate best.
    """
    if tls13_versions:
        legacy, offered = 0x0303, frozenset(tls13_versions)
    else:
        legacy = version
        offered = frozenset(v for v in VERSION_NAMES if 0x0300 <= v <= version)
    shares: dict[int, Any] = {}
    exts: list[bytes] = []
    if extensions:
        if sni and not is_ip_address(sni):  # RFC 6066 §3: no IP address in the SNI
            name = domain_to_ascii(sni).encode("ascii")
            exts.append(_ext(EXT_SNI, _u16(b"\x00" + _u16(name))))
        if groups:
            exts.append(_ext(EXT_GROUPS, _u16(_codes(groups))))
        exts.append(_ext(EXT_POINT_FORMATS, _u8(b"\x00")))
        if sigalgs:
            exts.append(_ext(EXT_SIGALGS, _u16(_codes(sigalgs))))
        if alpn:
            exts.append(_ext(EXT_ALPN, _u16(b"".join(_u8(p.encode()) for p in alpn))))
        exts.append(_ext(EXT_EMS, b""))
        exts.append(_ext(EXT_RENEGOTIATION_INFO, b"\x00"))
        if tls13_versions:
            exts.append(_ext(EXT_SUPPORTED_VERSIONS, _u8(_codes(tls13_versions))))
            exts.append(_ext(EXT_PSK_MODES, b"\x01\x01"))
            entries = b""
            for group in key_share_groups:
                shares[group], public = _key_share(group)
                entries += group.to_bytes(2, "big") + _u16(public)
            exts.append(_ext(EXT_KEY_SHARE, _u16(entries)))
    session_id = os.urandom(32) if tls13_versions else b""  # RFC 8446 D.4 middlebox mode
    body = (
        legacy.to_bytes(2, "big")
        + os.urandom(32)
        + _u8(session_id)
        + _u16(_codes(suites))
        + _u8(bytes(compression))
    )
    ext_block = b"".join(exts)
    if extensions:
        length = 4 + len(body) + 2 + len(ext_block)
        if PAD_FROM <= length < PAD_TO:
            ext_block += _ext(EXT_PADDING, bytes(max(0, PAD_TO - length - 4)))
        body += _u16(ext_block)
    message = b"\x01" + _u24(body)
    if record_version is None:
        record_version = 0x0300 if legacy == 0x0300 and not tls13_versions else 0x0301
    record = bytes([HANDSHAKE]) + record_version.to_bytes(2, "big") + _u16(message)
    return ClientHello(
        record=record,
        message=message,
        versions=offered,
        suites=tuple(suites),
        groups=tuple(groups),
        compression=tuple(compression),
        alpn=tuple(alpn),
        key_shares=shares,
    )


def _ext(code: int, data: bytes) -> bytes:
    return code.to_bytes(2, "big") + _u16(data)


class _Cursor:
    """Reads length-prefixed fields from a message; any overrun is a protocol error."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ProbeError("tls-protocol", f"truncated {self.what}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vec(self, n: int) -> bytes:
        return self.take(self.int(n))

    def done(self) -> bool:
        return self.pos >= len(self.data)


@dataclass(frozen=True)
class ServerHello:
    version: int  # negotiated (from supported_versions when present)
    legacy_version: int
    random: bytes
    suite: int
    compression: int
    extensions: dict[int, bytes]
    hello_retry: bool
    selected_group: int | None  # key_share group (ServerHello) or requested group (HRR)
    key_share: bytes | None  # the server's public key share (TLS 1.3 ServerHello)
    alpn: str | None

    @property
    def version_name(self) -> str:
        return VERSION_NAMES.get(self.version, f"{self.version:#06x}")


def parse_server_hello(body: bytes) -> ServerHello:
    cur = _Cursor(body, "ServerHello")
    legacy = cur.int(2)
    random = cur.take(32)
    cur.vec(1)  # session id
    suite, compression = cur.int(2), cur.int(1)
    extensions: dict[int, bytes] = {}
    if not cur.done():
        ext_cur = _Cursor(cur.vec(2), "ServerHello extensions")
        while not ext_cur.done():
            code = ext_cur.int(2)
            if code in extensions:
                raise ProbeError("tls-protocol", f"duplicate extension {code} in ServerHello")
            extensions[code] = ext_cur.vec(2)
    version = legacy
    if EXT_SUPPORTED_VERSIONS in extensions:
        version = _Cursor(extensions[EXT_SUPPORTED_VERSIONS], "supported_versions").int(2)
    hrr = random == HRR_RANDOM
    group: int | None = None
    share: bytes | None = None
    if EXT_KEY_SHARE in extensions:
        ks = _Cursor(extensions[EXT_KEY_SHARE], "key_share")
        group = ks.int(2)
        if not hrr:
            share = ks.vec(2)
    alpn: str | None = None
    if EXT_ALPN in extensions:
        names = _Cursor(_Cursor(extensions[EXT_ALPN], "ALPN").vec(2), "ALPN list")
        alpn = names.vec(1).decode("ascii", "replace")
    return ServerHello(
        version, legacy, random, suite, compression, extensions, hrr, group, share, alpn
    )


def downgrade_signalled(hello: ClientHello, sh: ServerHello) -> bool:
    """The server chose a lower version than offered and its random says it was forced down.

    RFC 8446 section 4.1.3: a server that could speak a higher version ends its random in a
    sentinel when it negotiates TLS 1.2 or lower, so that a client which offered the higher
    version sees that something in between stripped it. Answering an offer that topped at
    the chosen version, the sentinel is no sign of anything.
    """
    return sh.version < max(hello.versions) and sh.random[-8:] in DOWNGRADE_SENTINELS


def check_server_hello(hello: ClientHello, sh: ServerHello) -> None:
    """Refuse an answer that picks what was not offered (HOSTILE 15: report, don't believe)."""
    problems = []
    if sh.version not in hello.versions:
        problems.append(f"version {sh.version_name}")
    if sh.version == 0x0304 and sh.legacy_version != 0x0303:
        problems.append(f"TLS 1.3 legacy_version {sh.legacy_version:#06x}")
    if sh.suite not in hello.suites:
        name = SUITES[sh.suite].name if sh.suite in SUITES else f"{sh.suite:#06x}"
        problems.append(f"cipher suite {name}")
    elif sh.version in VERSION_NAMES and VERSION_NAMES[sh.version] not in (
        SUITES[sh.suite].versions if sh.suite in SUITES else ()
    ):
        problems.append(f"suite {SUITES[sh.suite].name} with {sh.version_name}")
    if sh.compression not in hello.compression:
        problems.append(f"compression method {sh.compression}")
    if sh.selected_group is not None and sh.version == 0x0304:
        name = GROUPS[sh.selected_group].name if sh.selected_group in GROUPS else "?"
        if sh.selected_group not in hello.groups:
            problems.append(f"group {name} ({sh.selected_group:#06x})")
        elif sh.hello_retry and sh.selected_group in hello.key_shares:
            problems.append(f"retry for group {name} that already had a key share")
        elif not sh.hello_retry and sh.selected_group not in hello.key_shares:
            problems.append(f"key share for group {name} that had none")
    if sh.alpn is not None and sh.alpn not in hello.alpn:
        problems.append(f"ALPN protocol {sh.alpn!r}")
    if problems:
        raise ProbeError(
            "tls-protocol", "server picked what was not offered: " + ", ".join(problems)
        )


def parse_certificate(body: bytes, tls13: bool = False) -> tuple[bytes, ...]:
    """The DER certificates of a Certificate message, leaf first, as sent."""
    cur = _Cursor(body, "Certificate")
    if tls13:
        cur.vec(1)  # certificate_request_context
    listing = _Cursor(cur.vec(3), "certificate list")
    chain = []
    while not listing.done():
        chain.append(listing.vec(3))
        if tls13:
            listing.vec(2)  # per-certificate extensions (OCSP, SCT)
    return tuple(chain)


@dataclass(frozen=True)
class KeyExchange:
    kind: str  # "ec" (named curve), "ff" (finite-field DH), "rsa" (export RSA key)
    group: int | None  # named curve code point (ec)
    bits: int  # curve size or prime / modulus bits


def parse_server_key_exchange(body: bytes, kex: str) -> KeyExchange | None:
    """The group or DH prime size in a TLS 1.0-1.2 ServerKeyExchange for the suite's kex."""
    cur = _Cursor(body, "ServerKeyExchange")
    if kex.endswith("PSK"):
        cur.vec(2)  # psk_identity_hint
    if kex in ("ECDHE", "ECDH_anon", "ECDHE_PSK"):
        if cur.int(1) != 3:  # only named curves are in use; explicit curves are refused
            raise ProbeError("tls-protocol", "ServerKeyExchange without a named curve")
        group = cur.int(2)
        bits = GROUPS[group].bits if group in GROUPS else 0
        return KeyExchange("ec", group, bits)
    if kex in ("DHE", "DH_anon", "DHE_PSK"):
        prime = int.from_bytes(cur.vec(2), "big")
        return KeyExchange("ff", None, prime.bit_length())
    if kex == "RSA":  # export suites: a temporary RSA key
        modulus = int.from_bytes(cur.vec(2), "big")
        return KeyExchange("rsa", None, modulus.bit_length())
    return None


def describe_alert(payload: bytes) -> str:
    if len(payload) < 2:
        return "malformed alert"
    level = {1: "warning", 2: "fatal"}.get(payload[0], f"level {payload[0]}")
    return f"{level} {ALERTS.get(payload[1], str(payload[1]))}"


# A decryptor turns one protected record (header, payload) into (content type, plaintext).
Decryptor = Callable[[bytes, bytes], tuple[int, bytes]]


class TlsReader:
    """Reads records and reassembles handshake messages, within a deadline and a byte cap.

    Plaintext until ``decryptor`` is set (TLS 1.3 after ServerHello); then application-data
    records are decrypted and ChangeCipherSpec records (middlebox compatibility) skipped.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        deadline: Deadline,
        phase_timeout: float | None = None,
        cap: int = MAX_FLIGHT_BYTES,
    ) -> None:
        self.reader, self.deadline, self.phase_timeout = reader, deadline, phase_timeout
        self.cap, self.bytes_read = cap, 0
        self.decryptor: Decryptor | None = None
        self._buffer = b""
        # Received and not yet taken: one read takes whatever arrived, often several records,
        # instead of one bounded await for each record's header and another for its body.
        self._received = bytearray()
        self.alert: str | None = None

    async def _read(self, n: int) -> bytes:
        """The next ``n`` bytes, within one phase timeout however they trickle in."""
        if self.bytes_read + n > self.cap:
            raise ProbeError("byte-cap", f"more than {self.cap} bytes in the TLS handshake")
        if len(self._received) < n:
            await self._receive(n)
        data = bytes(self._received[:n])
        del self._received[:n]
        self.bytes_read += n
        return data

    async def _receive(self, n: int) -> None:
        end = None if self.phase_timeout is None else time.monotonic() + self.phase_timeout
        while len(self._received) < n:
            timeout = None if end is None else end - time.monotonic()
            room = self.cap - self.bytes_read - len(self._received)  # never read past the cap
            try:
                data = await self.deadline.run(self.reader.read(room), "TLS handshake", timeout)
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise ProbeError(
                    "reset", f"connection reset after {self.bytes_read} bytes"
                ) from exc
            if not data:
                raise ProbeError(
                    "reset", f"connection closed without an alert after {self.bytes_read} bytes"
                )
            self._received += data

    async def record(self) -> tuple[int, bytes, bytes]:
        """One record as (content type, header, payload)."""
        header = await self._read(5)
        ctype, major, length = header[0], header[1], int.from_bytes(header[3:5], "big")
        if ctype not in (CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA) or major != 3:
            raise ProbeError("tls-protocol", _not_tls(header))
        if length > MAX_RECORD or (length == 0 and ctype != APPLICATION_DATA):
            raise ProbeError("tls-protocol", f"record of {length} bytes (type {ctype})")
        return ctype, header, await self._read(length)

    async def message(self) -> tuple[int, bytes, bytes]:
        """The next handshake message as (type, body, raw bytes incl. its 4-byte header)."""
        while True:
            if len(self._buffer) >= 4:
                length = int.from_bytes(self._buffer[1:4], "big")
                if length > MAX_MESSAGE:
                    raise ProbeError("tls-protocol", f"handshake message of {length} bytes")
                if len(self._buffer) >= 4 + length:
                    raw = self._buffer[: 4 + length]
                    self._buffer = self._buffer[4 + length :]
                    return raw[0], raw[4:], raw
            ctype, header, payload = await self.record()
            if self.decryptor is not None and ctype == APPLICATION_DATA:
                ctype, payload = self.decryptor(header, payload)
            elif ctype == APPLICATION_DATA:
                raise ProbeError("tls-protocol", "application data before the handshake")
            if ctype == ALERT:
                self.alert = describe_alert(payload)
                raise ProbeError("tls-alert", self.alert)
            if ctype == CHANGE_CIPHER_SPEC:
                if payload != b"\x01":
                    raise ProbeError("tls-protocol", "malformed ChangeCipherSpec")
                continue
            if ctype != HANDSHAKE:
                raise ProbeError("tls-protocol", f"unexpected record type {ctype}")
            self._buffer += payload

    def pending(self) -> bool:
        """Whether handshake bytes are buffered (must not straddle a TLS 1.3 key change)."""
        return bool(self._buffer)


def _not_tls(header: bytes) -> str:
    text = header.lstrip()
    if text[:1] == b"<":
        return "plaintext XML instead of TLS (an XMPP stream on a direct-TLS port?)"
    if header[0] & 0x80:
        return "an SSLv2 record instead of a TLS record"
    if header.isascii():
        return f"plaintext instead of TLS: {header.decode('ascii', 'replace')!r}"
    return f"not a TLS record: {header.hex()}"


@dataclass(frozen=True)
class ServerFlight:
    """What one probe read: the ServerHello and, when asked for, the rest of the flight."""

    hello: ServerHello
    hello_raw: bytes
    chain_der: tuple[bytes, ...] | None = None
    key_exchange: KeyExchange | None = None
    certificate_request: bool = False
    complete: bool = False  # ServerHelloDone (TLS 1.2) or Certificate (TLS 1.3) was read


async def read_server_hello(tls: TlsReader, hello: ClientHello) -> tuple[ServerHello, bytes]:
    """Read up to the ServerHello and check it against the offer."""
    mtype, body, raw = await tls.message()
    if mtype != SERVER_HELLO:
        raise ProbeError("tls-protocol", f"handshake message {mtype} instead of ServerHello")
    sh = parse_server_hello(body)
    check_server_hello(hello, sh)
    return sh, raw


async def read_tls12_flight(tls: TlsReader, sh: ServerHello, raw: bytes) -> ServerFlight:
    """Read the rest of a TLS 1.0-1.2 server flight (Certificate, ServerKeyExchange,
    CertificateRequest) up to ServerHelloDone."""
    chain: tuple[bytes, ...] | None = None
    kex: KeyExchange | None = None
    cert_request = False
    suite = SUITES.get(sh.suite)
    while True:
        mtype, body, _raw = await tls.message()
        if mtype == CERTIFICATE:
            chain = parse_certificate(body)
        elif mtype == SERVER_KEY_EXCHANGE and suite is not None:
            kex = parse_server_key_exchange(body, suite.kex)
        elif mtype == CERTIFICATE_REQUEST:
            cert_request = True
        elif mtype == SERVER_HELLO_DONE:
            return ServerFlight(sh, raw, chain, kex, cert_request, complete=True)
        elif mtype not in (22,):  # CertificateStatus is skipped; anything else is wrong
            raise ProbeError("tls-protocol", f"unexpected handshake message {mtype}")
