"""Stream negotiation against fake servers: each hostile behaviour ends in its own result."""

import asyncio
import socket
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe import plaintext
from ansible_collections.xmpp.encryption.plugins.module_utils._probe import stream as xmpp_stream
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Deadline,
    ProbeError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.plaintext import (
    probe_features,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.stream import (
    PipelineRefused,
    StartTlsMissing,
    StreamError,
    open_channel,
    stream_header,
)
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.xmpp_servers import (
    BILLION_LAUGHS,
    TLS_ALERT,
    TLS_SERVER_HELLO,
    VERIFY_INVALID,
    FakeServer,
    behaviour_dialback,
    behaviour_endless,
    behaviour_good,
    behaviour_quickstart,
    behaviour_raw,
    behaviour_reset_after,
    behaviour_silent,
    behaviour_starttls_failure,
    behaviour_trickle,
    blackhole,
    close,
    dialback_result,
    expect,
    expect_header,
    features,
    hang,
    reset,
    sasl_failure,
    script,
    send,
    server_header,
    stream_error,
)

FAST = {"connect_timeout": 1.0, "phase_timeout": 1.0}


async def channel(srv, stream="c2s", deadline=5.0, **kw):
    opts = {**FAST, **kw}
    return await open_channel(
        srv.host,
        srv.port,
        "example.org",
        stream,
        "starttls",
        deadline=Deadline.after(deadline),
        **opts,
    )


async def channel_error(srv, **kw) -> ProbeError:
    with pytest.raises(ProbeError) as err:
        await channel(srv, **kw)
    return err.value


# --- the client's own header -------------------------------------------------------------


def test_stream_headers():
    c2s = stream_header("example.org", "c2s")
    assert b"xmlns='jabber:client'" in c2s
    assert b'to="example.org"' in c2s
    assert b"version='1.0'" in c2s
    assert b"jabber:server:dialback" not in c2s
    s2s = stream_header("a'b.example", "s2s", "me.example")
    assert b"xmlns='jabber:server'" in s2s
    assert b"xmlns:db='jabber:server:dialback'" in s2s
    assert b'from="me.example"' in s2s
    assert b'to="a\'b.example"' in s2s


@pytest.mark.parametrize(
    "value",
    ["", "example.org", "a'b", 'a"b', "a'b\"c", "<&>", "&amp;", "tab\there\r\nnew", "é\x00\"'&"],
)
def test_quoteattr_is_saxutils_quoteattr(value):
    from xml.sax.saxutils import quoteattr

    assert xmpp_stream.quoteattr(value) == quoteattr(value)


# --- well-behaved servers ------------------------------------------------------------------


@pytest.mark.parametrize("segment", [None, 1, 7])
async def test_starttls_negotiated_whole_or_split(segment):
    async with FakeServer(behaviour_good(segment=segment, mechanisms=("PLAIN",))) as srv:
        chan, feats = await channel(srv)
        try:
            assert feats is not None
            assert feats.starttls
            assert not feats.starttls_required
            assert feats.sasl_mechanisms == ("PLAIN",)
            assert feats.header.id == "fake-1"
            assert feats.header.version == "1.0"
            assert chan.injected == b""
            received = srv.conns[0].received
            assert received.endswith(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            assert b"xmlns='jabber:client'" in received
        finally:
            await chan.close()


async def test_s2s_header_and_features():
    async with FakeServer(behaviour_good(ns="jabber:server", dialback=True)) as srv:
        chan, feats = await channel(srv, stream="s2s")
        await chan.close()
        assert feats.dialback
        assert feats.header.namespace == "jabber:server"
        assert b"xmlns:db='jabber:server:dialback'" in srv.conns[0].received


async def test_direct_mode_only_connects():
    async with FakeServer(behaviour_silent()) as srv:
        chan, feats = await open_channel(
            srv.host, srv.port, "example.org", "c2s", "direct", deadline=Deadline.after(2)
        )
        await chan.close()
        assert feats is None
        assert srv.connections == 1


async def test_injection_after_proceed_is_kept_apart():
    evil = b"<message from='evil'><body>hi</body></message>"
    async with FakeServer(behaviour_good(after_proceed=evil)) as srv:
        chan = (await channel(srv))[0]
        await chan.close()
        assert chan.injected == evil


# --- pipelined STARTTLS (XEP-0305) ---------------------------------------------------------

ORDINARY = ["header", "features", "starttls", "proceed"]
PIPELINED = ["header", "starttls", "features", "proceed"]


def client_flights(log):
    """The client's writes that each waited for an answer, up to <proceed/>: round trips."""
    mine = {"header", "starttls"}
    return sum(1 for i, e in enumerate(log) if e in mine and (i == 0 or log[i - 1] not in mine))


@pytest.mark.parametrize(
    ("pipeline", "order", "flights"), [(False, ORDINARY, 2), (True, PIPELINED, 1)]
)
async def test_pipelined_starttls_saves_a_round_trip(pipeline, order, flights):
    async with FakeServer(behaviour_quickstart()) as srv:
        chan, feats = await channel(srv, pipeline=pipeline)
        await chan.close()
    assert feats is not None
    assert feats.starttls
    assert chan.injected == b""
    assert srv.conns[0].log == order
    assert client_flights(srv.conns[0].log) == flights


async def test_pipelined_injection_is_kept_apart():
    evil = b"<message from='evil'><body>hi</body></message>" + TLS_SERVER_HELLO
    async with FakeServer(behaviour_quickstart(inject_when_pipelined=evil)) as srv:
        chan = (await channel(srv, pipeline=True))[0]
        await chan.close()
    assert srv.conns[0].log == PIPELINED
    assert chan.injected == evil


@pytest.mark.parametrize(
    ("strict", "code"),
    [("stream-error", "stream-error"), ("failure", "protocol"), ("close", "closed")],
)
async def test_strict_server_refuses_a_pipelined_starttls(strict, code):
    async with FakeServer(behaviour_quickstart(strict=strict)) as srv:
        err = await channel_error(srv, pipeline=True)
        assert isinstance(err, PipelineRefused)
        assert err.code == "pipeline-refused"
        assert err.cause.code == code
        # The same server is fine the ordinary way.
        chan, feats = await channel(srv)
        await chan.close()
    assert feats is not None
    assert feats.starttls
    assert [c.log for c in srv.conns] == [["header", "starttls"], ORDINARY]


async def test_pipelined_starttls_still_checks_the_features():
    async with FakeServer(behaviour_raw(server_header() + features(starttls=False))) as srv:
        err = await channel_error(srv, pipeline=True)
    assert isinstance(err, PipelineRefused)
    assert isinstance(err.cause, StartTlsMissing)


async def test_injection_of_tls_looking_bytes_is_kept_apart():
    async with FakeServer(behaviour_good(after_proceed=TLS_SERVER_HELLO)) as srv:
        chan = (await channel(srv))[0]
        await chan.close()
        assert chan.injected == TLS_SERVER_HELLO


# --- connect -------------------------------------------------------------------------------


async def test_syn_dropped_ends_in_connect_timeout():
    # A full accept queue drops SYNs: the nearest local stand-in for a silent firewall.
    with blackhole() as (host, port), pytest.raises(ProbeError) as err:
        await open_channel(
            host,
            port,
            "example.org",
            "c2s",
            "starttls",
            deadline=Deadline.after(5),
            connect_timeout=0.3,
            phase_timeout=1.0,
        )
    assert err.value.code == "connect-timeout"


async def test_connection_refused():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ProbeError) as err:
        await open_channel(
            "127.0.0.1", port, "example.org", "c2s", "starttls", deadline=Deadline.after(2)
        )
    assert err.value.code == "connect-refused"


# --- silence and trickles ------------------------------------------------------------------


async def test_silent_server_hits_the_phase_timeout():
    async with FakeServer(behaviour_silent()) as srv:
        err = await channel_error(srv, phase_timeout=0.3)
    assert err.code == "phase-timeout"
    assert "stream header" in err.message


async def test_trickle_is_stopped_by_the_phase_not_per_recv():
    # One byte per 50 ms never trips a per-recv timeout of 0.3 s; the phase's own end does.
    async with FakeServer(behaviour_trickle(interval=0.05)) as srv:
        err = await channel_error(srv, phase_timeout=0.3, deadline=10)
    assert err.code == "phase-timeout"


async def test_trickle_is_stopped_by_the_overall_deadline():
    async with FakeServer(behaviour_trickle(interval=0.05)) as srv:
        err = await channel_error(srv, phase_timeout=30, deadline=0.4)
    assert err.code == "deadline"


# --- features ------------------------------------------------------------------------------


async def test_no_starttls_carries_the_features():
    hello = server_header() + features(starttls=False, mechanisms=("PLAIN", "DIGEST-MD5"))
    async with FakeServer(behaviour_raw(hello)) as srv:
        err = await channel_error(srv)
    assert isinstance(err, StartTlsMissing)
    assert err.code == "starttls-missing"
    assert err.features.sasl_mechanisms == ("PLAIN", "DIGEST-MD5")


async def test_pre_xmpp_1_server_without_version_has_no_features():
    async with FakeServer(behaviour_raw(server_header(version=None))) as srv:
        err = await channel_error(srv)
    assert err.code == "starttls-missing"


async def test_unprefixed_features_are_read():
    hello = server_header() + features(required=True, prefix=False)
    async with FakeServer(behaviour_raw(hello)) as srv:
        result = await probe_features(
            srv.host, srv.port, "example.org", "c2s", deadline=Deadline.after(3), **FAST
        )
    assert result.starttls_required


async def test_failure_instead_of_proceed():
    async with FakeServer(behaviour_starttls_failure()) as srv:
        err = await channel_error(srv)
    assert err.code == "starttls-failure"


def answer_starttls_with(data):
    return script(
        expect_header(),
        send(server_header() + features()),
        expect(b"<starttls"),
        send(data),
        hang(),
    )


async def test_something_else_instead_of_proceed():
    async with FakeServer(answer_starttls_with(b"<message><body>hi</body></message>")) as srv:
        err = await channel_error(srv)
    assert err.code == "protocol"
    assert "proceed" in err.message


async def test_something_else_instead_of_features():
    async with FakeServer(behaviour_raw(server_header() + b"<message/>")) as srv:
        err = await channel_error(srv)
    assert err.code == "protocol"


# --- stream errors -------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [True, False])
@pytest.mark.parametrize(
    ("condition", "text", "body"),
    [
        ("host-unknown", "no such domain", ""),
        ("see-other-host", "", "other.example.org:5222"),
        ("policy-violation", "TLS required", ""),
        ("improper-addressing", "", ""),
        ("invalid-namespace", "jabber:client on an s2s port", ""),
    ],
)
async def test_stream_errors(prefix, condition, text, body):
    data = server_header() + stream_error(condition, text, prefix=prefix, body=body)
    async with FakeServer(behaviour_raw(data, end=close())) as srv:
        err = await channel_error(srv)
    assert isinstance(err, StreamError)
    assert err.code == "stream-error"
    assert err.condition == condition
    assert condition in err.message
    if text:
        assert text in err.message
    if body:
        assert body in err.message


async def test_stream_error_in_answer_to_starttls():
    async with FakeServer(answer_starttls_with(stream_error("policy-violation", "go away"))) as srv:
        err = await channel_error(srv)
    assert isinstance(err, StreamError)
    assert err.condition == "policy-violation"


async def test_not_a_stream_at_all():
    async with FakeServer(behaviour_raw(b"<html><body>hello</body></html>")) as srv:
        err = await channel_error(srv)
    assert err.code == "protocol"


async def test_server_closing_the_stream():
    async with FakeServer(behaviour_raw(server_header() + b"</stream:stream>")) as srv:
        err = await channel_error(srv)
    assert err.code == "closed"


# --- hostile XML ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        b"<?xml version='1.0'?><!DOCTYPE stream:stream SYSTEM 'file:///etc/passwd'>",
        server_header() + b"<!-- comment -->" + features(),
        server_header() + b"<?xml-stylesheet href='x'?>" + features(),
        server_header() + b"<stream:features><!ENTITY x 'y'></stream:features>",
    ],
)
async def test_forbidden_xml(data):
    async with FakeServer(behaviour_raw(data)) as srv:
        err = await channel_error(srv)
    assert err.code in ("xml-forbidden", "xml-invalid")
    if b"DOCTYPE" in data or b"<!--" in data or b"<?xml-" in data:
        assert err.code == "xml-forbidden"


