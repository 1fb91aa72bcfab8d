"""Supply chain: every dependency is pinned to, or bounded around, what the tests run."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[3]
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())


def installed_collection(fqcn: str) -> str:
    """The version of a collection the tests import (the venv's, as ansible finds it)."""
    namespace, name = fqcn.split(".")
    for entry in sys.path:
        manifest = Path(entry) / "ansible_collections" / namespace / name / "MANIFEST.json"
        if manifest.is_file():
            return json.loads(manifest.read_text())["collection_info"]["version"]
    pytest.fail(f"{fqcn} is not installed beside the tests")


@pytest.mark.parametrize("fqcn", sorted(GALAXY["dependencies"]))
def test_galaxy_dependencies_are_bounded_around_the_tested_version(fqcn):
    spec = SpecifierSet(GALAXY["dependencies"][fqcn])
    operators = {s.operator for s in spec}
    assert ">=" in operators, f"{fqcn}: no lower bound in {spec}"
    assert "<" in operators, f"{fqcn}: no upper bound in {spec}"
    tested = installed_collection(fqcn)
    assert tested in spec, f"{fqcn}: the tested {tested} is outside {spec}"
    # The lower bound is the tested version itself: nothing older was run.
    assert any(s.operator == ">=" and s.version == tested for s in spec), (fqcn, tested, spec)


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_python_requirements_pin_exact_versions(name):
    for line in (REPO / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z,\-]+\])?==[0-9][0-9A-Za-z.]*", line), line


def test_venv_script_installs_nothing_unpinned():
    script = (REPO / "scripts" / "venv.sh").read_text()
    installs = re.findall(r"pip install ([^\n]*)", script)
    assert installs, "venv.sh installs nothing?"
    for args in installs:
        assert "--upgrade" not in args.split(), args
        packages = [a for a in args.split() if not a.startswith("-")]
        for package in packages:
            assert "==" in package or '"$requirements"' in args, args
