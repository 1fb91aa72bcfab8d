"""The whole probe against a fake STARTTLS server relaying to a real OpenSSL TLS server."""

import asyncio
import gc
import socket
import threading

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe import endpoint, plaintext
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    DEFAULT_PORTS,
    EndpointTarget,
    X509CheckError,
    probe_endpoint,
    run_probe,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import ProbeOptions
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import SUITES
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.xmpp_servers import (
    TLS_SERVER_HELLO,
    VERIFY_INVALID,
    FakeServer,
    behaviour_good,
    behaviour_quickstart,
    behaviour_raw,
    behaviour_silent,
    behaviour_trickle,
    features,
    proxy,
    sasl_failure,
    script,
    server_header,
    stream_error,
)
from ansible_collections.xmpp.encryption.tests.unit.support.tls_server import (
    FEW_TLS12_CIPHERS,
    TlsServer,
    accepted_suites,
    server_context,
    tls_files,
)

DOMAIN = "example.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return tls_files(tmp_path_factory.mktemp("pki"), DOMAIN)


def names(codes):
    return {SUITES[c].name for c in codes}


def options(pki, **kw):
    base = {
        "timeout": 20.0,
        "connect_timeout": 2.0,
        "phase_timeout": 5.0,
        "ca_path": str(pki.ca_file),
    }
    return ProbeOptions(**{**base, **kw})


class PeakSemaphore(asyncio.Semaphore):
    """Counts how many slots were held at once."""

    def __init__(self, value):
        super().__init__(value)
        self.held = 0
        self.peak = 0

    async def acquire(self):
        await super().acquire()
        self.held += 1
        self.peak = max(self.peak, self.held)
        return True

    def release(self):
        self.held -= 1
        super().release()


async def test_full_probe_through_starttls_to_real_tls(pki):
    ctx = server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)
    with TlsServer(ctx) as tls:
        behaviour = behaviour_good(
            mechanisms=("PLAIN",),
            auth_reply=sasl_failure("encryption-required"),
            then=proxy(tls.host, tls.port),
        )
        async with FakeServer(behaviour) as xmpp:
            limiter = PeakSemaphore(3)
            target = EndpointTarget(xmpp.host, xmpp.port, DOMAIN)
            result = await probe_endpoint(target, options(pki, max_connections=3), limiter=limiter)
    out = result.as_dict()
    assert out["error"] is None, out["problems"]
    assert out["endpoint"] == {
        "host": "127.0.0.1",
        "port": xmpp.port,
        "domain": DOMAIN,
        "stream": "c2s",
        "tls_mode": "starttls",
    }
    assert out["features"]["starttls_offered"] is True
    assert out["features"]["sasl_mechanisms_before_tls"] == ["PLAIN"]
    assert out["plaintext_refused"] is True
    assert out["starttls_injection"] is False

    expected = accepted_suites(ctx)
    versions = out["tls"]["versions"]
    assert versions["TLSv1.2"] is True
    assert versions["TLSv1.3"] is True
    assert versions["TLSv1.0"] is False
    assert versions["SSLv3"] is False
    assert set(out["tls"]["cipher_suites"]["TLSv1.2"]) == names(expected["TLSv1.2"])
    assert set(out["tls"]["cipher_suites"]["TLSv1.3"]) == names(expected["TLSv1.3"])
    assert out["tls"]["forward_secrecy"] is True
    assert out["tls"]["compression"] is False
    assert out["tls"]["groups"]

    cert = out["certificate"]
    assert cert["trusted"] is True, cert
    assert cert["name_matches"] is True
    assert cert["san_dns"] == [DOMAIN]

    # Every connection went through the factory, the bound held, and the count is honest.
    assert out["handshakes"] == xmpp.connections
    assert out["handshakes"] > 2  # the scan needs several hellos
    assert limiter.peak <= 3
    assert limiter.held == 0
    assert out["elapsed"] > 0


def slow(seconds):
    async def step(conn):
        await asyncio.sleep(seconds)

    return step


async def timed_probe(target, opts):
    started = asyncio.get_running_loop().time()
    result = await probe_endpoint(target, opts)
    return result, asyncio.get_running_loop().time() - started


