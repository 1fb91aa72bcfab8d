"""tlsa_info through AnsibleModule against the fake DNS zones, in check mode as it always runs."""

from __future__ import annotations

from ansible_collections.xmpp.encryption.plugins.modules import tlsa_info
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import TLSA_OLD as OLD
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module


def test_module_returns_records_by_name(tlsa_zones) -> None:
    server, anchor = tlsa_zones
    names = ["_5222._tcp.xmpp.signed.test", "_5269._tcp.xmpp.signed.test"]
    args = {
        "names": names,
        "nameservers": ["127.0.0.1"],
        "port": server.port,
        "trust_anchor": str(anchor),
        "timeout": 0.5,
    }
    result = run_module(tlsa_info, args, check=True).result
    assert result["changed"] is False
    assert result["tlsa"][names[0]] == {
        "records": [f"3 1 1 {OLD}"],
        "dnssec": result["tlsa"][names[0]]["dnssec"],
        "secure": True,
    }
    assert result["tlsa"][names[0]]["dnssec"]["status"] == "secure"
    assert result["tlsa"][names[1]]["secure"] is False
