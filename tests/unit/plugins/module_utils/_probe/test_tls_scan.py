"""scan_tls against real OpenSSL servers configured with known versions, suites and groups."""

from __future__ import annotations

import socket
import ssl
import warnings

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import Deadline
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.channels_ahead import DEPTH
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_scan import (
    TLS_SCAN_CHECKS,
    chunks_for,
    scan_tls,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import (
    SUITES,
    SUITES_BY_NAME,
    VERSIONS,
)
from ansible_collections.xmpp.encryption.tests.unit.support.tls_server import (
    TlsServer,
    connector,
    server_context,
)

LEGACY = ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2")


def expected_suites(ctx: ssl.SSLContext, version: str) -> set[str]:
    """What this server can pick with an RSA certificate, no PSK and no SRP, per OpenSSL."""
    names = set()
    for cipher in ctx.get_ciphers():
        suite = SUITES[cipher["id"] & 0xFFFF]
        if version not in suite.versions:
            continue
        if suite.auth in ("RSA", "anon", "TLS13") and suite.kex not in ("SRP", "RSA_PSK"):
            names.add(suite.name)
    return names


def openssl_name(code: int) -> str:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return next(c["name"] for c in ctx.get_ciphers() if c["id"] & 0xFFFF == code)


def stdlib_client_accepts(port: int, version: str, suite_name: str) -> bool:
    """Independent check: can Python's own ssl client negotiate this suite and version?"""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_ciphers(openssl_name(SUITES_BY_NAME[suite_name].code) + ":@SECLEVEL=0")
    tls_version = {"TLSv1.0": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1}.get(
        version, ssl.TLSVersion.TLSv1_2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ctx.maximum_version = tls_version
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            ctx.wrap_socket(raw) as tls,
        ):
            return tls.cipher()[0] == openssl_name(SUITES_BY_NAME[suite_name].code)
    except (ssl.SSLError, OSError):
        return False


def connection_bound(result, versions: list[str]) -> int:
    """A property of the algorithm: one per accepted suite and group, one refusal per chunk
    and per group chain, a version probe each, the order probes, and the first hello; the
    connections the chains open ahead leave at most ``DEPTH`` unused at the end of the scan."""
    suites = sum(len(v) for v in result.suites.values())
    groups = len(result.groups) + len(result.groups_tls12)
    chunks = sum(len(chunks_for(v)) if v != "TLSv1.3" else 1 for v in versions)
    return 1 + len(VERSIONS) + suites + chunks + groups + 2 + 2 * len(versions) + 2 + DEPTH


async def scan(server: TlsServer, checks=TLS_SCAN_CHECKS, alpn=None):
    result = await scan_tls(
        connector(server.port),
        sni="xmpp.test",
        checks=frozenset(checks),
        deadline=Deadline.after(60),
        alpn=alpn,
    )
    await server.caught_up(result.connections)
    print(f"connections={result.connections} accepted={server.accepted} hellos={server.hellos}")
    assert result.connections == server.accepted
    return result


async def test_modern_server_exactly(pki, tls_server):
    ctx = server_context(pki)
    server = tls_server(ctx)
    result = await scan(server)
    assert result.error is None, result.error
    assert result.anomalies == ()
    assert result.versions == {
        "SSLv3": False,
        "TLSv1.0": False,
        "TLSv1.1": False,
        "TLSv1.2": True,
        "TLSv1.3": True,
    }
    for version in ("TLSv1.2", "TLSv1.3"):
        assert set(result.suites[version]) == expected_suites(ctx, version)
        assert len(set(result.suites[version])) == len(result.suites[version])
    for name in result.suites["TLSv1.2"]:
        assert stdlib_client_accepts(server.port, "TLSv1.2", name), name
    assert result.forward_secrecy is True
    assert result.compression is False
    assert result.dh_bits == 2048
    assert result.chain_der == (pki.leaf_der, pki.ca_der)
    assert result.connections <= connection_bound(result, ["TLSv1.2", "TLSv1.3"])


async def test_legacy_server_with_seclevel_zero(pki, tls_server):
    ctx = server_context(
        pki,
        minimum=ssl.TLSVersion.TLSv1,
        ciphers="ALL:@SECLEVEL=0",
        server_preference=True,
        small_dh=True,
    )
    server = tls_server(ctx)
    result = await scan(server)
    assert result.error is None
    assert result.versions["TLSv1.0"]
    assert result.versions["TLSv1.1"]
    assert not result.versions["SSLv3"]
    for version in ("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"):
        assert set(result.suites[version]) == expected_suites(ctx, version), version
        assert result.server_preference[version] is True
    assert "TLS_DH_anon_WITH_AES_128_CBC_SHA" in result.suites["TLSv1.0"]
    for name in ("TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA"):
        assert stdlib_client_accepts(server.port, "TLSv1.0", name)
    assert result.forward_secrecy is False  # plain RSA key exchange is accepted
    assert result.dh_bits == 1024
    assert result.min_kex_bits == 253  # x25519 is smaller than the 1024-bit DH prime
    accepted = ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert result.connections <= connection_bound(result, accepted)


ORDER = ["AES128-SHA", "ECDHE-RSA-AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256", "AES256-SHA"]


@pytest.mark.parametrize("server_preference", [True, False])
async def test_server_preference_both_ways(pki, tls_server, server_preference):
    ctx = server_context(
        pki,
        maximum=ssl.TLSVersion.TLSv1_2,
        ciphers=":".join(ORDER),
        server_preference=server_preference,
    )
    result = await scan(tls_server(ctx), checks={"versions", "suites"})
    configured = [SUITES[c["id"] & 0xFFFF].name for c in ctx.get_ciphers()]
    configured = [n for n in configured if "TLSv1.2" in SUITES_BY_NAME[n].versions]
    assert set(result.suites["TLSv1.2"]) == set(configured)
    assert result.server_preference["TLSv1.2"] is server_preference
    if server_preference:  # all in one chunk: the picks are the server's own order
        assert list(result.suites["TLSv1.2"]) == configured


async def test_tls13_only_chain_through_key_schedule(pki, tls_server):
    ctx = server_context(pki, minimum=ssl.TLSVersion.TLSv1_3)
    ctx.verify_mode = ssl.CERT_OPTIONAL  # like an s2s port: a CertificateRequest is sent
    ctx.load_verify_locations(cadata=pki.ca_der)
    server = tls_server(ctx)
    result = await scan(server, checks={"certificate"})
    assert result.chain_der == (pki.leaf_der, pki.ca_der)
    assert result.certificate_version == "TLSv1.3"
    assert result.certificate_request is True
    assert result.connections == 1  # the first hello's own flight carried the chain


async def test_tls12_chain_in_clear_and_alpn(pki, tls_server):
    ctx = server_context(pki, maximum=ssl.TLSVersion.TLSv1_2)
    ctx.set_alpn_protocols(["xmpp-client"])
    result = await scan(tls_server(ctx), checks={"certificate"}, alpn="xmpp-client")
    assert result.chain_der == (pki.leaf_der, pki.ca_der)
    assert result.certificate_version == "TLSv1.2"
    assert result.certificate_request is False
    assert result.alpn == "xmpp-client"
    assert result.connections == 1


async def test_groups_follow_the_configured_curve(pki, tls_server):
    ctx = server_context(pki, curve="secp384r1")
    result = await scan(tls_server(ctx), checks={"groups", "certificate"})
    assert result.groups == ("secp384r1",)
    # the first hello's shares (x25519, P-256) drew a HelloRetryRequest: one more for the chain
    assert result.chain_der == (pki.leaf_der, pki.ca_der)
    assert result.certificate_version == "TLSv1.3"
    assert result.groups_tls12 == ("secp384r1",)
    assert result.min_kex_bits == 384
    assert result.dh_bits == 2048


async def test_only_requested_checks_are_reported(pki, tls_server):
    result = await scan(tls_server(server_context(pki)), checks={"versions"})
    assert result.versions["TLSv1.3"] is True
    assert result.suites == {}
    assert result.groups == ()
    assert result.chain_der == ()
    assert result.connections <= 1 + len(VERSIONS)


# Three suites in exactly the order the scanner offers them (strongest AEAD first).
OUR_ORDER = [
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-GCM-SHA256",
]


async def test_server_order_equal_to_ours_needs_no_order_probe(pki, tls_server):
    # The reversed second offer shows a server that chooses even when its order is ours;
    # only a server that follows the client's order still costs the reversed order probe.
    # Hellos, not connections: the order probe may take a connection opened ahead.
    hellos = {}
    for server_preference in (True, False):
        ctx = server_context(
            pki,
            maximum=ssl.TLSVersion.TLSv1_2,
            ciphers=":".join(OUR_ORDER),
            server_preference=server_preference,
        )
        codes = [c["id"] & 0xFFFF for c in ctx.get_ciphers() if c["name"] in OUR_ORDER]
        assert codes == sorted(codes, key=chunks_for("TLSv1.2")[0].index)
        server = tls_server(ctx)
        result = await scan(server, checks={"versions", "suites"})
        assert list(result.suites["TLSv1.2"]) == [SUITES[c].name for c in codes]
        assert result.server_preference["TLSv1.2"] is server_preference
        hellos[server_preference] = server.hellos
    assert hellos[True] == hellos[False] - 1