@pytest.mark.parametrize(
    "data",
    [
        server_header() + b"<stream:features>\xff\xfe</stream:features>",
        server_header() + b"\x00\x00\x00",
        b"SSH-2.0-OpenSSH_9.2\r\n",
        b"\xc3\x28garbage",
    ],
)
async def test_invalid_bytes(data):
    async with FakeServer(behaviour_raw(data)) as srv:
        err = await channel_error(srv)
    assert err.code == "xml-invalid"


async def test_endless_stream_hits_the_byte_cap():
    async with FakeServer(behaviour_endless()) as srv:
        err = await channel_error(srv, byte_cap=32 * 1024, deadline=10)
    assert err.code == "byte-cap"


async def test_default_byte_cap_is_64k():
    async with FakeServer(behaviour_endless()) as srv:
        err = await channel_error(srv, deadline=10)
    assert err.code == "byte-cap"
    assert "65536" in err.message


# --- TLS where XMPP was expected, resets ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "wait"),
    [(TLS_ALERT, True), (TLS_SERVER_HELLO, False), (TLS_SERVER_HELLO[:1], False)],
)
async def test_tls_bytes_on_a_starttls_port(data, wait):
    async with FakeServer(behaviour_raw(data, wait_header=wait)) as srv:
        err = await channel_error(srv)
    assert err.code == "protocol"
    assert "TLS" in err.message


