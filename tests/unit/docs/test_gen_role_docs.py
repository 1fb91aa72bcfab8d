"""docs/roles/ROLE.md: the guide by hand, the variables generated from the argument specs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
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
    out = tmp_path / "out"
    out.mkdir()
    pages = gen.render_all(tmp_path / "roles", out)
    for name, text in pages.items():
        (out / name).write_text(text)
    assert gen.differences(pages, out) == []
    assert "| `demo_x` | list of str | `[]` | A \\| B |" in pages["demo.md"]
    assert "Demo with `code`" in pages["demo.md"]
    spec["argument_specs"]["main"]["options"]["demo_x"]["default"] = ["a"]
    (role / "argument_specs.yml").write_text(yaml.safe_dump(spec))
    assert gen.differences(gen.render_all(tmp_path / "roles", out), out) == ["demo.md"]
    (out / "gone.md").write_text("old")
    assert "gone.md" in gen.differences(gen.render_all(tmp_path / "roles", out), out)


def demo_specs(default: int) -> dict:
    return {
        "argument_specs": {
            "main": {
                "short_description": "Demo",
                "options": {"demo_n": {"type": "int", "default": default, "description": "N"}},
            }
        }
    }


def test_the_guide_around_the_block_is_kept_and_the_block_is_rewritten() -> None:
    guide = "# The demo role\n\nWhy it exists.\n\n{block}\n\n## After\n\nMore text.\n"
    old = guide.format(block=gen.render_block("demo", demo_specs(1)))
    new = gen.render_role("demo", demo_specs(2), old)
    assert new == guide.format(block=gen.render_block("demo", demo_specs(2)))
    assert "| `demo_n` | int | `2` | N |" in new
    assert "`1`" not in new


def test_a_page_without_markers_gets_the_block_appended() -> None:
    page = gen.render_role("demo", demo_specs(1), "# The demo role\n\nGuide.\n")
    assert page.startswith("# The demo role\n\nGuide.\n\n" + gen.BEGIN)
    assert page.endswith(gen.END + "\n")
    assert gen.render_role("demo", demo_specs(1), page) == page  # stable once written


@pytest.mark.parametrize(
    "page",
    [
        "<!-- BEGIN variables -->\nno end\n",
        "<!-- END variables -->\n<!-- BEGIN variables -->\n",
        "<!-- BEGIN variables -->\n<!-- END variables -->\n" * 2,
    ],
)
def test_broken_markers_are_refused(page: str) -> None:
    with pytest.raises(gen.PageError):
        gen.render_role("demo", demo_specs(1), page)


def test_every_role_page_carries_its_guide() -> None:
    # One page per role: the hand-written guide is on it, not on a page of its own.
    assert not list((REPO / "docs").glob("role-*.md"))
    for spec_file in REPO.glob("roles/*/meta/argument_specs.yml"):
        role = spec_file.parents[1].name
        page = (REPO / "docs" / "roles" / f"{role}.md").read_text()
        guide = gen.BLOCK.sub("", page)
        assert guide.count("\n## ") >= 2, f"{role}: the page has no guide around the variables"
