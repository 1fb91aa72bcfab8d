"""The report as a short Markdown summary, fit for a pull-request or merge-request comment.

Forges render HTML inside Markdown, so server-controlled text is escaped for both: HTML's
special characters become entities and Markdown's become backslash escapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._report.summary import summarize

BREACH_LIMIT = 25  # a comment is a summary; the HTML and JSON reports hold everything
# Inline text never starts a line here, so only the characters that act mid-line are escaped.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def md(value: Any) -> str:
    """Inline Markdown text that renders exactly as ``value``, on one line, in a table cell."""
    text = _CONTROL.sub(" ", str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(document: Mapping[str, Any]) -> str:
    counts = document.get("counts") or {}
    verdict = str(document.get("verdict", "fail"))
    mark = "✅" if verdict == "pass" else "❌"
    grades = ", ".join(f"{md(g)}: {n}" for g, n in (counts.get("grades") or {}).items())
    lines = [
        f"### {mark} XMPP encryption: {verdict.upper()}",
        "",
        f"{counts.get('domains', 0)} domains: {counts.get('domains_passed', 0)} passed, "
        f"{counts.get('domains_failed', 0)} failed; {counts.get('breaches', 0)} breaches; "
        f"{counts.get('endpoints_unreachable', 0)} of {counts.get('endpoints', 0)} endpoints "
        f"unreachable." + (f" Grades: {grades}." if grades else ""),
        "",
        "| Domain | Grade | Verdict | Breaches | Worst endpoint |",
        "|---|:-:|:-:|--:|---|",
    ]
    for domain in document.get("domains") or ():
        s = summarize(domain)
        lines.append(
            f"| {md(s.domain)} | **{md(s.grade)}** | {'✅' if s.verdict == 'pass' else '❌'} "
            f"{md(s.verdict)} | {s.breaches} | {md(s.worst_endpoint) or '-'} |"
        )
    breaches = [
        (str(d.get("domain", "")), b)
        for d in document.get("domains") or ()
        for b in d.get("breaches") or ()
    ]
    if breaches:
        lines += ["", "<details><summary>Breaches and fixes</summary>", ""]
        for name, b in breaches[:BREACH_LIMIT]:
            where = f" at {md(b.get('endpoint'))}" if b.get("endpoint") else ""
            lines.append(
                f"- **{md(name)}** ({md(b.get('code', ''))}){where}: {md(b.get('message', ''))}"
                f" *Fix:* {md(b.get('fix', ''))}"
            )
        if len(breaches) > BREACH_LIMIT:
            lines.append(f"- … and {len(breaches) - BREACH_LIMIT} more (see the HTML report)")
        lines += ["", "</details>"]
    lines += [
        "",
        f"<sub>xmpp.encryption {md(document.get('collection_version', ''))}, "
        f"{md(document.get('started', ''))} to {md(document.get('finished', ''))}</sub>",
    ]
    return "\n".join(lines) + "\n"