async def test_reset_mid_stream():
    async with FakeServer(behaviour_reset_after(server_header() + b"<stream:feat")) as srv:
        err = await channel_error(srv)
    assert err.code == "reset"


async def test_reset_instead_of_an_answer():
    async with FakeServer(behaviour_raw(b"", end=reset())) as srv:
        err = await channel_error(srv)
    assert err.code == "reset"


async def test_fin_mid_stream():
    async with FakeServer(behaviour_raw(server_header(), end=close())) as srv:
        err = await channel_error(srv)
    assert err.code == "closed"


# --- isolation -----------------------------------------------------------------------------


async def test_a_hostile_endpoint_does_not_spoil_a_concurrent_probe():
    async with (
        FakeServer(behaviour_trickle(interval=0.05)) as slow,
        FakeServer(behaviour_endless()) as flood,
        FakeServer(behaviour_good(required=True)) as good,
    ):
        results = await asyncio.gather(
            channel(slow, phase_timeout=1.0),
            channel(flood),
            probe_features(
                good.host, good.port, "example.org", "c2s", deadline=Deadline.after(5), **FAST
            ),
            return_exceptions=True,
        )
    assert isinstance(results[0], ProbeError)
    assert results[0].code == "phase-timeout"
    assert isinstance(results[1], ProbeError)
    assert results[1].code == "byte-cap"
    assert results[2].starttls_required
    assert results[2].plaintext_refused is True


