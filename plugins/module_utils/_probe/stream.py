"""XMPP stream negotiation up to the first TLS byte (RFC 6120 section 5, XEP-0368).

Two entry points:

* ``open_channel`` connects and, for STARTTLS, negotiates the stream until ``<proceed/>``;
  the TLS layer takes the returned ``Channel`` from there. Bytes the server sent after
  ``<proceed/>`` are kept apart in ``Channel.injected`` and never handed to TLS. With
  ``pipeline`` it sends ``<starttls/>`` in the same write as the stream header (XEP-0305),
  saving a round trip; the server's header, features and ``<proceed/>`` are read and checked
  just the same, and anything else ends in ``PipelineRefused``.
* ``probe_features`` reads what the server offers before TLS and tries, on the same
  connection, whether it lets a client authenticate (c2s) or a peer start dialback (s2s) in
  the clear.

Everything read before TLS goes through the guarded parser in ``_probe.xml_guard``; every wait is
bounded by its phase and by the probe's overall deadline.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
import xml.etree.ElementTree as ET  # inspects nodes built by _probe.xml_guard
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Channel,
    Deadline,
    ProbeError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.xml_guard import (
    DEFAULT_BYTE_CAP,
    NS_STREAMS,
    StreamClosed,
    StreamElement,
    StreamEvent,
    StreamOpened,
    XmlStreamParser,
    looks_like_tls,
)

NS_CLIENT = "jabber:client"
NS_SERVER = "jabber:server"
NS_DB = "jabber:server:dialback"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams"
NS_DIALBACK_FEATURE = "urn:xmpp:features:dialback"
NS_XML = "http://www.w3.org/XML/1998/namespace"

STREAMS = ("c2s", "s2s")
TLS_MODES = ("starttls", "direct")
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_PHASE_TIMEOUT = 10.0
READ_CHUNK = 4096
# How long a refusal of plaintext dialback may take; waited in full only by a peer that
# leaves the <db:verify/> sent after the key unanswered, so a slow refusal is still seen.
DIALBACK_WAIT = 3.0
# A refusal racing the answer to <db:verify/> comes within a scheduler tick or two, even on
# a loaded server; a quarter second is far above that and still a twelfth of DIALBACK_WAIT.
VERIFY_GRACE = 0.25
STARTTLS_REQUEST = f"<starttls xmlns='{NS_TLS}'/>".encode()

# What an attribute value cannot hold as it is: the escapes of xml.sax.saxutils.quoteattr,
# whose module would import urllib.request, http.client and email at start-up.
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)

# Stream errors that say nothing about encryption: the request was refused for another reason.
_NEUTRAL_STREAM_ERRORS = frozenset(
    {
        "bad-format",
        "connection-timeout",
        "host-gone",
        "host-unknown",
        "improper-addressing",
        "internal-server-error",
        "invalid-from",
        "invalid-namespace",
        "not-well-formed",
        "remote-connection-failed",
        "resource-constraint",
        "see-other-host",
        "system-shutdown",
    }
)


class StreamError(ProbeError):
    """The server sent ``<stream:error>``: ``condition`` and optional ``text``."""

    def __init__(self, condition: str, text: str) -> None:
        detail = f" ({text})" if text else ""
        super().__init__("stream-error", f"the server sent stream error {condition}{detail}")
        self.condition = condition
        self.text = text


class PipelineRefused(ProbeError):
    """A pipelined STARTTLS did not end in ``<proceed/>``; ``cause`` says what happened.

    The server may be strict about answering ``<starttls/>`` before it sent its features
    (XEP-0305 is optional): the caller should try again without pipelining.
    """

    def __init__(self, cause: ProbeError) -> None:
        super().__init__(
            "pipeline-refused", f"a pipelined <starttls/> (XEP-0305) did not work ({cause})"
        )
        self.cause = cause


class StartTlsMissing(ProbeError):
    """The server's features did not offer ``<starttls/>``; ``features`` says what they did."""

    def __init__(self, features: StreamFeatures) -> None:
        offered = ", ".join(features.others + tuple(f"sasl:{m}" for m in features.sasl_mechanisms))
        super().__init__(
            "starttls-missing",
            f"the server did not offer STARTTLS (features: {offered or 'none'})",
        )
        self.features = features


@dataclass(frozen=True)
class StreamHeader:
    """What the server's ``<stream:stream>`` said about itself."""

    from_: str | None
    id: str | None
    version: str | None
    lang: str | None
    namespace: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_,
            "id": self.id,
            "version": self.version,
            "lang": self.lang,
            "namespace": self.namespace,
        }