async def test_s2s_plaintext_test_runs_beside_the_tls_scan(pki, monkeypatch):
    # A peer that never answers dialback: the probe lasts as long as the longer of the two
    # parts (plaintext wait, scan of slow handshakes), not their sum.
    monkeypatch.setattr(plaintext, "DIALBACK_WAIT", 1.5)
    with TlsServer(server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)) as tls:
        behaviour = behaviour_good(
            ns="jabber:server", then=script(slow(0.15), proxy(tls.host, tls.port))
        )
        async with FakeServer(behaviour) as xmpp:
            target = EndpointTarget(xmpp.host, xmpp.port, DOMAIN, stream="s2s")
            scan_only = options(pki, checks=frozenset({"versions", "suites", "certificate"}))
            _result, scan_time = await timed_probe(target, scan_only)
            result, both = await timed_probe(target, options(pki))
    assert result.features is not None
    assert result.features.plaintext_refused is False
    assert scan_time > 0.5
    assert 1.5 <= both < scan_time + 1.5 - 0.4  # the sum less a margin for a loaded host


async def test_s2s_probe_ends_when_the_peer_answers_the_verify(pki):
    with TlsServer(server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)) as tls:
        behaviour = behaviour_good(
            ns="jabber:server",
            required=True,
            verify_reply=VERIFY_INVALID,
            then=proxy(tls.host, tls.port),
        )
        async with FakeServer(behaviour) as xmpp:
            target = EndpointTarget(xmpp.host, xmpp.port, DOMAIN, stream="s2s")
            result, elapsed = await timed_probe(target, options(pki))
    assert result.error is None, result.problems
    assert result.features is not None
    assert result.features.plaintext_refused is None
    assert "<db:verify/>" in result.features.plaintext_evidence
    assert elapsed < 2.0  # DIALBACK_WAIT is 3 s


async def test_injection_is_reported_and_never_reaches_tls(pki):
    ctx = server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)
    with TlsServer(ctx) as tls:
        behaviour = behaviour_good(
            after_proceed=b"<message><body>injected</body></message>",
            then=proxy(tls.host, tls.port),
        )
        async with FakeServer(behaviour) as xmpp:
            target = EndpointTarget(xmpp.host, xmpp.port, DOMAIN)
            result = await probe_endpoint(target, options(pki, checks=frozenset({"certificate"})))
    assert result.starttls_injection is True
    assert result.error is None
    # The handshake still worked: the injected bytes were kept out of TLS.
    assert result.certificate is not None
    assert result.certificate.trusted


# --- pipelined STARTTLS on scan connections (XEP-0305) ------------------------------------

SCAN_ORDINARY = ["header", "features", "starttls", "proceed"]
SCAN_PIPELINED = ["header", "starttls", "features", "proceed"]


async def quickstart_probe(pki, ctx, max_connections=3, **behaviour):
    with TlsServer(ctx) as tls:
        fake = behaviour_quickstart(then=proxy(tls.host, tls.port), **behaviour)
        async with FakeServer(fake) as xmpp:
            target = EndpointTarget(xmpp.host, xmpp.port, DOMAIN)
            result = await probe_endpoint(target, options(pki, max_connections=max_connections))
    return result, [c.log for c in xmpp.conns], xmpp.connections


def assert_scan_correct(result, ctx):
    assert result.error is None, result.problems
    assert result.tls is not None
    assert result.tls.complete
    expected = accepted_suites(ctx)
    for version in ("TLSv1.2", "TLSv1.3"):
        assert set(result.tls.suites[version]) == names(expected[version])
    assert result.certificate is not None
    assert result.certificate.trusted


async def test_scan_connections_pipeline_once_starttls_was_seen(pki):
    ctx = server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)
    result, logs, connections = await quickstart_probe(pki, ctx)
    assert_scan_correct(result, ctx)
    scans = [log for log in logs if "proceed" in log]
    # The features probe never sends <starttls/>; the first scan connection (the only one
    # open before STARTTLS was seen) waits for the features; every later one pipelines:
    # 3 round trips before the ServerHello (TCP, header+starttls, ClientHello) instead of 4.
    assert len(logs) - len(scans) == 1
    assert scans.count(SCAN_ORDINARY) == 1
    assert scans.count(SCAN_PIPELINED) == len(scans) - 1 > 5
    assert result.pipelined == len(scans) - 1
    assert result.handshakes == connections
    assert result.starttls_injection is False
    assert not [p for p in result.problems if p.startswith("pipelining")]


