"""What one domain's DNS may cost: SRV targets per domain, one deadline, the port, IDN names."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import (
    DnsClient,
    DnsQueryError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    MAX_SRV_TARGETS,
    DnsInspectError,
    inspect_domain,
)
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import (
    FakeDns,
    ZoneKey,
    make_zone,
)

CLIENT_TARGETS, SERVER_TARGETS = 40, 10


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeDns, Path]]:
    """``many.test``: 40 c2s and 10 s2s SRV targets; ``xn--fa-hia.test`` (faß) and ``fass.test``."""
    key = ZoneKey.new()
    body = [f"_xmpp-client._tcp SRV {i} 0 5222 c{i}\nc{i} A 127.0.1.{i}" for i in range(40)]
    body += [f"_xmpp-server._tcp SRV {i} 0 5269 s{i}\ns{i} A 127.0.2.{i}" for i in range(10)]
    zones = [
        make_zone("many.test.", "\n".join(body) + "\n", key),
        make_zone("xn--fa-hia.test.", "_xmpp-client._tcp SRV 0 0 5222 xmpp\nxmpp A 127.0.3.1\n"),
        make_zone("fass.test.", "_xmpp-client._tcp SRV 0 0 5222 xmpp\nxmpp A 127.0.3.2\n"),
    ]
    anchor = tmp_path_factory.mktemp("anchor") / "anchor"
    anchor.write_text(key.anchor_line("many.test."))
    server = FakeDns(zones)
    yield server, anchor
    server.close()


def service(report, label: str):
    return next(s for s in report.services if s.service == label)


def test_srv_targets_are_capped_per_domain(crowded) -> None:
    server, anchor = crowded
    report = inspect_domain(
        "many.test",
        nameservers=["127.0.0.1"],
        port=server.port,
        timeout=0.5,
        trust_anchor=str(anchor),
    )
    client = service(report, "_xmpp-client._tcp")
    assert [t.target for t in client.targets] == [f"c{i}.many.test." for i in range(16)]
    assert service(report, "_xmpp-server._tcp").targets == ()
    capped = [f for f in report.findings if f.startswith("srv-targets-capped")]
    assert len(capped) == 2
    assert f"has {CLIENT_TARGETS} targets; only the first {MAX_SRV_TARGETS}" in capped[0]
    assert f"has {SERVER_TARGETS} targets; only the first 0" in capped[1]
    looked_up = {name for _t, name, rdtype in server.seen if rdtype == "A"}
    assert len(looked_up) == MAX_SRV_TARGETS


def test_one_deadline_bounds_every_lookup_of_a_domain() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # takes queries, answers none
    silent.bind(("127.0.0.1", 0))
    try:
        started = time.monotonic()
        # four SRV lookups of three tries of 0.4 s each would take 4.8 s
        report = inspect_domain(
            "example.test",
            nameservers=["127.0.0.1"],
            port=silent.getsockname()[1],
            timeout=0.4,
            tries=3,
            total_timeout=1.0,
        )
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert elapsed < 1.6
    assert any(f.startswith("dns-deadline: the lookups of example.test.") for f in report.findings)
    assert all(s.status == "error" for s in report.services)


def test_client_deadline_ends_tries() -> None:
    client = DnsClient(["127.0.0.1"], port=9, timeout=5, deadline=time.monotonic() - 1)
    with pytest.raises(DnsQueryError, match="deadline"):
        client.query("example.test", "SRV")
    assert client.expired == 1
    assert client.udp_sent == 0


@pytest.mark.parametrize("port", [0, 65536, 70000, -1])
def test_port_out_of_range_is_a_bad_input(port: int) -> None:
    with pytest.raises(DnsInspectError, match="port must be 1-65535"):
        inspect_domain("example.test", nameservers=["127.0.0.1"], port=port)


def test_internationalised_domain_is_looked_up_by_idna2008(crowded) -> None:
    server, _anchor = crowded
    report = inspect_domain("faß.test", nameservers=["127.0.0.1"], port=server.port, timeout=0.5)
    # IDNA 2003 (Python's codec) would have asked for fass.test: another party's domain
    assert report.domain == "xn--fa-hia.test."
    client = service(report, "_xmpp-client._tcp")
    assert client.name == "_xmpp-client._tcp.xn--fa-hia.test."
    assert client.targets[0].addresses.a == ("127.0.3.1",)
    assert not [name for _t, name, _r in server.seen if "fass" in name]
