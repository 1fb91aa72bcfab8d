"""Every module's documentation, with its doc fragments merged the way ansible-doc merges them."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from ansible.utils.plugin_docs import add_fragments

REPO = Path(__file__).resolve().parents[3]
PACKAGE = "ansible_collections.xmpp.encryption.plugins"
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py"))


class Fragments:
    """The collection's doc fragments by full name, as Ansible's fragment loader finds them."""

    def get(self, name: str) -> Any:
        parts = name.split(".")  # asked first as a whole, then without a last ".VARIABLE"
        if len(parts) != 3 or parts[:2] != ["xmpp", "encryption"]:
            return None
        fragment = parts[2]
        try:
            found = importlib.import_module(f"{PACKAGE}.doc_fragments.{fragment}")
        except ModuleNotFoundError:
            return None
        return SimpleNamespace(**vars(found.ModuleDocFragment), ansible_name=name)


def merged_doc(module: str) -> dict[str, Any]:
    doc = yaml.safe_load(importlib.import_module(f"{PACKAGE}.modules.{module}").DOCUMENTATION)
    path = str(REPO / "plugins" / "modules" / f"{module}.py")
    add_fragments(doc, path, fragment_loader=Fragments(), is_module=True)
    return doc


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