# --- plaintext authentication (c2s) -------------------------------------------------------


async def features_result(behaviour, stream="c2s", deadline=5.0, **kw):
    async with FakeServer(behaviour) as srv:
        result = await probe_features(
            srv.host,
            srv.port,
            "example.org",
            stream,
            deadline=Deadline.after(deadline),
            **{**FAST, **kw},
        )
        return result, srv.conns[0].received


@pytest.mark.parametrize(
    ("reply", "refused"),
    [
        (sasl_failure("not-authorized"), False),
        (b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", False),
        (sasl_failure("encryption-required"), True),
        (sasl_failure("mechanism-too-weak"), True),
        (stream_error("policy-violation", "encrypt first"), True),
        (sasl_failure("temporary-auth-failure"), None),
        (stream_error("host-unknown"), None),
    ],
)
async def test_plaintext_auth_verdicts(reply, refused):
    result, received = await features_result(
        behaviour_good(mechanisms=("SCRAM-SHA-1", "PLAIN"), auth_reply=reply)
    )
    assert result.starttls_offered
    assert result.sasl_mechanisms_before_tls == ("SCRAM-SHA-1", "PLAIN")
    assert result.plaintext_refused is refused
    assert b'mechanism="PLAIN"' in received  # PLAIN is what leaks a password
    assert result.plaintext_evidence


async def test_plaintext_auth_hang_up_counts_as_refused():
    hello = server_header() + features(mechanisms=("PLAIN",))
    result = (
        await features_result(script(expect_header(), send(hello), expect(b"</auth>"), close()))
    )[0]
    assert result.plaintext_refused is True
    assert "hung up" in result.plaintext_evidence


async def test_plaintext_auth_silence_is_unknown():
    silent = behaviour_raw(server_header() + features(mechanisms=("PLAIN",)))
    result = (await features_result(silent, phase_timeout=0.3))[0]
    assert result.plaintext_refused is None
    assert "no answer" in result.plaintext_evidence


async def test_required_starttls_without_mechanisms_is_refused_without_trying():
    result, received = await features_result(behaviour_good(required=True))
    assert result.starttls_required
    assert result.plaintext_refused is True
    assert b"<auth" not in received


async def test_no_mechanisms_but_not_required_tries_plain():
    result, received = await features_result(
        behaviour_good(auth_reply=sasl_failure("encryption-required"))
    )
    assert result.plaintext_refused is True
    assert b"<auth" in received


async def test_scram_only_is_tried_with_scram():
    result, received = await features_result(
        behaviour_good(
            mechanisms=("SCRAM-SHA-256",),
            auth_reply=b"<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cj1...</challenge>",
        )
    )
    assert b'mechanism="SCRAM-SHA-256"' in received
    assert result.plaintext_refused is False


# --- plaintext dialback (s2s) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "refused"),
    [
        (b"<db:result from='example.org' to='x' type='error'/>", False),
        (b"<db:result from='example.org' to='x' type='valid'/>", False),
        (stream_error("policy-violation", "Use of STARTTLS required"), True),
        (b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", True),
    ],
)
async def test_plaintext_dialback_verdicts(reply, refused):
    result, received = await features_result(
        behaviour_good(ns="jabber:server", dialback=True, dialback_reply=reply), stream="s2s"
    )
    assert result.dialback_before_tls
    assert result.plaintext_refused is refused
    assert b"<db:result" in received
    assert result.header.namespace == "jabber:server"


async def test_features_probe_is_one_connection_within_the_deadline():
    async with FakeServer(
        behaviour_good(mechanisms=("PLAIN",), auth_reply=sasl_failure("not-authorized"))
    ) as srv:
        result = await probe_features(
            srv.host, srv.port, "example.org", "c2s", deadline=Deadline.after(3), **FAST
        )
    assert srv.connections == 1
    assert result.header.from_ == "example.org"
    assert result.as_dict()["sasl_mechanisms_before_tls"] == ["PLAIN"]


async def test_plaintext_dialback_silence_means_it_went_on():
    # A server that requires TLS refuses at once; silence means it is verifying the key.
    hello = server_header("jabber:server", dialback=True) + features(dialback=True)
    result = (await features_result(behaviour_raw(hello), stream="s2s", phase_timeout=0.3))[0]
    assert result.plaintext_refused is False
    assert "went on" in result.plaintext_evidence


async def test_plaintext_dialback_silence_after_required_cannot_be_told():
    # Prosody with s2s_require_encryption verifies the key and refuses only at the end.
    hello = server_header("jabber:server", dialback=True) + features(required=True, dialback=True)
    result = (await features_result(behaviour_raw(hello), stream="s2s", phase_timeout=0.3))[0]
    assert result.starttls_required
    assert result.plaintext_refused is None
    assert "requires TLS" in result.plaintext_evidence


async def test_plaintext_dialback_hang_up_is_refused():
    hello = server_header("jabber:server", dialback=True) + features(required=True)
    behaviour = script(expect_header(), send(hello), expect(b"</db:result>"), close())
    result = (await features_result(behaviour, stream="s2s"))[0]
    assert result.plaintext_refused is True


# The key request is followed by a <db:verify/> the server answers from memory: an answer
# to it ends the wait, since a refusal of the key would have come first.
DIALBACK_REFUSAL = stream_error("policy-violation", "Use of STARTTLS required")


async def timed_dialback(behaviour, **kw):
    started = asyncio.get_running_loop().time()
    result, received = await features_result(
        behaviour, stream="s2s", phase_timeout=10.0, deadline=10.0, **kw
    )
    return result, received, asyncio.get_running_loop().time() - started


async def test_plaintext_dialback_verify_answered_ends_the_wait_early():
    result, received, elapsed = await timed_dialback(behaviour_dialback())
    assert received.index(b"<db:result") < received.index(b"<db:verify")
    assert result.plaintext_refused is False
    assert "went on" in result.plaintext_evidence
    assert elapsed < 1.0  # not DIALBACK_WAIT (3 s)


async def test_plaintext_dialback_verify_answered_after_required_cannot_be_told():
    result, _received, elapsed = await timed_dialback(behaviour_dialback(required=True))
    assert result.plaintext_refused is None
    assert "requires TLS" in result.plaintext_evidence
    assert elapsed < 1.0


async def test_slow_refusal_without_verify_answer_is_still_a_refusal():
    # A loaded server refusing after 1.5 s, never answering the verify: the full wait holds.
    behaviour = behaviour_dialback(
        verify_reply=None, result_reply=DIALBACK_REFUSAL, result_delay=1.5
    )
    result, _received, elapsed = await timed_dialback(behaviour)
    assert result.plaintext_refused is True
    assert "policy-violation" in result.plaintext_evidence
    assert 1.4 < elapsed < 2.5


async def test_refusal_racing_the_verify_answer_is_still_a_refusal():
    # The verify is answered at once, the refusal comes a moment later (another thread).
    behaviour = behaviour_dialback(result_reply=DIALBACK_REFUSAL, result_delay=0.1)
    result, _received, elapsed = await timed_dialback(behaviour)
    assert result.plaintext_refused is True
    assert elapsed < 1.0


async def test_refusal_before_the_verify_answer_wins():
    behaviour = behaviour_dialback(result_reply=DIALBACK_REFUSAL)
    result = (await timed_dialback(behaviour))[0]
    assert result.plaintext_refused is True


async def test_dialback_result_after_the_verify_answer_means_it_went_on():
    reply = b"<db:result from='example.org' to='x' type='invalid'/>"
    result = (await timed_dialback(behaviour_dialback(result_reply=reply, result_delay=0.05)))[0]
    assert result.plaintext_refused is False
    assert "result type invalid" in result.plaintext_evidence


# A <db:result/> other than valid only says the key's check failed (our .invalid sender
# cannot be dialled back): a refusal only when its error condition is about TLS, nothing
# when the server requires TLS (it may refuse once dialback succeeds), else evaluated in clear.
@pytest.mark.parametrize(
    ("reply", "required", "refused", "evidence"),
    [
        pytest.param(dialback_result("valid"), False, False, "accepted without TLS", id="valid"),
        pytest.param(
            dialback_result("valid"), True, False, "accepted without TLS", id="valid-required"
        ),
        pytest.param(
            dialback_result("invalid"),
            True,
            None,
            "checked the dialback key and it failed (result type invalid), but it requires TLS",
            id="invalid-required",
        ),
        pytest.param(
            dialback_result("invalid"),
            False,
            False,
            "dialback key evaluated without TLS (result type invalid)",
            id="invalid-optional",
        ),
        pytest.param(
            dialback_result("error", "remote-server-not-found"),
            True,
            None,
            "(result type error, remote-server-not-found), but it requires TLS",
            id="error-required",
        ),
        pytest.param(
            dialback_result("error", "remote-server-not-found"),
            False,
            False,
            "evaluated without TLS (result type error, remote-server-not-found)",
            id="error-optional",
        ),
        pytest.param(
            dialback_result("error", "policy-violation"),
            True,
            True,
            "refused before TLS (result type error, policy-violation)",
            id="policy-violation-required",
        ),
        pytest.param(
            dialback_result("error", "policy-violation"),
            False,
            True,
            "refused before TLS (result type error, policy-violation)",
            id="policy-violation-optional",
        ),
    ],
)
async def test_dialback_result_verdicts(reply, required, refused, evidence):
    behaviour = behaviour_dialback(required=required, result_reply=reply, result_delay=0.05)
    result = (await timed_dialback(behaviour))[0]
    assert result.starttls_required is required
    assert result.plaintext_refused is refused
    assert evidence in result.plaintext_evidence


@pytest.mark.parametrize(
    ("kind", "condition", "required", "refused"),
    [
        ("valid", "", False, False),
        ("valid", "", True, False),
        ("invalid", "", True, None),
        ("invalid", "", False, False),
        ("none", "", True, None),  # no type at all
        ("none", "", False, False),
        ("error", "", True, None),
        ("error", "", False, False),
        ("error", "remote-server-timeout", True, None),
        ("error", "forbidden", False, False),
        ("error", "policy-violation", False, True),
        ("error", "policy-violation", True, True),
        ("error", "not-authorized", False, None),
        ("error", "not-authorized", True, None),
        ("error", "item-not-found", False, None),
        ("error", "resource-constraint", False, None),
        ("error", "internal-server-error", True, None),
    ],
)
def test_dialback_verdict_table(kind, condition, required, refused):
    verdict, evidence = plaintext._dialback_verdict(kind, condition, required)
    assert verdict is refused
    assert f"result type {kind}" in evidence
    assert condition in evidence


def test_dialback_condition_skips_the_text():
    stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
    element = ET.fromstring(
        f"<result xmlns='jabber:server:dialback' type='error'><error xmlns='jabber:server'>"
        f"<text xmlns='{stanzas}'>TLS first</text><policy-violation xmlns='{stanzas}'/>"
        "</error></result>"
    )
    assert plaintext._dialback_condition(element) == "policy-violation"
    assert plaintext._dialback_condition(ET.fromstring("<result type='invalid'/>")) == ""


async def test_verify_answered_with_policy_violation_is_a_refusal():
    # XEP-0220 2.4: policy-violation in the answer to <db:verify/> is TLS required first.
    refusal = dialback_result("error", "policy-violation", element="verify")
    result, _received, elapsed = await timed_dialback(behaviour_dialback(verify_reply=refusal))
    assert result.plaintext_refused is True
    assert "<db:verify/> with policy-violation" in result.plaintext_evidence
    assert elapsed < 1.0


async def test_no_answer_at_all_waits_the_full_dialback_wait(monkeypatch):
    monkeypatch.setattr(plaintext, "DIALBACK_WAIT", 0.6)
    result, _received, elapsed = await timed_dialback(behaviour_dialback(verify_reply=None))
    assert result.plaintext_refused is False
    assert "no refusal within 0.6 s" in result.plaintext_evidence
    assert elapsed >= 0.6


async def test_hang_up_after_the_verify_answer_cannot_be_told():
    hello = server_header("jabber:server", dialback=True) + features(dialback=True)
    behaviour = script(
        expect_header(), send(hello), expect(b"</db:verify>"), send(VERIFY_INVALID), close()
    )
    result = (await timed_dialback(behaviour))[0]
    assert result.plaintext_refused is None
    assert "hung up" in result.plaintext_evidence
