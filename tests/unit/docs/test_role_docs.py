"""docs/roles/ is generated from the roles' argument specs and must match them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import yaml

REPO = Path(__file__).resolve().parents[3]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_role_docs", REPO / "docs" / "gen_role_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_role_docs"] = module
    spec.loader.exec_module(module)
    return module


gen = load_generator()


def test_committed_pages_match_the_argument_specs() -> None:
    assert gen.differences(gen.render_all()) == []


def test_every_role_with_specs_has_a_page_listing_every_variable() -> None:
    pages = gen.render_all()
    for spec_file in REPO.glob("roles/*/meta/argument_specs.yml"):
        role = spec_file.parents[1].name
        options = yaml.safe_load(spec_file.read_text())["argument_specs"]["main"]["options"]
        page = pages[f"{role}.md"]
        for name in options:
            assert f"| `{name}` |" in page, f"{role}: {name} missing"


def test_a_changed_spec_is_detected(tmp_path: Path) -> None:
    role = tmp_path / "roles" / "demo" / "meta"
    role.mkdir(parents=True)
    spec = {
        "argument_specs": {
            "main": {
                "short_description": "Demo with C(code)",
                "options": {
                    "demo_x": {
                        "type": "list",
                        "elements": "str",
                        "default": [],
                        "description": "A | B",
                    }
                },
            }
        }
    }
    (role / "argument_specs.yml").write_text(yaml.safe_dump(spec))
    pages = gen.render_all(tmp_path / "roles")
    out = tmp_path / "out"
    out.mkdir()
    for name, text in pages.items():
        (out / name).write_text(text)
    assert gen.differences(pages, out) == []
    assert "| `demo_x` | list of str | `[]` | A \\| B |" in pages["demo.md"]
    assert "Demo with `code`" in pages["demo.md"]
    spec["argument_specs"]["main"]["options"]["demo_x"]["default"] = ["a"]
    (role / "argument_specs.yml").write_text(yaml.safe_dump(spec))
    assert gen.differences(gen.render_all(tmp_path / "roles"), out) == ["demo.md"]
    (out / "gone.md").write_text("old")
    assert "gone.md" in gen.differences(gen.render_all(tmp_path / "roles"), out)
