"""Plan edits on Prosody's configuration tree: the new text of every file that changes.

Edits are spans in the original text: a value is replaced where it stands, a new option is
inserted after the last statement of its section, a removed option takes its line with it.
Everything else in every file stays byte for byte as it was. Nothing here writes a file.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    KEYWORDS,
    Assignment,
    Block,
    Chunk,
    Expr,
    IncludeStatement,
    ProsodyConfigError,
    Statement,
    lua_equal,
    parse_chunk,
    render_table_lines,
    render_value,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.tree import (
    Located,
    ProsodyConfig,
    plain,
    read_text,
    unchecked,
)

_WRAP_AT = 100  # a table longer than this on its line is written one item per line


@dataclass(frozen=True)
class Change:
    file: str
    section: str
    option: str
    old: Any
    new: Any
    action: str  # "set", "add", "remove", or "restore" (a whole file put back from a backup)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "section": self.section,
            "option": self.option,
            "old": self.old,
            "new": self.new,
            "action": self.action,
        }


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    before: Mapping[str, str]  # changed files only: original text
    after: Mapping[str, str]  # changed files only: new text

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# --- editing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str
    order: int


def _newline(text: str) -> str:
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _indent_at(text: str, offset: int) -> str:
    start = _line_start(text, offset)
    return re.match(r"[ \t]*", text[start:offset]).group(0)  # type: ignore[union-attr]


def _after_line(chunk: Chunk, offset: int) -> int:
    """After the trailing spaces and comments of a statement ending at ``offset``, and after
    its line break when nothing else follows on that line."""
    text = chunk.text
    comment_ends = dict(chunk.comments)
    pos = offset
    while pos < len(text):
        if text[pos] in " \t":
            pos += 1
        elif pos in comment_ends:
            pos = comment_ends[pos]
        elif text.startswith("\r\n", pos):
            return pos + 2
        elif text[pos] == "\n":
            return pos + 1
        else:
            break
    return pos


def _insertion_text(text: str, at: int, indent: str, line: str) -> str:
    """A new line of text for offset ``at``: a whole line at a line start, otherwise a line
    break first (and one after when the current line goes on past ``at``)."""
    newline = _newline(text)
    if at == 0 or text[at - 1] == "\n":
        return f"{indent}{line}{newline}"
    rest_of_line = at < len(text) and text[at] not in "\r\n"
    return f"{newline}{indent}{line}{newline if rest_of_line else ''}"


def _section_label(config: ProsodyConfig, host: str | None) -> str:
    if host is None:
        return "global"
    header = config.host_kind(host)
    kind = header.kind if header else "VirtualHost"
    return f"{kind} {host}"


def _render_for(chunk: Chunk, located: Located | None, at: int, value: Any, prefix: int) -> str:
    """The value's Lua text, spread over lines when it is a long table or replaces one."""
    inline = render_value(value)
    if not isinstance(value, list | tuple | dict) or not value:
        return inline
    text = chunk.text
    old: Expr | None = None
    if located is not None and isinstance(located.statement, Assignment):
        old = located.statement.value
    was_multiline = old is not None and "\n" in text[old.start : old.end]
    if not was_multiline and prefix + len(inline) <= _WRAP_AT:
        return inline
    indent = _indent_at(text, at) if located is not None else ""
    inner = indent + ("\t" if text.count("\n\t") > text.count("\n    ") else "    ")
    if old is not None and was_multiline:
        second = text.find("\n", old.start) + 1
        found = re.match(r"[ \t]*", text[second : old.end]).group(0)  # type: ignore[union-attr]
        inner = found or inner
    sep = (old.table_sep if old is not None else None) or ","
    items = list(value) if isinstance(value, list | tuple) else value
    return render_table_lines(items, indent, inner, sep, _newline(text))


def _settings_of(block: Block) -> list[Statement]:
    """The statements a new option goes after: an Include line sets nothing in its section
    (an included file starts global), so it does not count; nor does code that declares
    hosts (what follows it is in another section)."""
    return [
        s
        for s in block.statements
        if not isinstance(s, IncludeStatement) and not getattr(s, "declares_hosts", False)
    ]


