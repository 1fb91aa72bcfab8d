"""Prosody's configuration as a tree of files: read the main file and what it includes.

Sections follow Prosody's own rules: a file starts in the global section, every
``VirtualHost``/``Component`` line opens that host's section until the next one, and an
``Include``d file is read at the point of its ``Include`` line, starting global again.
Relative includes are resolved from the main file's directory; a glob may match many files
(read in sorted order, dot files skipped, as Prosody does).

``config_view`` is what Prosody would end up with, as data. Planning edits on the tree is
``edits.py``.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    Assignment,
    Block,
    Chunk,
    IncludeStatement,
    ProsodyConfigError,
    SectionHeader,
    Statement,
    Unevaluated,
    parse_chunk,
    render_string,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.secrets import (
    REDACTED,
    is_secret,
    mentions_secret,
    redact,
)

DEFAULT_PATH = "/etc/prosody/prosody.cfg.lua"


@dataclass(frozen=True)
class Located:
    """A statement with the file it is in and the section (None: global) it belongs to."""

    path: str
    host: str | None
    block: Block
    statement: Statement


@dataclass(frozen=True)
class IncludeInfo:
    path: str
    line: int
    pattern: str
    resolved: tuple[str, ...]


@dataclass(frozen=True)
class ProsodyConfig:
    main: str
    chunks: Mapping[str, Chunk]  # every file read, in the order first read
    located: tuple[Located, ...]  # every statement, in the order Prosody evaluates them
    headers: tuple[tuple[str, SectionHeader], ...]  # every section line, in evaluation order
    includes: tuple[IncludeInfo, ...]
    warnings: tuple[str, ...]

    def assignments(self, host: str | None, name: str | None = None) -> list[Located]:
        return [
            item
            for item in self.located
            if isinstance(item.statement, Assignment)
            and item.host == host
            and (name is None or item.statement.name == name)
        ]

    def host_kind(self, host: str) -> SectionHeader | None:
        return next((h for _path, h in self.headers if h.name == host), None)

    def texts(self) -> dict[str, str]:
        """Every file read, with the text it held then."""
        return {path: chunk.text for path, chunk in self.chunks.items()}


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ProsodyConfigError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    # surrogateescape keeps any byte that is not UTF-8 exactly as it was when written back.
    return data.decode("utf-8", "surrogateescape")


def _resolve_include(main_dir: str, pattern: str) -> tuple[str, ...]:
    full = pattern if os.path.isabs(pattern) else os.path.join(main_dir, pattern)
    if not glob.has_magic(full):
        return (os.path.normpath(full),)
    found = (p for p in glob.glob(full) if not os.path.basename(p).startswith("."))
    return tuple(sorted(os.path.normpath(p) for p in found if os.path.isfile(p)))


def load_config(
    path: str = DEFAULT_PATH, follow_includes: bool = True, tolerant: bool = False
) -> ProsodyConfig:
    """Read the main file and, if asked, every file it includes; refuse what is not clear.

    With ``tolerant``, code that is valid Lua but not plain options (``if`` blocks, loops,
    calls, computed host names) is kept unevaluated instead of refused: ``unchecked`` then
    says which edits depend on it.
    """
    main = os.path.abspath(path)
    main_dir = os.path.dirname(main)
    chunks: dict[str, Chunk] = {}
    located: list[Located] = []
    headers: list[tuple[str, SectionHeader]] = []
    includes: list[IncludeInfo] = []
    warnings: list[str] = []

    def visit(file: str, stack: tuple[str, ...]) -> None:
        chunk = chunks.get(file) or parse_chunk(read_text(file), file, tolerant)
        chunks.setdefault(file, chunk)
        for block in chunk.blocks:
            host = block.header.name if block.header else None
            if block.header:
                headers.append((file, block.header))
            for statement in block.statements:
                located.append(Located(file, host, block, statement))
                if isinstance(statement, IncludeStatement) and follow_includes:
                    resolved = _resolve_include(main_dir, statement.pattern)
                    line = chunk.line_of(statement.start)
                    includes.append(IncludeInfo(file, line, statement.pattern, resolved))
                    for target in resolved:
                        if target in stack:
                            raise ProsodyConfigError(file, line, f"include loop through {target}")
                        if not os.path.exists(target):
                            warnings.append(f"{file}:{line}: included file {target} is missing")
                            continue
                        visit(target, (*stack, target))
                elif isinstance(statement, IncludeStatement):
                    line = chunk.line_of(statement.start)
                    includes.append(IncludeInfo(file, line, statement.pattern, ()))

    visit(main, (main,))
    seen: dict[str, str] = {}
    for _path, header in headers:
        if header.dynamic:
            continue
        if seen.setdefault(header.name, header.kind) != header.kind:
            warnings.append(f"{header.name} is declared both as VirtualHost and as Component")
    return ProsodyConfig(
        main, chunks, tuple(located), tuple(headers), tuple(includes), tuple(warnings)
    )


@dataclass(frozen=True)
class Unchecked:
    """An edit that depends on code the editor does not evaluate, and why."""

    path: str
    line: int
    message: str


def unchecked(config: ProsodyConfig, host: str | None, names: Iterable[str]) -> list[Unchecked]:
    """Why setting or removing NAMES in section HOST (None: global) cannot be checked: code in
    that section that may set one of them, or a section with a computed name (which may be
    HOST) that sets one. Empty when the edit depends on nothing unevaluated."""
    wanted = set(names)
    dynamic = {h.name for _path, h in config.headers if h.dynamic}
    found: list[Unchecked] = []
    for item in config.located:
        statement = item.statement
        if isinstance(statement, Unevaluated):
            hits = wanted if statement.assigns is None else wanted & statement.assigns
        elif isinstance(statement, Assignment):
            hits = wanted & {statement.name}
        else:
            continue
        same = item.host == host
        maybe_same = host is not None and item.host in dynamic and item.host != host
        if not hits or not ((same and isinstance(statement, Unevaluated)) or maybe_same):
            continue
        line = config.chunks[item.path].line_of(statement.start)
        options = ", ".join(sorted(hits))
        section = "global" if host is None else host
        if maybe_same:
            why = f"the section {item.host} (its name is computed) may be {host} and sets it"
        else:
            why = f"the {getattr(statement, 'reason', 'code')} may set it"
        found.append(Unchecked(item.path, line, f"{options} in {section} cannot be checked: {why}"))
    return found


# --- a copy of the tree for validation -----------------------------------------------------------
def assembly_files(config: ProsodyConfig, changed: Iterable[str]) -> list[str]:
    """The files a validation copy of the tree needs: the main file, every changed file and
    every file that includes one of them, main first."""
    includers: dict[str, set[str]] = {}
    for include in config.includes:
        for target in include.resolved:
            includers.setdefault(target, set()).add(include.path)
    needed: set[str] = set()
    todo = list(changed)
    while todo:
        path = todo.pop()
        if path not in needed:
            needed.add(path)
            todo.extend(includers.get(path, ()))
    return [config.main, *sorted(needed - {config.main})]


def point_includes_at(
    config: ProsodyConfig, path: str, text: str, copies: Mapping[str, str]
) -> str:
    """TEXT (new or current text of PATH) with every Include that reads a file in COPIES
    replaced by Includes of each file it matches, the copies in place of their originals.
    Each replacement stays on its line, so the validator's line numbers stay right."""
    reads_a_copy = any(
        include.path == path and any(target in copies for target in include.resolved)
        for include in config.includes
    )
    if not reads_a_copy:
        return text  # kept as it is, even a text Lua would refuse: that is for the validator
    chunk = parse_chunk(text, path, tolerant=True)
    main_dir = os.path.dirname(config.main)
    out, pos = [], 0
    for block in chunk.blocks:
        for statement in block.statements:
            if not isinstance(statement, IncludeStatement):
                continue
            resolved = _resolve_include(main_dir, statement.pattern)
            if not any(target in copies for target in resolved):
                continue
            targets = (copies.get(target, target) for target in resolved)
            out += [
                text[pos : statement.start],
                "; ".join(f"Include {render_string(t)}" for t in targets),
            ]
            pos = statement.end
    out.append(text[pos:])
    return "".join(out)


