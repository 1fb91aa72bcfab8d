"""The fleet scan against counting fake XMPP servers over real OpenSSL, and a fake signed DNS."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._fleet import run as fleet_run
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.request import (
    DomainRequest,
    ScanError,
    ScanOptions,
    requests_from,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.run import scan_fleet
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import POLICY_SCHEMA
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import (
    FakeDns,
    ZoneKey,
    make_zone,
)
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.fleet import (
    ConnCounter,
    start_servers,
)
from ansible_collections.xmpp.encryption.tests.unit.support.tls_server import (
    FEW_TLS12_CIPHERS,
    TlsServer,
    server_context,
    tls_files,
)

DOMAIN = "fleet.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return tls_files(tmp_path_factory.mktemp("pki"), DOMAIN)


def options(pki, **kw) -> ScanOptions:
    base = {
        "ca_path": str(pki.ca_file),
        "timeout": 30.0,
        "connect_timeout": 2.0,
        "nameservers": ("127.0.0.1",),
    }
    return ScanOptions(**{**base, **kw})


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, never listening: connect is refused)."""
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def explicit(domain: str, host: str, port: int, stream: str = "c2s") -> DomainRequest:
    return DomainRequest(domain, endpoints=({"host": host, "port": port, "stream": stream},))


async def run_explicit(pki, layout, **kw):
    """``layout``: address -> domains served there. Returns (result, counter, servers)."""
    counter = ConnCounter()
    with TlsServer(server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)) as tls:
        servers = await start_servers(counter, list(layout), tls.host, tls.port)
        try:
            requests = [
                explicit(d, srv.host, srv.port)
                for srv, domains in zip(servers, layout.values(), strict=True)
                for d in domains
            ]
            result = await scan_fleet(requests, options(pki, **kw))
        finally:
            for srv in servers:
                await srv.__aexit__(None, None, None)
    return result, counter, servers


async def test_per_server_and_global_bounds_hold_in_the_fake(pki):
    layout = {
        "127.0.0.2": ["one.test", "two.test"],
        "127.0.0.3": ["three.test", "four.test"],
        "127.0.0.4": ["five.test", "six.test"],
    }
    result, counter, _servers = await run_explicit(
        pki, layout, max_connections=3, max_connections_per_server=2, share_tls_scan=False
    )
    # every domain was probed in full, none lost to the bounds
    assert [d.domain for d in result.domains] == [d for ds in layout.values() for d in ds]
    for d in result.domains:
        (endpoint,) = d.endpoints
        assert endpoint["error"] is None, endpoint["problems"]
        assert endpoint["tls"]["versions"]["TLSv1.3"] is True
        assert endpoint["tls_shared_with"] is None
    # the fake saw many connections per server, never more than the bounds at once
    assert all(counter.opened[a] > 10 for a in layout)
    assert all(counter.peak[a] <= 2 for a in layout), counter.peak
    assert counter.total_peak <= 3, counter.total_peak
    assert result.stats.peak_connections <= 3
    assert all(v <= 2 for v in result.stats.peak_per_server.values())
    assert result.stats.connections == sum(counter.opened.values())


async def test_a_bound_of_one_is_honoured_and_does_not_deadlock(pki):
    layout = {"127.0.0.5": ["solo.test", "alias.solo.test"]}
    result, counter, _servers = await run_explicit(
        pki, layout, max_connections=1, max_connections_per_server=1, share_tls_scan=False
    )
    assert counter.peak["127.0.0.5"] == 1
    assert all(e["error"] is None for d in result.domains for e in d.endpoints)


async def test_aliases_share_one_tls_scan_but_not_features_or_certificate(pki):
    aliases = [f"alias{i}.test" for i in range(5)]
    shared, counter_shared, _servers = await run_explicit(
        pki, {"127.0.0.6": aliases}, max_connections_per_server=3
    )
    alone, counter_alone, _servers = await run_explicit(
        pki, {"127.0.0.7": aliases}, max_connections_per_server=3, share_tls_scan=False
    )
    assert shared.stats.shared_tls_scans == len(aliases) - 1
    assert alone.stats.shared_tls_scans == 0
    assert counter_shared.peak["127.0.0.6"] <= 3
    # sharing saves connections (each alias still opened its own features and certificate ones)
    assert counter_shared.opened["127.0.0.6"] < counter_alone.opened["127.0.0.7"]
    first, *rest = [d.endpoints[0] for d in shared.domains]
    for endpoint, name in zip(rest, aliases[1:], strict=True):
        assert endpoint["tls_shared_with"] == aliases[0]
        assert endpoint["endpoint"]["domain"] == name
        assert endpoint["tls"]["cipher_suites"] == first["tls"]["cipher_suites"]
        assert endpoint["features"]["starttls_required"] is True
        assert endpoint["certificate"]["sha256"] == first["certificate"]["sha256"]
    # the grade an alias gets from the shared scan is the one a full scan of its own gives
    for s, a in zip(shared.domains, alone.domains, strict=True):
        assert s.grade.grade == a.grade.grade
        assert [b.code for b in s.breaches] == [b.code for b in a.breaches]


