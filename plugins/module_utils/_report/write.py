"""Render a report document in every format and write the files atomically.

A pipeline may pick a report up the moment it appears, so each file is written to a
temporary name in the same folder and renamed over the old one: a reader sees the old report
or the new one, never half of either. A file whose content would not change is left alone.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._report.document import (
    ReportError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.html_page import render_html
from ansible_collections.xmpp.encryption.plugins.module_utils._report.json_document import (
    render_json,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.junit import render_junit
from ansible_collections.xmpp.encryption.plugins.module_utils._report.markdown import (
    render_markdown,
)

Renderer = Callable[[Mapping[str, Any]], str]
# format -> (file suffix, renderer); the file is <name><suffix> in the report folder.
FORMATS: dict[str, tuple[str, Renderer]] = {
    "json": (".json", render_json),
    "junit": (".junit.xml", render_junit),
    "html": (".html", render_html),
    "markdown": (".md", render_markdown),
}


@dataclass(frozen=True)
class WrittenReports:
    paths: dict[str, str]  # format -> path (written, or that would be written in check mode)
    changed: tuple[str, ...]  # the formats whose file is new or different


def render_reports(document: Mapping[str, Any], formats: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for fmt in formats:
        if fmt not in FORMATS:
            raise ReportError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
        out[fmt] = FORMATS[fmt][1](document)
    return out


def _same_content(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # mkstemp makes 0600; a report is meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(
    document: Mapping[str, Any],
    folder: str | os.PathLike[str],
    formats: Iterable[str] = tuple(FORMATS),
    *,
    name: str = "report",
    check_mode: bool = False,
    mode: int = 0o644,
) -> WrittenReports:
    """Render ``formats`` and write them as ``folder/name.<suffix>``; check mode writes nothing."""
    if not name or "/" in name or name in (".", ".."):
        raise ReportError(f"the report name {name!r} is not a plain file name")
    rendered = render_reports(document, formats)
    target = Path(folder)
    paths: dict[str, str] = {}
    changed: list[str] = []
    try:
        if not check_mode:
            target.mkdir(parents=True, exist_ok=True)
        for fmt, text in rendered.items():
            path = target / f"{name}{FORMATS[fmt][0]}"
            data = text.encode("utf-8")
            paths[fmt] = str(path)
            if _same_content(path, data):
                continue
            changed.append(fmt)
            if not check_mode:
                write_atomic(path, data, mode)
    except OSError as exc:
        raise ReportError(f"cannot write the reports in {target}: {exc}") from exc
    return WrittenReports(paths=paths, changed=tuple(changed))
