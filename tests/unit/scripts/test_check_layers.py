"""scripts/check_layers.py: the layer rule and the managed-node payload rule, each able to fail."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[3]
PREFIX = "ansible_collections.xmpp.encryption.plugins.module_utils"


def load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_layers", REPO / "scripts" / "check_layers.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = load_checker()


def write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def tree(tmp_path: Path) -> Path:
    """A small collection: _x509 (level 1) and _probe (level 3), one managed-node module."""
    utils = "plugins/module_utils"
    for package in ("_x509", "_probe"):
        write(tmp_path, f"{utils}/{package}/__init__.py")
    write(tmp_path, f"{utils}/_x509/read.py", "import os\n")
    write(tmp_path, f"{utils}/_probe/stream.py", f"from {PREFIX}._x509.read import load\n")
    write(tmp_path, "plugins/modules/prosody_config.py", "import json\n")
    return tmp_path


def test_the_repository_itself_keeps_its_layers():
    assert check.layer_violations(REPO / "plugins" / "module_utils") == []
    assert check.payload_violations(REPO) == []


def test_a_clean_tree_passes(tmp_path):
    root = tree(tmp_path)
    assert check.layer_violations(root / "plugins" / "module_utils") == []
    assert check.payload_violations(root) == []


def test_an_import_upwards_is_named(tmp_path):
    root = tree(tmp_path)
    write(root, "plugins/module_utils/_x509/check.py", f"from {PREFIX}._probe import stream\n")
    (problem,) = check.layer_violations(root / "plugins" / "module_utils")
    assert problem.startswith("_x509/check.py: _x509 (level 1) imports _probe.stream (level 3)")


def test_code_in_an_init_and_a_flat_file_are_named(tmp_path):
    root = tree(tmp_path)
    write(root, "plugins/module_utils/_x509/__init__.py", "from .read import load\n")
    write(root, "plugins/module_utils/_loose.py")
    problems = check.layer_violations(root / "plugins" / "module_utils")
    assert any("_x509/__init__.py: __init__.py must stay empty" in p for p in problems)
    assert any("_loose.py: module_utils files belong in a package" in p for p in problems)


def test_a_package_without_a_level_is_named(tmp_path):
    root = tree(tmp_path)
    write(root, "plugins/module_utils/_ejabberd/config.py")
    (problem,) = check.layer_violations(root / "plugins" / "module_utils")
    assert "package _ejabberd has no level" in problem


def test_a_managed_node_module_reaching_the_prober_indirectly_is_named(tmp_path):
    root = tree(tmp_path)
    write(root, "plugins/module_utils/_x509/read.py", f"from {PREFIX}._probe.stream import x\n")
    write(root, "plugins/modules/prosody_config.py", f"from {PREFIX}._x509.read import y\n")
    (problem,) = check.payload_violations(root)
    assert problem == "plugins/modules/prosody_config.py: runs on managed servers but ships _probe"