class _Planner:
    def __init__(self, config: ProsodyConfig, host: str | None) -> None:
        self.config = config
        self.host = host
        self.section = _section_label(config, host)
        self.edits: dict[str, list[_Edit]] = {}
        self.changes: list[Change] = []

    def add_edit(self, path: str, start: int, end: int, text: str) -> None:
        edits = self.edits.setdefault(path, [])
        edits.append(_Edit(start, end, text, len(edits)))

    def old_value(self, item: Located) -> Any:
        if not isinstance(item.statement, Assignment):
            raise AssertionError(f"old_value() of a statement that sets no option: {item}")
        value = item.statement.value
        if value.literal:
            return plain(value.value)
        return plain(self.config.chunks[item.path].text[value.start : value.end])

    def set(self, name: str, value: Any) -> None:
        occurrences = self.config.assignments(self.host, name)
        if not occurrences:
            self.insert(name, value)
            return
        for item in occurrences:
            statement = item.statement
            if not isinstance(statement, Assignment):  # assignments() returns nothing else
                raise AssertionError(f"assignments() returned a non-assignment: {item}")
            if statement.value.literal and lua_equal(statement.value.value, value):
                continue
            chunk = self.config.chunks[item.path]
            prefix = statement.value.start - _line_start(chunk.text, statement.value.start)
            rendered = _render_for(chunk, item, statement.start, value, prefix)
            self.add_edit(item.path, statement.value.start, statement.value.end, rendered)
            self.changes.append(
                Change(item.path, self.section, name, self.old_value(item), value, "set")
            )

    def anchor(self) -> tuple[str, int, str]:
        """Where a new option of this section goes: file, offset and the indentation to use."""
        if self.host is None:
            chunk = self.config.chunks[self.config.main]
            block = chunk.blocks[0]
            if _settings_of(block):
                last = _settings_of(block)[-1]
                return chunk.path, _after_line(chunk, last.end), _indent_at(chunk.text, last.start)
            if len(chunk.blocks) > 1:
                header = chunk.blocks[1].header
                if header is None:  # only the first block of a file is the global one
                    raise AssertionError(f"{chunk.path}: a block after the first has no header")
                start = _line_start(chunk.text, header.start)
                only_space = not chunk.text[start : header.start].strip()
                return chunk.path, start if only_space else header.start, ""
            return chunk.path, len(chunk.text), ""
        blocks = [
            (item_path, header)
            for item_path, header in self.config.headers
            if header.name == self.host
        ]
        if not blocks:
            known = sorted({h.name for _path, h in self.config.headers})
            raise ProsodyConfigError(
                self.config.main,
                None,
                f"no VirtualHost or Component named {self.host!r} is declared"
                f" (declared: {', '.join(known) or 'none'})",
            )
        path, header = blocks[-1]
        chunk = self.config.chunks[path]
        block = next(b for b in chunk.blocks if b.header is header)
        if _settings_of(block):
            last = _settings_of(block)[-1]
            return path, _after_line(chunk, last.end), _indent_at(chunk.text, last.start)
        # An empty section: indent like the options of other sections in the file, if any.
        indents = [_indent_at(chunk.text, s.start) for b in chunk.blocks[1:] for s in b.statements]
        indent = max(set(indents), key=indents.count) if indents else ""
        return path, _after_line(chunk, header.end), indent

    def insert(self, name: str, value: Any) -> None:
        path, at, indent = self.anchor()
        chunk = self.config.chunks[path]
        prefix = len(indent) + len(name) + 3
        rendered = _render_for(chunk, None, at, value, prefix)
        if "\n" in rendered:
            rendered = rendered.replace(_newline(chunk.text), _newline(chunk.text) + indent)
        text = _insertion_text(chunk.text, at, indent, f"{name} = {rendered}")
        self.add_edit(path, at, at, text)
        self.changes.append(Change(path, self.section, name, None, value, "add"))

    def remove(self, name: str) -> None:
        for item in self.config.assignments(self.host, name):
            chunk = self.config.chunks[item.path]
            text = chunk.text
            start, end = item.statement.start, item.statement.end
            line_start = _line_start(text, start)
            after = _after_line(chunk, end)
            alone_before = not text[line_start:start].strip()
            ends_line = after == len(text) or text[after - 1] == "\n"
            if alone_before and ends_line:
                start, end = line_start, after  # the whole line, with its trailing comment
            self.add_edit(item.path, start, end, "")
            self.changes.append(
                Change(item.path, self.section, name, self.old_value(item), None, "remove")
            )

    def plan(self) -> Plan:
        before: dict[str, str] = {}
        after: dict[str, str] = {}
        for path, edits in self.edits.items():
            text = self.config.chunks[path].text
            out, pos = [], 0
            for edit in sorted(edits, key=lambda e: (e.start, e.order)):
                if edit.start < pos:
                    raise ProsodyConfigError(path, None, "internal error: overlapping edits")
                out += [text[pos : edit.start], edit.text]
                pos = edit.end
            out.append(text[pos:])
            before[path], after[path] = text, "".join(out)
        return Plan(tuple(self.changes), before, after)