@dataclass(frozen=True)
class StreamFeatures:
    """The ``<stream:features>`` the server offered before TLS."""

    header: StreamHeader
    starttls: bool
    starttls_required: bool
    sasl_mechanisms: tuple[str, ...]
    dialback: bool
    others: tuple[str, ...]


@dataclass(frozen=True)
class FeaturesResult:
    """What one plaintext connection told about the endpoint.

    ``plaintext_refused`` is True when the server refused to authenticate (c2s) or to start
    dialback (s2s) without TLS, False when it went ahead, None when it could not be told;
    ``plaintext_evidence`` says what the server answered.
    """

    stream: str
    starttls_offered: bool
    starttls_required: bool
    sasl_mechanisms_before_tls: tuple[str, ...]
    dialback_before_tls: bool
    plaintext_refused: bool | None
    plaintext_evidence: str
    other_features: tuple[str, ...]
    header: StreamHeader

    def as_dict(self) -> dict[str, Any]:
        return {
            "starttls_offered": self.starttls_offered,
            "starttls_required": self.starttls_required,
            "sasl_mechanisms_before_tls": list(self.sasl_mechanisms_before_tls),
            "dialback_before_tls": self.dialback_before_tls,
            "other_features": list(self.other_features),
            "stream_header": self.header.as_dict(),
            "plaintext_refused": self.plaintext_refused,
            "plaintext_evidence": self.plaintext_evidence,
        }


def quoteattr(value: str) -> str:
    """``value`` escaped and quoted as an XML attribute value, as saxutils.quoteattr does."""
    text = value.translate(_ATTR_ESCAPES)
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


def _local(tag: str) -> tuple[str, str]:
    """``{ns}name`` to ``(ns, name)``."""
    if tag.startswith("{"):
        ns, _sep, name = tag[1:].partition("}")
        return ns, name
    return "", tag


