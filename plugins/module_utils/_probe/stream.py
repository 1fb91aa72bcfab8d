"""XMPP stream negotiation up to the first TLS byte (RFC 6120 section 5, XEP-0368).

* ``open_channel`` connects and, for STARTTLS, negotiates the stream until ``<proceed/>``;
  the TLS layer takes the returned ``Channel`` from there. Bytes the server sent after
  ``<proceed/>`` are kept apart in ``Channel.injected`` and never handed to TLS. With
  ``pipeline`` it sends ``<starttls/>`` in the same write as the stream header (XEP-0305),
  saving a round trip; the server's header, features and ``<proceed/>`` are read and checked
  just the same, and anything else ends in ``PipelineRefused``.
* ``XmppStream`` is one plaintext stream, read element by element; ``_probe.plaintext``
  uses it to judge whether the server refuses authentication or dialback in the clear.

Everything read before TLS goes through the guarded parser in ``_probe.xml_guard``; every wait is
bounded by its phase and by the probe's overall deadline.
"""

from __future__ import annotations

import asyncio
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
STARTTLS_REQUEST = f"<starttls xmlns='{NS_TLS}'/>".encode()

# What an attribute value cannot hold as it is: the escapes of xml.sax.saxutils.quoteattr,
# whose module would import urllib.request, http.client and email at start-up.
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
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


def quoteattr(value: str) -> str:
    """``value`` escaped and quoted as an XML attribute value, as saxutils.quoteattr does."""
    text = value.translate(_ATTR_ESCAPES)
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


def split_tag(tag: str) -> tuple[str, str]:
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
        ns, name = split_tag(event.element.tag)
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
        ns, name = split_tag(child.tag)
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
        if split_tag(m.tag)[1] == "mechanism"
    )
    known = {f"{{{NS_TLS}}}starttls", f"{{{NS_SASL}}}mechanisms"}
    others = tuple(
        "{}:{}".format(*split_tag(child.tag)) if child.tag.startswith("{") else child.tag
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


def check_stream_args(stream: str, tls_mode: str) -> None:
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
    check_stream_args(stream, tls_mode)
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