async def test_pipelining_off_waits_for_the_features_everywhere(pki):
    ctx = server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)
    with TlsServer(ctx) as tls:
        fake = behaviour_quickstart(then=proxy(tls.host, tls.port))
        async with FakeServer(fake) as xmpp:
            target = EndpointTarget(xmpp.host, xmpp.port, DOMAIN)
            result = await probe_endpoint(target, options(pki, pipeline=False))
    assert_scan_correct(result, ctx)
    assert result.pipelined == 0
    assert all(c.log[:2] == ["header", "features"] for c in xmpp.conns)


@pytest.mark.parametrize("strict", ["stream-error", "failure", "close"])
async def test_strict_server_is_scanned_plainly_after_a_refusal(pki, strict):
    ctx = server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)
    result, logs, connections = await quickstart_probe(pki, ctx, strict=strict)
    assert_scan_correct(result, ctx)  # complete and right, only without the saving
    refused = [log for log in logs if log == ["header", "starttls"]]
    # Only the pipelined attempts already under way when the first refusal came (at most
    # one per connection slot); each was made again the ordinary way.
    assert 1 <= len(refused) <= 3
    assert result.pipelined == 0
    assert result.handshakes == connections
    notes = [p for p in result.problems if p.startswith("pipelining:")]
    assert len(notes) == 1
    assert result.as_dict()["pipelined"] == 0


async def test_injection_on_pipelined_connections_is_reported(pki):
    # Only pipelined connections inject: the report must come from them, and their TLS
    # handshakes must still work (the bytes never reach TLS).
    ctx = server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)
    evil = b"<message><body>injected</body></message>"
    result, _logs, _connections = await quickstart_probe(pki, ctx, inject_when_pipelined=evil)
    assert_scan_correct(result, ctx)
    assert result.pipelined > 5
    assert result.starttls_injection is True
    assert result.as_dict()["starttls_injection"] is True


async def test_direct_tls(pki):
    with TlsServer(server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)) as tls:
        target = EndpointTarget(tls.host, tls.port, DOMAIN, tls_mode="direct")
        result = await probe_endpoint(
            target, options(pki, checks=frozenset({"versions", "features"}))
        )
    out = result.as_dict()
    assert out["error"] is None
    assert out["features"] is None  # nothing to read before TLS on a direct-TLS port
    assert out["starttls_injection"] is None
    assert out["tls"]["versions"]["TLSv1.3"] is True
    assert out["certificate"] is None


async def test_untrusted_chain_with_another_ca(pki, tmp_path):
    other = tls_files(tmp_path, DOMAIN)
    with TlsServer(server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)) as tls:
        target = EndpointTarget(tls.host, tls.port, DOMAIN, tls_mode="direct")
        result = await probe_endpoint(
            target, options(pki, ca_path=str(other.ca_file), checks=frozenset({"certificate"}))
        )
    assert result.certificate is not None
    assert result.certificate.trusted is False
    assert result.certificate.trust_error


async def test_unreachable_endpoint_is_a_result(pki):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = await probe_endpoint(EndpointTarget("127.0.0.1", port, DOMAIN), options(pki))
    out = result.as_dict()
    assert out["error"]["code"] == "connect-refused"
    assert out["tls"]["versions"] == {} or not any(out["tls"]["versions"].values())
    assert out["certificate"] is None


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        (behaviour_raw(server_header() + stream_error("host-unknown")), "stream-error"),
        (behaviour_raw(TLS_SERVER_HELLO, wait_header=False), "protocol"),
        (
            behaviour_raw(server_header() + b"<stream:features><mechanisms/></stream:features>"),
            "starttls-missing",
        ),
    ],
)
async def test_hostile_endpoints_end_in_their_code(pki, behaviour, code):
    async with FakeServer(behaviour) as xmpp:
        target = EndpointTarget(xmpp.host, xmpp.port, DOMAIN)
        result = await probe_endpoint(target, options(pki, phase_timeout=0.5))
    assert result.error is not None
    assert result.error.code == code


async def test_trickling_endpoint_ends_at_the_overall_deadline(pki):
    async with FakeServer(behaviour_trickle(interval=0.05)) as xmpp:
        result = await probe_endpoint(
            EndpointTarget(xmpp.host, xmpp.port, DOMAIN),
            options(pki, timeout=0.6, phase_timeout=30.0),
        )
    assert result.error is not None
    assert result.error.code == "deadline"


async def test_a_silent_server_is_reported_at_the_stream_header_not_the_connect(pki):
    """The TCP connect finished; the server never sent its stream header (issue 13)."""
    async with FakeServer(behaviour_silent()) as xmpp:
        result = await probe_endpoint(
            EndpointTarget(xmpp.host, xmpp.port, DOMAIN),
            options(pki, timeout=0.6, phase_timeout=30.0),
        )
    assert result.error is not None
    assert result.error.code == "deadline"
    assert "stream header" in result.error.message
    assert "connect" not in result.error.message


