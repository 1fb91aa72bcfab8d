"""dns_info through AnsibleModule against the fake DNS lab, in check mode as it always runs."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.xmpp.encryption.plugins.modules import dns_info
from ansible_collections.xmpp.encryption.tests.unit.support.docs import merged_doc
from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import Lab
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module


def test_module_reports_the_domain(lab: Lab) -> None:
    result = run_module(
        dns_info,
        {
            "domain": "c.lab.test",
            "nameservers": ["127.0.0.1"],
            "port": lab.server.port,
            "trust_anchor": str(lab.anchor),
            "timeout": 0.5,
        },
        check=True,
    ).result
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert result["domain"] == "c.lab.test."
    client = result["services"]["_xmpp-client._tcp"]
    assert client["status"] == "records"
    assert client["dnssec"]["status"] == "secure"
    assert client["targets"][0]["addresses"]["cname"] == "real.c.lab.test."
    assert any(f.startswith("srv-target-cname") for f in result["findings"])


def test_module_matches_tlsa_and_fails_cleanly(lab: Lab, tmp_path: Path) -> None:
    base = {"nameservers": ["127.0.0.1"], "port": lab.server.port, "trust_anchor": str(lab.anchor)}
    ok = run_module(
        dns_info, {**base, "domain": "a.lab.test", "certificate": lab.cert_pem.decode()}, check=True
    ).result
    assert ok["tlsa_matched"] is True
    bad = run_module(
        dns_info,
        {**base, "domain": "a.lab.test", "trust_anchor": str(tmp_path / "none")},
        check=True,
    ).result
    assert bad["failed"] is True
    assert "trust anchor" in bad["msg"]


def test_documentation_matches_the_argument_spec() -> None:
    doc = merged_doc("dns_info")  # the lookup options come from the xmpp.encryption.dns fragment
    yaml.safe_load(dns_info.EXAMPLES)
    ret = yaml.safe_load(dns_info.RETURN)
    assert set(doc["options"]) == {
        "domain",
        "nameservers",
        "port",
        "trust_anchor",
        "timeout",
        "certificate",
    }
    assert {"domain", "dnssec", "services", "findings", "tlsa_matched", "queries"} <= set(ret)


def test_module_refuses_a_port_out_of_range() -> None:
    result = run_module(
        dns_info, {"domain": "a.lab.test", "nameservers": ["127.0.0.1"], "port": 70000}, check=True
    ).result
    assert result["failed"] is True
    assert "port must be 1-65535, not 70000" in result["msg"]