async def test_unreachable_endpoint_is_a_breach_of_its_domain_only(pki):
    counter = ConnCounter()
    with TlsServer(server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)) as tls:
        (srv,) = await start_servers(counter, ["127.0.0.8"], tls.host, tls.port)
        try:
            requests = [
                explicit("up.test", srv.host, srv.port),
                explicit("down.test", "127.0.0.8", closed_port("127.0.0.8")),
                explicit("nowhere.test", "no-such-host.invalid", 5222),
                explicit("up2.test", srv.host, srv.port),
            ]
            result = await scan_fleet(requests, options(pki))
        finally:
            await srv.__aexit__(None, None, None)
    by = {d.domain: d for d in result.domains}
    assert [b.code for b in by["down.test"].breaches] == ["unreachable"]
    assert by["down.test"].endpoints[0]["error"]["code"] == "connect-refused"
    assert by["down.test"].grade.grade == "F"
    assert [b.code for b in by["nowhere.test"].breaches] == ["unreachable"]
    assert by["nowhere.test"].endpoints[0]["error"]["code"] == "unresolved"
    for name in ("up.test", "up2.test"):
        assert by[name].endpoints[0]["error"] is None
        assert by[name].endpoints[0]["tls"]["versions"]["TLSv1.2"] is True
        assert "unreachable" not in [b.code for b in by[name].breaches]
    assert result.verdict == "fail"
    assert result.counts()["endpoints_unreachable"] == 2


@pytest.fixture
def dns_fleet(tmp_path):
    """Signed zone: five aliases on one SRV target, a no-service domain, a dead target."""

    def build(port: int, dead_port: int):
        key = ZoneKey.new()
        aliases = "".join(
            f"_xmpp-client._tcp.alias{i} SRV 0 0 {port} xmpp\n"
            f"_xmpp-server._tcp.alias{i} SRV 0 0 0 .\n"
            for i in range(5)
        )
        zone = make_zone(
            "fleet.test.",
            aliases
            + "xmpp A 127.0.0.9\n"
            + "_xmpp-client._tcp.quiet SRV 0 0 0 .\n_xmpp-server._tcp.quiet SRV 0 0 0 .\n"
            + f"_xmpp-client._tcp.dead SRV 0 0 {dead_port} xmpp\n"
            + "_xmpp-server._tcp.dead SRV 0 0 0 .\n"
            + "_xmpp-client._tcp.noaddr SRV 0 0 5222 gone\n"
            + f"_xmpp-server._tcp.noaddr SRV 0 0 {port} xmpp\n",
            key,
        )
        anchor = tmp_path / "anchor"
        anchor.write_text(key.anchor_line("fleet.test."))
        return FakeDns([zone]), anchor

    return build


async def test_discovery_through_dns_aliases_share_the_server_bound(pki, dns_fleet):
    counter = ConnCounter()
    with TlsServer(server_context(pki, ciphers=FEW_TLS12_CIPHERS, server_preference=True)) as tls:
        (srv,) = await start_servers(counter, ["127.0.0.9"], tls.host, tls.port)
        dns, anchor = dns_fleet(srv.port, closed_port("127.0.0.9"))
        try:
            names = [f"alias{i}.fleet.test" for i in range(5)]
            requests = [DomainRequest(n) for n in [*names, "quiet.fleet.test", "dead.fleet.test"]]
            requests += [DomainRequest("missing.fleet.test"), DomainRequest("noaddr.fleet.test")]
            result = await scan_fleet(
                requests,
                options(
                    pki,
                    nameservers=("127.0.0.1",),
                    dns_port=dns.port,
                    dns_timeout=0.5,
                    trust_anchor=str(anchor),
                    max_connections_per_server=2,
                ),
            )
        finally:
            dns.close()
            await srv.__aexit__(None, None, None)
    by = {d.domain: d for d in result.domains}
    # five domains, one address: together never more than the server's bound
    assert counter.peak["127.0.0.9"] <= 2, counter.peak
    assert list(result.stats.peak_per_server) == ["127.0.0.9"]
    assert result.stats.peak_per_server["127.0.0.9"] <= 2
    for n in names:
        (endpoint,) = by[n].endpoints  # c2s from SRV; s2s is "." (no service): not probed
        assert endpoint["endpoint"]["host"] == "127.0.0.9"
        assert endpoint["endpoint"]["stream"] == "c2s"
        assert endpoint["srv"]["service"] == "_xmpp-client._tcp"
        assert endpoint["error"] is None
        assert by[n].dns is not None
        assert by[n].dns["dnssec"] == "secure"
    assert [b.code for b in by["quiet.fleet.test"].breaches] == ["unresolved"]
    assert "publishes no XMPP service" in by["quiet.fleet.test"].breaches[0].message
    assert [b.code for b in by["missing.fleet.test"].breaches] == ["unresolved"]
    assert "does not resolve" in by["missing.fleet.test"].breaches[0].message
    assert [b.code for b in by["dead.fleet.test"].breaches] == ["unreachable"]
    # a target without an address is a breach; the s2s target with one is still probed
    noaddr = by["noaddr.fleet.test"]
    assert "no-address" in [b.code for b in noaddr.breaches]
    assert [e["endpoint"]["stream"] for e in noaddr.endpoints] == ["s2s"]


