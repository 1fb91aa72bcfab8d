"""A module's documentation with its doc fragments merged, the way ansible-doc merges them."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from ansible.utils.plugin_docs import add_fragments

REPO = Path(__file__).resolve().parents[3]
PACKAGE = "ansible_collections.xmpp.encryption.plugins"


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
