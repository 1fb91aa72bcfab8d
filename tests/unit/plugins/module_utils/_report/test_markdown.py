"""The Markdown summary: one row per domain, breaches with fixes, nothing a forge would run."""

import re

from ansible_collections.xmpp.encryption.plugins.module_utils._report.markdown import (
    BREACH_LIMIT,
    md,
    render_markdown,
)
from ansible_collections.xmpp.encryption.tests.unit.support.builders import report as builder


def table_rows(text):
    return [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_summary_table_has_every_domain_with_grade_and_breach_count():
    doc = builder.document()
    text = render_markdown(doc)
    assert text.startswith("### ❌ XMPP encryption: FAIL")
    rows = table_rows(text)
    assert len(rows) == 4
    for row, domain in zip(rows, doc["domains"], strict=True):
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[0] == md(domain["domain"])
        assert cells[1] == f"**{md(domain['grade']['grade'])}**"
        assert cells[3] == str(len(domain["breaches"]))
    assert "4 domains: 1 passed, 3 failed" in text


def test_breaches_are_listed_with_their_fix():
    doc = builder.document()
    text = render_markdown(doc)
    for d in doc["domains"]:
        for b in d["breaches"][:3]:
            assert md(b["message"]) in text
            assert md(b["fix"]) in text


def test_passing_fleet_has_no_breach_section():
    text = render_markdown(builder.document([builder.good()]))
    assert text.startswith("### ✅ XMPP encryption: PASS")
    assert "<details>" not in text


def test_long_breach_lists_are_cut_with_a_pointer():
    domain = builder.good()
    domain["breaches"] = [builder.breach(f"rule-{i}", None, "m", "f") for i in range(40)]
    text = render_markdown(builder.document([domain]))
    assert text.count("\n- **") == BREACH_LIMIT + 0
    assert "and 15 more" in text


def test_hostile_text_cannot_break_the_table_or_inject_html():
    domain = builder.selfsigned()
    domain["domain"] = "evil|<img src=x onerror=alert(1)>[link](javascript:x)\n| injected |"
    text = render_markdown(builder.document([domain]))
    (row,) = table_rows(text)
    assert row.count(" | ") == 4  # five cells, none added by the name
    assert "<img" not in text
    assert "&lt;img" in text
    assert "\\[link\\]" in text
    assert not re.search(r"(?<!\\)\|\s*injected", text)