async def test_unknown_policy_key_names_the_valid_keys(pki):
    with pytest.raises(ScanError) as err:
        await scan_fleet(
            [explicit("x.test", "127.0.0.1", 1)], options(pki, policy={"min_grad": "A"})
        )
    assert "min_grad" in str(err.value)
    for key in POLICY_SCHEMA:
        assert key in str(err.value)


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"ca_path": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"),
        ({"trust_anchor": "/nonexistent/anchor"}, "/nonexistent/anchor"),
        ({"max_connections": 0}, "at least 1"),
        ({"policy": {"min_grade": "Z"}}, "min_grade"),
    ],
)
async def test_bad_input_is_one_clear_error(pki, kw, words):
    with pytest.raises(ScanError, match=words):
        await scan_fleet([explicit("x.test", "127.0.0.1", 1)], options(pki, **kw))


def test_requests_merge_domains_components_and_explicit_endpoints():
    out = requests_from(
        ["A.example.", "b.example"],
        ["conf.a.example"],
        [{"domain": "b.example", "host": "10.0.0.1", "stream": "s2s"}],
    )
    assert [(r.domain, r.streams, len(r.endpoints)) for r in out] == [
        ("A.example.", ("c2s", "s2s"), 0),
        ("conf.a.example", ("s2s",), 0),
        ("b.example", ("c2s", "s2s"), 1),
    ]
    with pytest.raises(ScanError, match="nothing to scan"):
        requests_from([], [], [])


async def test_a_bug_in_one_probe_says_so_and_keeps_the_domains_other_data(pki, monkeypatch):
    """Issue 13 (12): a collection bug is named as one, not turned into the domain's loss."""
    real_probe = fleet_run.probe_endpoint
    broken, working = closed_port(), closed_port()

    async def probe_endpoint(target, options, **kw):
        if target.port == broken:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return await real_probe(target, options, **kw)

    monkeypatch.setattr(fleet_run, "probe_endpoint", probe_endpoint)
    request = DomainRequest(
        "bug.test",
        endpoints=(
            {"host": "127.0.0.1", "port": broken},
            {"host": "127.0.0.1", "port": working, "stream": "s2s"},
        ),
    )
    result = await scan_fleet([request], options(pki))
    (domain,) = result.domains
    errors = [e["error"]["code"] for e in domain.endpoints]
    assert errors == ["collection-bug", "connect-refused"]
    bugs = [b for b in domain.breaches if b.code == "scan-error"]
    assert len(bugs) == 1
    assert "bug in the xmpp.encryption collection" in bugs[0].message
    assert "UnicodeDecodeError" in bugs[0].message
    assert f"127.0.0.1:{broken}" in bugs[0].message
    # the working endpoint is still judged by the policy
    assert "unreachable" in [b.code for b in domain.breaches]


async def test_a_bug_in_judging_keeps_the_probe_results(pki, monkeypatch):
    def judge(plan, probed, options):
        raise KeyError("grade")

    monkeypatch.setattr(fleet_run, "judge", judge)
    result = await scan_fleet([explicit("judge.test", "127.0.0.1", closed_port())], options(pki))
    (domain,) = result.domains
    assert [e["error"]["code"] for e in domain.endpoints] == ["connect-refused"]
    assert [b.code for b in domain.breaches] == ["scan-error"]
    assert "bug in the xmpp.encryption collection" in domain.breaches[0].message
    assert "KeyError" in domain.breaches[0].message