async def connect(
    host: str, port: int, *, deadline: Deadline, connect_timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a TCP connection; errors are ``connect-timeout``/``connect-refused``/``-failed``."""
    where = f"{host}:{port}"
    try:
        return await deadline.run(
            asyncio.open_connection(host, port),
            f"connect to {where}",
            connect_timeout,
            "connect-timeout",
        )
    except ConnectionRefusedError as exc:
        raise ProbeError("connect-refused", f"{where} refused the connection") from exc
    except OSError as exc:
        raise ProbeError("connect-failed", f"cannot connect to {where}: {exc}") from exc


def stream_header(domain: str, stream: str, from_domain: str | None = None) -> bytes:
    """The opening ``<stream:stream>`` a client (c2s) or an initiating server (s2s) sends."""
    if stream not in STREAMS:
        raise ValueError(f"stream must be one of {STREAMS}, not {stream!r}")
    ns = NS_CLIENT if stream == "c2s" else NS_SERVER
    extra = f" xmlns:db='{NS_DB}'" if stream == "s2s" else ""
    sender = f" from={quoteattr(from_domain)}" if from_domain else ""
    return (
        f"<?xml version='1.0'?><stream:stream xmlns='{ns}'{extra} "
        f"xmlns:stream='{NS_STREAMS}' to={quoteattr(domain)}{sender} version='1.0'>"
    ).encode()


class XmppStream:
    """One plaintext XMPP stream over a TCP connection, read through the guarded parser."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        deadline: Deadline,
        phase_timeout: float,
        byte_cap: int = DEFAULT_BYTE_CAP,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.deadline = deadline
        self.phase_timeout = phase_timeout
        self.parser = XmlStreamParser(byte_cap=byte_cap)
        self.header: StreamHeader | None = None
        self._queue: list[StreamEvent] = []

    async def send(self, data: bytes) -> None:
        try:
            self.writer.write(data)
            await self.deadline.drain(self.writer, "sending", self.phase_timeout)
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise ProbeError("reset", f"the connection was reset while sending: {exc}") from exc

    async def _read(self, phase: str, phase_end: float) -> bytes:
        try:
            data = await self.deadline.run(
                self.reader.read(READ_CHUNK), phase, phase_end - time.monotonic()
            )
        except ConnectionResetError as exc:
            raise ProbeError("reset", f"the connection was reset during {phase}") from exc
        except OSError as exc:
            raise ProbeError("reset", f"the connection failed during {phase}: {exc}") from exc
        if not data:
            raise ProbeError("closed", f"the server closed the connection during {phase}")
        return data

    async def next_event(self, phase: str, phase_end: float) -> StreamEvent:
        while not self._queue:
            self.parser.raise_pending()
            data = await self._read(phase, phase_end)
            first = self.parser.bytes_read == 0
            try:
                self._queue.extend(self.parser.feed(data))
            except ProbeError as exc:
                head = self.parser.raw_after(0)[:2]
                if exc.code == "xml-invalid" and (
                    looks_like_tls(head) or (first and len(head) == 1 and head[0] in (21, 22))
                ):
                    raise ProbeError(
                        "protocol",
                        "the server answered with a TLS record, not XMPP: this looks like a "
                        "direct-TLS port, not a STARTTLS one",
                    ) from exc
                raise
        return self._queue.pop(0)

    async def next_element(self, phase: str, phase_end: float) -> StreamElement:
        """The next top-level element; stream errors and stream ends become ProbeErrors."""
        event = await self.next_event(phase, phase_end)
        if isinstance(event, StreamClosed):
            raise ProbeError("closed", f"the server closed the stream during {phase}")
        if isinstance(event, StreamOpened):
            raise ProbeError("protocol", f"a second stream header during {phase}")
        ns, name = _local(event.element.tag)
        if name == "error" and ns in (NS_STREAMS, NS_CLIENT, NS_SERVER, ""):
            raise _stream_error(event.element)
        return event

    async def open(
        self, domain: str, stream: str, from_domain: str | None, *, then: bytes = b""
    ) -> StreamHeader:
        """Send our stream header (and ``then`` in the same write) and read the server's."""
        phase = "stream header"
        end = time.monotonic() + self.phase_timeout
        await self.send(stream_header(domain, stream, from_domain) + then)
        event = await self.next_event(phase, end)
        if not isinstance(event, StreamOpened) or event.tag != f"{{{NS_STREAMS}}}stream":
            tag = getattr(event, "tag", type(event).__name__)
            raise ProbeError("protocol", f"the server did not open an XMPP stream (got {tag})")
        attrs = event.attrs
        self.header = StreamHeader(
            from_=attrs.get("from"),
            id=attrs.get("id"),
            version=attrs.get("version"),
            lang=attrs.get(f"{{{NS_XML}}}lang"),
            namespace=event.default_namespace,
        )
        return self.header

    async def read_features(self) -> StreamFeatures:
        """Read ``<stream:features>`` (servers without version 1.0 send none)."""
        header = self.header
        if header is None:
            raise RuntimeError("read_features() before open()")
        if not (header.version or "").startswith("1."):
            return StreamFeatures(header, False, False, (), False, ())
        end = time.monotonic() + self.phase_timeout
        event = await self.next_element("stream features", end)
        if event.element.tag != f"{{{NS_STREAMS}}}features":
            raise ProbeError(
                "protocol", f"expected stream features, the server sent {event.element.tag}"
            )
        return _parse_features(header, event.element)

    async def starttls(self, *, sent: bool = False) -> bytes:
        """Ask for TLS (unless ``sent`` already); return the bytes after ``<proceed/>``.

        Those bytes are an injection: the caller keeps them away from TLS.
        """
        end = time.monotonic() + self.phase_timeout
        if not sent:
            await self.send(STARTTLS_REQUEST)
        event = await self.next_element("STARTTLS", end)
        if event.element.tag == f"{{{NS_TLS}}}proceed":
            return self.parser.raw_after(event.end)
        if event.element.tag == f"{{{NS_TLS}}}failure":
            raise ProbeError("starttls-failure", "the server answered <starttls/> with <failure/>")
        raise ProbeError("protocol", f"expected <proceed/>, the server sent {event.element.tag}")

    def close(self) -> None:
        self.writer.close()


def _stream_error(element: ET.Element) -> StreamError:
    condition, text = "undefined-condition", ""
    for child in element:
        ns, name = _local(child.tag)
        if name == "text":
            text = (child.text or "").strip()
        elif ns in (NS_STREAM_ERRORS, ""):
            condition = name
            if name == "see-other-host" and (child.text or "").strip():
                text = text or f"other host: {child.text.strip()}"
    return StreamError(condition, text[:200])


def _parse_features(header: StreamHeader, element: ET.Element) -> StreamFeatures:
    starttls = element.find(f"{{{NS_TLS}}}starttls")
    mechanisms = element.find(f"{{{NS_SASL}}}mechanisms")
    names = tuple(
        (m.text or "").strip()
        for m in (mechanisms if mechanisms is not None else ())
        if _local(m.tag)[1] == "mechanism"
    )
    known = {f"{{{NS_TLS}}}starttls", f"{{{NS_SASL}}}mechanisms"}
    others = tuple(
        f"{_local(child.tag)[0]}:{_local(child.tag)[1]}" if child.tag.startswith("{") else child.tag
        for child in element
        if child.tag not in known
    )
    return StreamFeatures(
        header=header,
        starttls=starttls is not None,
        starttls_required=starttls is not None
        and starttls.find(f"{{{NS_TLS}}}required") is not None,
        sasl_mechanisms=tuple(n for n in names if n),
        dialback=element.find(f"{{{NS_DIALBACK_FEATURE}}}dialback") is not None,
        others=others,
    )


def _check_args(stream: str, tls_mode: str) -> None:
    if stream not in STREAMS:
        raise ValueError(f"stream must be one of {STREAMS}, not {stream!r}")
    if tls_mode not in TLS_MODES:
        raise ValueError(f"tls_mode must be one of {TLS_MODES}, not {tls_mode!r}")


async def open_channel(
    host: str,
    port: int,
    domain: str,
    stream: str,
    tls_mode: str,
    *,
    deadline: Deadline,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    phase_timeout: float = DEFAULT_PHASE_TIMEOUT,
    byte_cap: int = DEFAULT_BYTE_CAP,
    from_domain: str | None = None,
    pipeline: bool = False,
) -> tuple[Channel, StreamFeatures | None]:
    """A channel ready for the first TLS byte, and the features seen on the way (STARTTLS).

    Raises ``ProbeError`` (``StartTlsMissing`` carries the features, ``StreamError`` the
    condition) for anything the endpoint does wrong; with ``pipeline``, ``PipelineRefused``
    for anything but a header, features with ``<starttls/>`` and ``<proceed/>`` in order.
    """
    _check_args(stream, tls_mode)
    reader, writer = await connect(host, port, deadline=deadline, connect_timeout=connect_timeout)
    if tls_mode == "direct":
        return Channel(reader, writer), None
    xs = XmppStream(
        reader, writer, deadline=deadline, phase_timeout=phase_timeout, byte_cap=byte_cap
    )
    try:
        features, injected = await _negotiate(xs, domain, stream, from_domain, pipeline)
    except ProbeError as exc:
        xs.close()
        # Out of time is out of time: a retry without pipelining could not finish either.
        if pipeline and exc.code != "deadline":
            raise PipelineRefused(exc) from exc
        raise
    except BaseException:
        xs.close()
        raise
    return Channel(reader, writer, injected), features


async def _negotiate(
    xs: XmppStream, domain: str, stream: str, from_domain: str | None, pipeline: bool
) -> tuple[StreamFeatures, bytes]:
    """Header, features, ``<starttls/>``, ``<proceed/>``: the features and injected bytes."""
    await xs.open(domain, stream, from_domain, then=STARTTLS_REQUEST if pipeline else b"")
    features = await xs.read_features()
    if not features.starttls:
        raise StartTlsMissing(features)
    return features, await xs.starttls(sent=pipeline)


async def probe_features(
    host: str,
    port: int,
    domain: str,
    stream: str,
    *,
    deadline: Deadline,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    phase_timeout: float = DEFAULT_PHASE_TIMEOUT,
    byte_cap: int = DEFAULT_BYTE_CAP,
    from_domain: str | None = None,
) -> FeaturesResult:
    """Read the features offered before TLS and try plaintext auth/dialback (one connection)."""
    _check_args(stream, "starttls")
    reader, writer = await connect(host, port, deadline=deadline, connect_timeout=connect_timeout)
    xs = XmppStream(
        reader, writer, deadline=deadline, phase_timeout=phase_timeout, byte_cap=byte_cap
    )
    try:
        header = await xs.open(domain, stream, from_domain)
        features = await xs.read_features()
        try:
            if stream == "c2s":
                refused, evidence = await _try_plaintext_auth(xs, features)
            else:
                refused, evidence = await _try_plaintext_dialback(
                    xs, domain, from_domain, tls_required=features.starttls_required
                )
        except ProbeError as exc:
            # The features are known by now: a bad answer here is a verdict, not a failure.
            refused, evidence = _verdict_from_error(exc)
    finally:
        xs.close()
    return FeaturesResult(
        stream=stream,
        starttls_offered=features.starttls,
        starttls_required=features.starttls_required,
        sasl_mechanisms_before_tls=features.sasl_mechanisms,
        dialback_before_tls=features.dialback,
        plaintext_refused=refused,
        plaintext_evidence=evidence,
        other_features=features.others,
        header=header,
    )


def _auth_request(mechanisms: tuple[str, ...]) -> tuple[str, bytes]:
    """A first SASL message with a random, certainly invalid identity (never a real one)."""
    user = "probe-" + secrets.token_hex(6)
    upper = [m.upper() for m in mechanisms]
    if "PLAIN" in upper or not any(m != "EXTERNAL" for m in upper):
        mech = "PLAIN"
        initial = f"\0{user}\0{secrets.token_urlsafe(18)}".encode()
    elif any(m.startswith("SCRAM-") for m in upper):
        mech = next(m for m in mechanisms if m.upper().startswith("SCRAM-"))
        initial = f"n,,n={user},r={secrets.token_urlsafe(18)}".encode()
    else:
        mech = next(m for m in mechanisms if m.upper() != "EXTERNAL")
        initial = b""
    payload = base64.b64encode(initial).decode() if initial else ""
    body = f"<auth xmlns='{NS_SASL}' mechanism={quoteattr(mech)}>{payload}</auth>"
    return mech, body.encode()


_REFUSING_SASL = frozenset({"encryption-required", "mechanism-too-weak"})
_EVALUATING_SASL = frozenset({"not-authorized", "credentials-expired", "account-disabled"})


def _verdict_from_error(exc: ProbeError) -> tuple[bool | None, str]:
    """What a stream error, hang-up or silence in answer to a plaintext attempt tells."""
    if isinstance(exc, StreamError):
        if exc.condition in _NEUTRAL_STREAM_ERRORS:
            return None, f"stream error {exc.condition}, which says nothing about TLS"
        return True, f"stream error {exc.condition}" + (f" ({exc.text})" if exc.text else "")
    if exc.code in ("closed", "reset"):
        return True, f"the server hung up ({exc.code})"
    if exc.code in ("phase-timeout", "deadline"):
        return None, f"no answer ({exc.code})"
    return None, str(exc)


async def _try_plaintext_auth(xs: XmppStream, features: StreamFeatures) -> tuple[bool | None, str]:
    if not features.sasl_mechanisms and features.starttls_required:
        return True, "no SASL mechanism offered before TLS and STARTTLS required"
    mech, request = _auth_request(features.sasl_mechanisms)
    await xs.send(request)
    event = await xs.next_element("plaintext SASL attempt", time.monotonic() + xs.phase_timeout)
    ns, name = _local(event.element.tag)
    if ns == NS_SASL and name == "success":
        return False, f"SASL {mech} succeeded without TLS"
    if ns == NS_SASL and name == "challenge":
        return False, f"SASL {mech} went on (challenge) without TLS"
    if ns == NS_SASL and name == "failure":
        conditions = [_local(c.tag)[1] for c in event.element if _local(c.tag)[1] != "text"]
        condition = conditions[0] if conditions else "none"
        if condition in _REFUSING_SASL:
            return True, f"SASL {mech} failed with {condition}"
        if condition in _EVALUATING_SASL:
            return False, f"SASL {mech} credentials evaluated without TLS ({condition})"
        return None, f"SASL {mech} failed with {condition}"
    return None, f"unexpected answer {event.element.tag}"


def _dialback_requests(sender: str, domain: str) -> bytes:
    """A dialback key to verify, then a ``<db:verify/>`` the server answers from memory.

    A server handles a stream's elements in order, and refusing plaintext dialback needs no
    network: an answer to the verify request means the key request before it was taken
    without a refusal, so the wait for one can end there instead of at ``DIALBACK_WAIT``.
    """
    to, frm = quoteattr(domain), quoteattr(sender)
    return (
        f"<db:result from={frm} to={to}>{secrets.token_hex(20)}</db:result>"
        f"<db:verify from={frm} to={to} id={quoteattr(secrets.token_hex(8))}>"
        f"{secrets.token_hex(20)}</db:verify>"
    ).encode()


async def _try_plaintext_dialback(
    xs: XmppStream, domain: str, from_domain: str | None, *, tls_required: bool = False
) -> tuple[bool | None, str]:
    sender = from_domain or f"probe-{secrets.token_hex(6)}.invalid"
    sent = time.monotonic()
    await xs.send(_dialback_requests(sender, domain))
    # A server that requires TLS refuses at once; one that accepts starts verifying the key
    # (DNS, a connection back to the sender), which can take long: silence means it went on.
    end = sent + min(xs.phase_timeout, DIALBACK_WAIT)
    passed = False
    while True:
        try:
            event = await xs.next_element("plaintext dialback attempt", end)
        except ProbeError as exc:
            if exc.code == "phase-timeout":
                return _dialback_silence(time.monotonic() - sent, passed, tls_required)
            if passed and exc.code in ("closed", "reset"):
                # The key was taken without a refusal: this hang-up may be about the verify.
                return None, f"the server answered <db:verify/>, then hung up ({exc.code})"
            raise
        ns, name = _local(event.element.tag)
        if ns == NS_DB and name == "verify" and not passed:
            condition = _dialback_condition(event.element)
            if condition in _REFUSING_DIALBACK:
                # Not the answer from memory that clears the key: a refusal of its own.
                return True, f"the server answered <db:verify/> with {condition} before TLS"
            passed = True
            end = min(end, time.monotonic() + _after_verify(time.monotonic() - sent))
            continue
        if ns == NS_DB and name == "result":
            kind = event.element.get("type", "none")
            return _dialback_verdict(kind, _dialback_condition(event.element), tls_required)
        if name == "failure":
            return True, f"the server answered dialback with <failure/> ({ns})"
        return None, f"unexpected answer {event.element.tag}"


# XEP-0220 section 2.4 gives <policy-violation/> one meaning: TLS is required before dialback.
_REFUSING_DIALBACK = frozenset({"policy-violation"})
# Errors that tell nothing about the key or TLS: a domain not served, a request or sender
# turned down, a busy or broken server. <not-authorized/> (XEP-0220: a certificate or other
# proof wanted) is used loosely for a bad key too, so it proves neither a refusal nor a check.
_NEUTRAL_DIALBACK = frozenset(
    {
        "bad-request",
        "improper-addressing",
        "internal-server-error",
        "item-not-found",
        "not-allowed",
        "not-authorized",
        "resource-constraint",
    }
)


def _dialback_condition(element: ET.Element) -> str:
    """The stanza error condition of a ``type='error'`` dialback element, or ``""``."""
    for error in element:
        if _local(error.tag)[1] == "error":
            for child in error:
                if (name := _local(child.tag)[1]) != "text":
                    return name
    return ""


def _dialback_verdict(kind: str, condition: str, tls_required: bool) -> tuple[bool | None, str]:
    """What a ``<db:result type=kind/>`` answering the plaintext key tells about TLS."""
    answer = f"result type {kind}" + (f", {condition}" if condition else "")
    if kind == "valid":
        return False, f"dialback accepted without TLS ({answer})"
    if condition in _REFUSING_DIALBACK:
        return True, f"dialback refused before TLS ({answer})"
    if condition in _NEUTRAL_DIALBACK:
        return None, f"dialback failed ({answer}), which says nothing about TLS"
    if tls_required:
        # The key was checked and failed (our sender cannot be dialled back), which says
        # nothing more than silence does: see _dialback_silence.
        return None, (
            f"the server checked the dialback key and it failed ({answer}), but it requires"
            " TLS and may refuse only once dialback succeeds"
        )
    return False, f"dialback key evaluated without TLS ({answer})"


def _after_verify(round_trip: float) -> float:
    """How long a refusal may still follow the answer to ``<db:verify/>``.

    A multi-threaded server may send a refusal decided at the same time as that answer; two
    of the round trips just seen, and never less than ``VERIFY_GRACE``, cover that race.
    """
    return max(VERIFY_GRACE, 2 * round_trip)


def _dialback_silence(waited: float, passed: bool, tls_required: bool) -> tuple[bool | None, str]:
    how = (
        "it answered the <db:verify/> sent after the key and did not refuse"
        if passed
        else f"no refusal within {waited:.1f} s"
    )
    if tls_required:
        # Prosody with s2s_require_encryption verifies a plaintext key all the same and
        # refuses only once dialback succeeds: silence after <required/> proves nothing.
        return None, (
            f"{how}: the server is verifying dialback, but it requires TLS and may refuse"
            " only once dialback succeeds"
        )
    return False, f"{how}: the server went on verifying dialback"