# --- the parsed view ---------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A value fit for JSON: keys as strings, undecodable bytes replaced."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    return value


def config_view(config: ProsodyConfig, redact_secrets: bool = True) -> dict[str, Any]:
    """Options per section as Prosody would end up with them (the last assignment wins).

    Values that are not literals (``FileContents(...)``, ``"a" .. "b"``, references) are not
    evaluated: they are listed under ``expressions`` with their Lua source instead.
    ``locations`` gives the file and line of each option's last assignment.
    With ``redact_secrets``, secrets (``secrets.py``) are replaced, and so is the whole source
    of an expression that sets one.
    """

    def section() -> dict[str, Any]:
        return {"options": {}, "expressions": {}, "files": [], "locations": {}}

    global_section = section()
    hosts: dict[str, dict[str, Any]] = {}
    dynamic: dict[str, dict[str, Any]] = {}
    unevaluated: list[dict[str, Any]] = []
    for file, header in config.headers:
        if header.dynamic:
            line = config.chunks[file].line_of(header.start)
            dynamic.setdefault(header.name, {"kind": header.kind, "line": line, **section()})
            dynamic[header.name]["files"].append(file)
            continue
        entry = hosts.setdefault(header.name, {"kind": header.kind, **section()})
        if header.kind == "Component":
            entry.setdefault("module", header.module)
            if header.module is not None:
                entry["module"] = header.module
        if file not in entry["files"]:
            entry["files"].append(file)
    for item in config.located:
        if isinstance(item.statement, Unevaluated):
            assigns = item.statement.assigns
            unevaluated.append(
                {
                    "file": item.path,
                    "line": config.chunks[item.path].line_of(item.statement.start),
                    "section": "global" if item.host is None else item.host,
                    "reason": item.statement.reason,
                    "may_set": None if assigns is None else sorted(assigns),
                }
            )
        if not isinstance(item.statement, Assignment):
            continue
        if item.host is None:
            target = global_section
        else:
            target = dynamic[item.host] if item.host in dynamic else hosts[item.host]
        if item.path not in target["files"]:
            target["files"].append(item.path)
        value = item.statement.value
        name = item.statement.name
        target["options"].pop(name, None)
        target["expressions"].pop(name, None)
        line = config.chunks[item.path].line_of(item.statement.start)
        target["locations"][name] = {"file": item.path, "line": line}
        secret = redact_secrets and is_secret(name)
        if value.literal:
            shown = plain(value.value)
            target["options"][name] = redact(shown, secret) if redact_secrets else shown
        else:
            source = plain(config.chunks[item.path].text[value.start : value.end])
            hide = secret or (redact_secrets and mentions_secret(source))
            target["expressions"][name] = REDACTED if hide else source

    def strip(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if k != "kind"}

    return {
        "main": config.main,
        "files": list(config.chunks),
        "includes": [
            {"file": i.path, "line": i.line, "pattern": i.pattern, "resolved": list(i.resolved)}
            for i in config.includes
        ],
        "global": global_section,
        "virtualhosts": {n: strip(e) for n, e in hosts.items() if e["kind"] == "VirtualHost"},
        "components": {n: strip(e) for n, e in hosts.items() if e["kind"] == "Component"},
        "dynamic_sections": dynamic,
        "unevaluated": unevaluated,
        "warnings": list(config.warnings),
    }
