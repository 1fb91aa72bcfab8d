"""Fail when a module_utils package imports one above it, or a managed-node module ships the prober.

The layers are the map of docs/architecture.md: a package may import its own files and the
packages of a lower level, nothing else, so there is no cycle between packages and a new server
backend or check has one obvious place. The modules that run on managed servers must not carry
controller-side code (prober, grading, reports, fleet): AnsiballZ ships whatever a module
imports, however indirectly, to every server it runs on.

Usage: python scripts/check_layers.py [REPO]   (exit 1 with one line per violation)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PREFIX = "ansible_collections.xmpp.encryption.plugins.module_utils."

# Level of each package: imports go strictly downwards (or stay inside the package).
LEVELS = {
    "_common": 0,
    "_tls": 1,
    "_x509": 1,
    "_prosody": 1,
    "_grading": 2,
    "_enforce": 2,
    "_probe": 3,
    "_dns": 3,
    "_certificate": 3,
    "_report": 3,
    "_fleet": 4,
}

# Modules that run on managed servers, and the packages they must never ship.
MANAGED_NODE_MODULES = ("prosody_", "certificate_", "acme_")
CONTROLLER_ONLY = {"_probe", "_grading", "_report", "_fleet"}


def imported_modules(path: Path) -> set[str]:
    """The collection's module_utils modules one file imports, as dotted names below PREFIX."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name[len(PREFIX) :] for name in names if name.startswith(PREFIX))
    return found


def source_of(utils: Path, dotted: str) -> Path | None:
    """The file a dotted module_utils name refers to (None for a package or a name in a module)."""
    candidate = utils.joinpath(*dotted.split(".")).with_suffix(".py")
    return candidate if candidate.is_file() and candidate.name != "__init__.py" else None


def layer_violations(utils: Path) -> list[str]:
    problems = []
    for path in sorted(utils.rglob("*.py")):
        rel = path.relative_to(utils)
        if path.name == "__init__.py":
            if path.read_text().strip():
                problems.append(f"{rel}: __init__.py must stay empty (AnsiballZ ships it)")
            continue
        if len(rel.parts) == 1:
            problems.append(f"{rel}: module_utils files belong in a package of a layer")
            continue
        package = rel.parts[0]
        if package not in LEVELS:
            problems.append(f"{rel}: package {package} has no level in scripts/check_layers.py")
            continue
        # `from ._probe import stream` names both `_probe` and `_probe.stream`: one line per
        # package, naming its most specific target.
        targets: dict[str, str] = {}
        for name in imported_modules(path):
            other = name.split(".")[0]
            if other != package and len(name) > len(targets.get(other, "")):
                targets[other] = name
        for other, target in sorted(targets.items()):
            if other not in LEVELS:
                problems.append(f"{rel}: imports {target}, a package with no level")
            elif LEVELS[other] >= LEVELS[package]:
                problems.append(
                    f"{rel}: {package} (level {LEVELS[package]}) imports {target} "
                    f"(level {LEVELS[other]}); only lower levels may be imported"
                )
    return problems


def shipped_packages(utils: Path, module: Path) -> set[str]:
    """Every module_utils package a module reaches through its imports, transitively."""
    seen: set[str] = set()
    todo = list(imported_modules(module))
    while todo:
        dotted = todo.pop()
        if dotted in seen:
            continue
        seen.add(dotted)
        source = source_of(utils, dotted)
        if source is not None:
            todo.extend(imported_modules(source))
    return {dotted.split(".")[0] for dotted in seen}


def payload_violations(repo: Path) -> list[str]:
    utils = repo / "plugins" / "module_utils"
    problems = []
    for module in sorted((repo / "plugins" / "modules").glob("*.py")):
        if not module.name.startswith(MANAGED_NODE_MODULES):
            continue
        shipped = shipped_packages(utils, module) & CONTROLLER_ONLY
        if shipped:
            problems.append(
                f"plugins/modules/{module.name}: runs on managed servers but ships "
                f"{', '.join(sorted(shipped))}"
            )
    return problems


def main() -> int:
    repo = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
    problems = layer_violations(repo / "plugins" / "module_utils") + payload_violations(repo)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