def _check_result(
    plan: Plan, host: str | None, settings: Mapping[str, Any], remove: Sequence[str]
) -> None:
    """Parse every new text again and confirm it says what was asked, in the right section."""
    for path, text in plan.after.items():
        chunk = parse_chunk(text, path, tolerant=True)
        found: dict[str, Any] = {}
        for block in chunk.blocks:
            if (block.header.name if block.header else None) != host:
                continue
            for statement in block.statements:
                if isinstance(statement, Assignment):
                    found[statement.name] = statement.value
        for change in plan.changes:
            if change.file != path:
                continue
            if change.option in remove and change.option in found:
                raise ProsodyConfigError(path, None, f"internal error: {change.option} remains")
            if change.option in settings:
                value = found.get(change.option)
                if value is None or not (
                    value.literal and lua_equal(value.value, settings[change.option])
                ):
                    raise ProsodyConfigError(
                        path, None, f"internal error: {change.option} did not take its value"
                    )


def plan_edits(
    config: ProsodyConfig,
    host: str | None = None,
    settings: Mapping[str, Any] | None = None,
    remove: Sequence[str] = (),
) -> Plan:
    """Compute the new text of every file that needs a change; writes nothing."""
    settings = dict(settings or {})
    both = sorted(set(settings) & set(remove))
    if both:
        raise ProsodyConfigError(config.main, None, f"both set and removed: {', '.join(both)}")
    for name in [*settings, *remove]:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name in _RESERVED:
            raise ProsodyConfigError(config.main, None, f"{name!r} is not a valid option name")
    if host is not None and config.host_kind(host) is None:
        _Planner(config, host).anchor()  # raises the error that names the declared hosts
    blocked = unchecked(config, host, [*settings, *remove])
    if blocked:  # the whole edit of this section is refused: never a partial one
        why = "; ".join(f"{b.path}:{b.line}: {b.message}" for b in blocked)
        raise ProsodyConfigError(blocked[0].path, blocked[0].line, f"nothing was changed: {why}")
    planner = _Planner(config, host)
    for name, value in settings.items():
        try:
            render_value(value)
        except ValueError as exc:
            raise ProsodyConfigError(config.main, None, f"{name}: {exc}") from exc
        planner.set(name, value)
    for name in remove:
        planner.remove(name)
    plan = planner.plan()
    _check_result(plan, host, settings, remove)
    return plan


_RESERVED = KEYWORDS | {"VirtualHost", "virtualhost", "Host", "host", "Component", "component"}
_RESERVED |= {"Include", "include"}


def sha256_of(text: str) -> str:
    """The SHA-256 of a file's bytes as read (the text keeps undecodable bytes as they were)."""
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def plan_restore(
    config: ProsodyConfig, backups: Mapping[str, str], expected: Mapping[str, str]
) -> Plan:
    """Put each file of BACKUPS (file -> backup) back as its backup holds it; refuse, naming
    the files, when a file of EXPECTED (file -> SHA-256) no longer holds what was written."""
    texts = config.texts()
    # Backups are recorded under the real path of their file (a symlinked config included).
    known = {os.path.realpath(f): f for f in texts}
    unknown = sorted(f for f in [*backups, *expected] if os.path.realpath(f) not in known)
    if unknown:
        raise ProsodyConfigError(
            config.main, None, f"not part of this configuration: {', '.join(unknown)}"
        )
    changed = sorted(
        f
        for f, digest in expected.items()
        if sha256_of(texts[known[os.path.realpath(f)]]) != digest
    )
    if changed:
        raise ProsodyConfigError(
            changed[0],
            None,
            f"changed since it was written ({', '.join(changed)}); nothing was restored",
        )
    after: dict[str, str] = {}
    for file, backup in backups.items():
        path = known[os.path.realpath(file)]
        text = read_text(backup)
        if text != texts[path]:
            after[path] = text
    before = {f: texts[f] for f in after}
    changes = tuple(Change(f, "file", "*", None, None, "restore") for f in after)
    return Plan(changes, before, after)
