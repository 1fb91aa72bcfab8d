"""A guarded, incremental reader for the plaintext part of an XMPP stream.

Bytes are fed as they arrive; complete top-level elements come out as small ElementTree
nodes. The reader is built for input from servers we do not trust: DOCTYPE, entity
declarations, comments and processing instructions are refused the moment expat sees them
(so nothing is ever expanded: a billion-laughs document costs a few bytes), the input must
be well-formed UTF-8, nesting is bounded, and the total number of bytes is capped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only builds nodes, never parses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union
from xml.parsers import expat

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import ProbeError

DEFAULT_BYTE_CAP = 64 * 1024
DEFAULT_MAX_DEPTH = 32
NS_STREAMS = "http://etherx.jabber.org/streams"


@dataclass(frozen=True)
class StreamOpened:
    """The root element's start tag: ``attrs`` use ``{ns}name`` keys for namespaced ones."""

    tag: str
    attrs: dict[str, str]
    namespaces: dict[str, str]

    @property
    def default_namespace(self) -> str | None:
        return self.namespaces.get("")


@dataclass(frozen=True)
class StreamElement:
    """A complete child of the root; ``end`` is the stream offset just past its last byte."""

    element: ET.Element
    end: int


@dataclass(frozen=True)
class StreamClosed:
    """The root element was closed (``</stream:stream>``)."""

    end: int


StreamEvent = Union[StreamOpened, StreamElement, StreamClosed]  # noqa: UP007 - pylint reads it


def _clark(name: str) -> str:
    """expat's ``"uri local"`` (namespace_separator=' ') to ElementTree's ``{uri}local``."""
    uri, sep, local = name.rpartition(" ")
    return f"{{{uri}}}{local}" if sep else name


def _tag_end(raw: bytes | bytearray, start: int) -> int:
    """Offset just past the ``>`` closing the tag that starts at ``start`` (quotes respected)."""
    pos = start
    while (close := raw.find(b">", pos)) >= 0:
        double, single = raw.find(b'"', pos, close), raw.find(b"'", pos, close)
        if double < 0 and single < 0:
            return close + 1
        quote = double if single < 0 or 0 <= double < single else single
        pos = raw.find(raw[quote : quote + 1], quote + 1) + 1
        if not pos:
            break  # the quoted value is not closed yet
    return len(raw)


def _forbidden(what: str) -> Callable[..., None]:
    def handler(*_args: object) -> None:
        raise ProbeError("xml-forbidden", f"the stream contains {what}")

    return handler


# expat handlers that refuse what a stream must not contain; made once, set on every parser.
_FORBIDDEN = {
    "StartDoctypeDeclHandler": _forbidden("a DOCTYPE declaration"),
    "EntityDeclHandler": _forbidden("an entity declaration"),
    "UnparsedEntityDeclHandler": _forbidden("an entity declaration"),
    "NotationDeclHandler": _forbidden("a notation declaration"),
    "ElementDeclHandler": _forbidden("an element declaration"),
    "AttlistDeclHandler": _forbidden("an attribute-list declaration"),
    "CommentHandler": _forbidden("a comment"),
    "ProcessingInstructionHandler": _forbidden("a processing instruction"),
    "ExternalEntityRefHandler": _forbidden("an external entity reference"),
}


