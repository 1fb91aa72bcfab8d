"""Every module's documentation, with its doc fragments merged the way ansible-doc merges them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.tests.unit.support.docs import merged_doc

REPO = Path(__file__).resolve().parents[3]
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_every_module_declares_check_and_diff_mode(module):
    attributes = merged_doc(module)["attributes"]
    for name in ("check_mode", "diff_mode"):
        attribute = attributes[name]
        assert attribute["description"]
        assert attribute["support"] in ("full", "partial", "none", "N/A")
        if attribute["support"] in ("partial", "N/A"):
            assert attribute["details"], f"{module}: say why {name} is {attribute['support']}"


@pytest.mark.parametrize("module", ["tls_info", "scan"])
def test_the_probe_options_come_from_one_fragment(module):
    options = merged_doc(module)["options"]
    for name in ("timeout", "connect_timeout", "ca_path", "checks", "pipelining"):
        assert options[name] == merged_doc("tls_info")["options"][name]
    assert "max_connections" in options  # its own meaning and default in each module


def test_the_dns_lookup_options_come_from_one_fragment():
    dns_info, tlsa_info = merged_doc("dns_info")["options"], merged_doc("tlsa_info")["options"]
    for name in ("nameservers", "port", "trust_anchor", "timeout"):
        assert dns_info[name] == tlsa_info[name]
