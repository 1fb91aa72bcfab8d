"""The guarded XML reader: events, split input, refusals and limits."""

import tracemalloc

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import ProbeError
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.xml_guard import (
    StreamClosed,
    StreamElement,
    StreamOpened,
    XmlStreamParser,
    looks_like_tls,
    looks_like_xmpp,
)
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.xmpp_servers import (
    BILLION_LAUGHS,
    PROCEED,
    features,
    server_header,
    stream_error,
)

HELLO = server_header() + features(required=True, mechanisms=("PLAIN", "SCRAM-SHA-1"))


def feed_checked(parser, data):
    events = parser.feed(data)
    parser.raise_pending()
    return events


def feed_until_error(parser, chunks):
    with pytest.raises(ProbeError) as err:  # noqa: PT012 - any chunk may be the one
        for chunk in chunks:
            parser.feed(chunk)
    return err


def feed_all(parser, chunks):
    events = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    return events


def describe(events):
    out = []
    for e in events:
        if isinstance(e, StreamOpened):
            out.append(("open", e.tag, e.attrs.get("id"), e.default_namespace))
        elif isinstance(e, StreamElement):
            out.append(("element", e.element.tag, len(list(e.element.iter())), e.end))
        else:
            out.append(("closed", e.end))
    return out


def test_whole_stream_in_one_chunk():
    events = XmlStreamParser().feed(HELLO + PROCEED)
    assert describe(events)[0] == (
        "open",
        "{http://etherx.jabber.org/streams}stream",
        "fake-1",
        "jabber:client",
    )
    feats = events[1].element
    assert (
        feats.find(
            "{urn:ietf:params:xml:ns:xmpp-tls}starttls/{urn:ietf:params:xml:ns:xmpp-tls}required"
        )
        is not None
    )
    mechs = [m.text for m in feats.iter("{urn:ietf:params:xml:ns:xmpp-sasl}mechanism")]
    assert mechs == ["PLAIN", "SCRAM-SHA-1"]
    assert events[2].element.tag == "{urn:ietf:params:xml:ns:xmpp-tls}proceed"
    assert events[2].end == len(HELLO + PROCEED)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_any_split_gives_the_same_events(size):
    data = HELLO + PROCEED
    whole = describe(XmlStreamParser().feed(data))
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    assert describe(feed_all(XmlStreamParser(), chunks)) == whole


@pytest.mark.parametrize(
    "proceed", [PROCEED, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls' a='/>'></proceed>"]
)
@pytest.mark.parametrize("size", [1, 5, 1000])
def test_bytes_after_proceed_are_located_exactly(proceed, size):
    injected = b"<message>evil</message>\x16\x03"
    data = HELLO + proceed + injected
    parser = XmlStreamParser()
    events = []
    for i in range(0, len(data), size):
        try:
            events.extend(parser.feed(data[i : i + size]))
        except ProbeError:
            break  # the TLS-looking tail is not XML: only events before it matter
    proceed_event = next(
        e for e in events if isinstance(e, StreamElement) and e.element.tag.endswith("proceed")
    )
    assert injected.startswith(parser.raw_after(proceed_event.end))
    assert data[proceed_event.end :] == injected


def test_events_before_an_error_in_the_same_chunk_come_first():
    parser = XmlStreamParser()
    events = parser.feed(HELLO + PROCEED + b"\x00garbage")
    assert events[-1].element.tag.endswith("proceed")
    with pytest.raises(ProbeError) as err:
        parser.feed(b"more")
    assert err.value.code == "xml-invalid"


def test_stream_close_event():
    events = XmlStreamParser().feed(server_header() + stream_error("host-unknown"))
    assert isinstance(events[-1], StreamClosed)
    assert events[-2].element.tag == "{http://etherx.jabber.org/streams}error"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"<!DOCTYPE stream>", "DOCTYPE"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (server_header() + b"<!-- hello -->", "comment"),
        (server_header() + b"<?evil instruction?>", "processing instruction"),
        (b"<?xml version='1.0'?><?php echo 1 ?>", "processing instruction"),
    ],
)
def test_forbidden_constructs_are_refused(data, what):
    with pytest.raises(ProbeError) as err:
        feed_checked(XmlStreamParser(), data)
    assert err.value.code == "xml-forbidden"
    assert what in err.value.message


def test_billion_laughs_is_refused_byte_by_byte_without_memory():
    parser = XmlStreamParser()
    tracemalloc.start()
    err = feed_until_error(parser, [BILLION_LAUGHS[i : i + 1] for i in range(len(BILLION_LAUGHS))])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert err.value.code == "xml-forbidden"
    assert peak < 1_000_000  # an expansion would be gigabytes


@pytest.mark.parametrize(
    "tail",
    [
        b"<a>\xff\xfe</a>",
        b"<a>\x00</a>",
        b"<a>\xc3(</a>",
        b"<a>\xed\xa0\x80</a>",
        b"<a>&undefined;</a>",
        b"<<<>>>",
        b"</b>",
    ],
)
def test_invalid_bytes_are_refused(tail):
    with pytest.raises(ProbeError) as err:
        feed_checked(XmlStreamParser(), server_header() + tail)
    assert err.value.code == "xml-invalid"


def test_garbage_instead_of_xml():
    with pytest.raises(ProbeError) as err:
        XmlStreamParser().feed(b"HTTP/1.1 400 Bad Request\r\n")
    assert err.value.code == "xml-invalid"


def test_byte_cap_counts_everything():
    parser = XmlStreamParser(byte_cap=1000)
    parser.feed(server_header())
    err = feed_until_error(parser, [b"<x>" + b"y" * 50 + b"</x>"] * 100)
    assert err.value.code == "byte-cap"
    assert parser.bytes_read <= 1000


def test_nesting_is_bounded():
    with pytest.raises(ProbeError) as err:
        feed_checked(XmlStreamParser(max_depth=8), server_header() + b"<a>" * 20)
    assert err.value.code == "xml-invalid"


def test_sniffing_helpers():
    assert looks_like_tls(b"\x16\x03\x01\x02\x00")
    assert looks_like_tls(b"\x15\x03\x03\x00\x02")
    assert not looks_like_tls(b"<?xml")
    assert looks_like_xmpp(server_header())
    assert looks_like_xmpp(b"<stream:stream xmlns='jabber:client'>")
    assert not looks_like_xmpp(b"\x16\x03\x01")