class XmlStreamParser:
    """Feed bytes, get stream events. Errors are ``ProbeError`` with ``xml-*``/``byte-cap``."""

    def __init__(
        self, byte_cap: int = DEFAULT_BYTE_CAP, max_depth: int = DEFAULT_MAX_DEPTH
    ) -> None:
        self.byte_cap = byte_cap
        self.max_depth = max_depth
        self._raw = bytearray()
        self._events: list[StreamEvent] = []
        self._stack: list[tuple[ET.Element, int]] = []
        self._pending_ns: dict[str, str] = {}
        self._error: ProbeError | None = None
        self._closed = False
        p = expat.ParserCreate("UTF-8", " ")  # UTF-8 forced: RFC 6120 allows nothing else
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        for name, handler in _FORBIDDEN.items():
            setattr(p, name, handler)
        p.StartNamespaceDeclHandler = self._on_ns
        p.StartElementHandler = self._on_start
        p.EndElementHandler = self._on_end
        p.CharacterDataHandler = self._on_text
        self._parser = p

    @property
    def bytes_read(self) -> int:
        return len(self._raw)

    def raw_after(self, offset: int) -> bytes:
        """The bytes received after ``offset`` (for example after ``</proceed>``)."""
        return bytes(self._raw[offset:])

    def raise_pending(self) -> None:
        """Raise the error held back by ``feed`` behind events of the same chunk, if any."""
        if self._error is not None:
            raise self._error

    def feed(self, data: bytes) -> list[StreamEvent]:
        """Parse ``data``; return the events it completed, raise on anything refused.

        Events completed before an error in the same chunk are returned first and the error
        is raised by the next call (or ``raise_pending``), so a caller can act on
        ``<proceed/>`` even when garbage follows it in the same segment.
        """
        self.raise_pending()
        if len(self._raw) + len(data) > self.byte_cap:
            self._error = ProbeError(
                "byte-cap", f"more than {self.byte_cap} bytes received before TLS"
            )
            raise self._error
        if self._closed:
            self._raw += data
            return []
        self._raw += data
        try:
            self._parser.Parse(data, False)
        except ProbeError as exc:
            self._error = exc
        except expat.ExpatError as exc:
            reason = expat.ErrorString(exc.code) if exc.code else str(exc)
            self._error = ProbeError(
                "xml-invalid", f"not well-formed XML at byte {exc.offset}: {reason}"
            )
        events, self._events = self._events, []
        if self._error is not None and not events:
            raise self._error
        return events

    # --- expat callbacks ------------------------------------------------------------------

    def _on_ns(self, prefix: str | None, uri: str) -> None:
        self._pending_ns[prefix or ""] = uri

    def _on_start(self, name: str, attrs: dict[str, str]) -> None:
        if len(self._stack) >= self.max_depth:
            raise ProbeError("xml-invalid", f"elements nested deeper than {self.max_depth}")
        start = self._parser.CurrentByteIndex
        tag = _clark(name)
        attributes = {_clark(k): v for k, v in attrs.items()}
        if not self._stack:
            self._events.append(StreamOpened(tag, attributes, dict(self._pending_ns)))
        if len(self._stack) < 2:
            # The root and its children stand alone: a consumed element is freed, not kept.
            node = ET.Element(tag, attributes)
        else:
            node = ET.SubElement(self._stack[-1][0], tag, attributes)
        self._pending_ns.clear()
        self._stack.append((node, start))

    def _on_end(self, _name: str) -> None:
        node, start = self._stack.pop()
        if len(self._stack) > 1:
            return  # a grandchild of the root: its parent carries it, its offsets are not needed
        index = self._parser.CurrentByteIndex
        # expat reports an empty element's end just past "/>", an end tag at its "<".
        empty = self._raw[index - 2 : index] == b"/>" and _tag_end(self._raw, start) == index
        end = index if empty else _tag_end(self._raw, index)
        if not self._stack:
            self._closed = True
            self._events.append(StreamClosed(end))
        elif len(self._stack) == 1:
            self._events.append(StreamElement(node, end))

    def _on_text(self, text: str) -> None:
        if len(self._stack) < 2:
            return  # whitespace keepalives between top-level elements
        node = self._stack[-1][0]
        if len(node):
            last = node[-1]
            last.tail = (last.tail or "") + text
        else:
            node.text = (node.text or "") + text


def looks_like_tls(data: bytes) -> bool:
    """True when ``data`` starts like a TLS record (handshake or alert, version 3.x)."""
    return len(data) >= 2 and data[0] in (0x15, 0x16) and data[1] == 0x03


def looks_like_xmpp(data: bytes) -> bool:
    """True when ``data`` starts like an XMPP stream (XML declaration or a stream header)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:64]
    return head.startswith(b"<?xml") or head.startswith(b"<stream") or b":stream" in head