async def test_starttls_missing_still_reports_features(pki):
    hello = server_header() + features(starttls=False, mechanisms=("PLAIN",))

    async with FakeServer(behaviour_raw(hello + sasl_failure("not-authorized"))) as xmpp:
        result = await probe_endpoint(EndpointTarget(xmpp.host, xmpp.port, DOMAIN), options(pki))
    out = result.as_dict()
    assert out["error"]["code"] == "starttls-missing"
    assert out["features"]["starttls_offered"] is False
    assert out["features"]["sasl_mechanisms_before_tls"] == ["PLAIN"]


# --- the module's core, without Ansible -----------------------------------------------------


def test_run_probe_defaults_and_unreachable_result():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    out = run_probe({"host": "127.0.0.1", "port": port, "timeout": 5, "checks": ["features"]})
    assert out["endpoint"]["domain"] == "127.0.0.1"
    assert out["error"]["code"] == "connect-refused"
    assert out["handshakes"] == 1


def test_run_probe_connects_while_the_trust_store_is_read(monkeypatch):
    # The trust store is read beside the probe, not before it: the first connection is
    # accepted while the check still runs (before, the check waited here in vain for 5 s).
    accepted = threading.Event()
    seen: list[bool] = []

    def slow_check(_options):
        seen.append(accepted.wait(5))

    monkeypatch.setattr(ProbeOptions, "check_trust_store", slow_check)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def accept_one():
            conn, _addr = listener.accept()
            accepted.set()
            conn.close()

        server = threading.Thread(target=accept_one)
        server.start()
        out = run_probe(
            {"host": "127.0.0.1", "port": listener.getsockname()[1], "checks": ["features"]}
        )
        server.join(5)
    assert seen == [True]
    assert out["error"] is not None  # the server closed at once: a result, not a hang


def test_run_probe_cuts_the_probe_off_at_a_bad_trust_store(monkeypatch):
    # A bad ca_path still fails the run, as soon as it is read: the probe does not go on.
    started = threading.Event()

    def bad_check(_options):
        started.wait(5)
        raise X509CheckError("no such CA file")

    async def endless(_target, _options):
        started.set()
        await asyncio.sleep(60)

    monkeypatch.setattr(ProbeOptions, "check_trust_store", bad_check)
    monkeypatch.setattr(endpoint, "probe_endpoint", endless)
    with pytest.raises(X509CheckError, match="no such CA file"):
        run_probe({"host": "127.0.0.1", "port": 1})


def test_a_probe_cut_off_mid_scan_leaves_no_unretrieved_error(monkeypatch, caplog):
    # The probe is cancelled while its connections are open: its gather of features and
    # scan is retrieved, so asyncio logs no "exception was never retrieved" for it.
    accepted = threading.Event()

    def bad_check(_options):
        accepted.wait(5)
        raise X509CheckError("no such CA file")

    monkeypatch.setattr(ProbeOptions, "check_trust_store", bad_check)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        held: list[socket.socket] = []

        def accept_and_hold():
            held.append(listener.accept()[0])
            accepted.set()

        server = threading.Thread(target=accept_and_hold)
        server.start()
        with pytest.raises(X509CheckError):
            run_probe({"host": "127.0.0.1", "port": listener.getsockname()[1], "timeout": 5})
        server.join(5)
        for conn in held:
            conn.close()
    gc.collect()
    assert accepted.is_set()
    assert not [r for r in caplog.records if r.name == "asyncio"]


def test_default_ports():
    assert DEFAULT_PORTS[("c2s", "starttls")] == 5222
    assert DEFAULT_PORTS[("s2s", "starttls")] == 5269
    assert DEFAULT_PORTS[("c2s", "direct")] == 5223
    assert DEFAULT_PORTS[("s2s", "direct")] == 5270


@pytest.mark.parametrize(
    "params",
    [
        {"host": "h", "stream": "x2s"},
        {"host": "h", "tls_mode": "sometimes"},
        {"host": "h", "checks": ["colour"]},
        {"host": "h", "port": 70000},
        {"host": "h", "max_connections": 0},
    ],
)
def test_bad_input_raises(params):
    with pytest.raises(ValueError):  # noqa: PT011 - any message
        run_probe(params)
