"""TLSA records read for republishing: each set with the DNSSEC verdict that vouches for it."""

from __future__ import annotations

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    DnsInspectError,
    read_tlsa,
)
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import TLSA_OLD as OLD


def read(zones, *names: str):
    server, anchor = zones
    return read_tlsa(
        names, nameservers=["127.0.0.1"], port=server.port, timeout=0.5, trust_anchor=str(anchor)
    )


def test_only_a_signed_answer_is_secure(tlsa_zones) -> None:
    good, forged, absent, plain = read(
        tlsa_zones,
        "_5222._tcp.xmpp.signed.test",
        "_5269._tcp.xmpp.signed.test",
        "_5270._tcp.xmpp.signed.test",
        "_5222._tcp.xmpp.plain.test",
    )
    assert good.dnssec.status == "secure"
    assert [r.as_text() for r in good.records] == [f"3 1 1 {OLD}"]
    assert forged.dnssec.status == "bogus"  # a record the zone's key did not sign
    assert absent.dnssec.status == "secure"  # a signed denial: nothing to keep, for sure
    assert absent.records == ()
    assert plain.dnssec.status != "secure"  # no anchor reaches it: nobody vouches for it


@pytest.mark.parametrize("name", ["xmpp.signed.test", "_99999._tcp.x.test", "_5222._tcp.a..b"])
def test_names_must_be_tlsa_owner_names(tlsa_zones, name: str) -> None:
    with pytest.raises(DnsInspectError, match="TLSA owner name"):
        read(tlsa_zones, name)
