"""The SNI a ClientHello carries: the domain's IDNA 2008 A-labels, and never an IP address."""

from __future__ import annotations

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_wire import (
    build_client_hello,
)
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.tls_servers import (
    parse_client_hello,
)

EXT_SNI = 0


def sni_of(sni: str) -> bytes | None:
    hello = build_client_hello(version=0x0303, suites=[0xC02B], sni=sni)
    data = parse_client_hello(hello.record)["extensions"].get(EXT_SNI)
    return None if data is None else data[5:]  # list length, name type, name length


@pytest.mark.parametrize(
    ("domain", "sent"),
    [
        ("faß.example", b"xn--fa-hia.example"),  # IDNA 2003 would send fass.example
        ("Bücher.Example.", b"xn--bcher-kva.example"),
        ("XMPP.example", b"xmpp.example"),
    ],
)
def test_sni_is_the_idna2008_name(domain: str, sent: bytes) -> None:
    assert sni_of(domain) == sent


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_no_sni_for_an_ip_address(address: str) -> None:
    assert sni_of(address) is None  # RFC 6066 §3
