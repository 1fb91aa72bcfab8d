"""The HTML report in a real browser: Debian's headless Chromium.

Sorting is tested through the real click path: the DevTools protocol sends mouse press and
release events at the column header, as a user's click would. --dump-dom checks what the
page shows after load, and that the #sort= fragment a sorted link carries is honoured.
"""

import json

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._report.html_page import UNKNOWN_DAYS
from ansible_collections.xmpp.encryption.plugins.module_utils._report.write import write_reports
from ansible_collections.xmpp.encryption.tests.unit.support.builders import report as builder
from ansible_collections.xmpp.encryption.tests.unit.support.chromium import Browser, dump_dom

from .test_html_page import Page

ORDER = "Array.from(document.querySelectorAll('#fleet tbody')).map(b => b.dataset.domain)"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    doc = builder.document()
    paths = write_reports(doc, folder, ["html"]).paths
    return doc, "file://" + paths["html"]


def days_order(doc, descending=False):
    def key(d):
        days = [
            e["certificate"]["days_left"]
            for e in d["endpoints"]
            if e.get("certificate") and e["certificate"].get("days_left") is not None
        ]
        return (min(days) if days else UNKNOWN_DAYS, d["domain"])

    ranked = sorted(doc["domains"], key=key, reverse=descending)
    return [d["domain"] for d in ranked]


def test_dump_dom_shows_every_domain_and_the_hostile_subject_as_text(report, tmp_path):
    doc, url = report
    page = Page(dump_dom(url, tmp_path / "profile"))
    shown = [b["data-domain"] for b in page.all("tbody")]
    assert sorted(shown) == sorted(d["domain"] for d in doc["domains"])
    assert len(page.all("script")) == 1
    assert page.all("img") == []
    assert builder.HOSTILE_SUBJECT in page.text
    # the injected script never ran: it would have set the <title> to PWNED
    assert "XMPP encryption report: FAIL" in page.text
    assert "PWNED" not in page.text
    # the page's own script ran: it marks the document ready
    assert any(a.get("data-ready") == "1" for t, a in page.tags if t == "html")


def test_sort_fragment_orders_rows_after_load(report, tmp_path):
    doc, url = report
    page = Page(dump_dom(url + "#sort=days", tmp_path / "profile"))
    assert [b["data-domain"] for b in page.all("tbody")] == days_order(doc)
    (head,) = [th for th in page.all("th") if th.get("data-key") == "days"]
    assert head["aria-sort"] == "ascending"


def test_clicking_headers_sorts_and_clicking_a_domain_expands_it(report, tmp_path):
    doc, url = report
    browser = Browser(url, tmp_path / "profile")
    try:
        browser.wait_for("document.documentElement.dataset.ready === '1'")
        initial = browser.js(ORDER)
        assert initial[-1] == "good.example"  # worst first on load

        browser.click("th[data-key=days] button")
        assert browser.js(ORDER) == days_order(doc)
        assert browser.js("location.hash") == "#sort=days"

        browser.click("th[data-key=days] button")
        assert browser.js(ORDER) == days_order(doc, descending=True)
        assert browser.js("location.hash") == "#sort=-days"
        assert browser.js("document.querySelector('th[data-key=days]').ariaSort") == "descending"

        browser.click("th[data-key=domain] button")
        assert browser.js(ORDER) == sorted(d["domain"] for d in doc["domains"])

        selector = "tbody[data-domain='selfsigned.example']"
        detail = f"document.querySelector({json.dumps(selector + ' tr.detail')})"
        assert browser.js(f"{detail}.hidden") is True
        assert browser.js(f"{detail}.getBoundingClientRect().height") == 0
        browser.click(selector + " button.toggle")
        assert browser.js(f"{detail}.hidden") is False
        assert browser.js(f"{detail}.getBoundingClientRect().height") > 100
        text = browser.js(f"{detail}.innerText")
        assert builder.HOSTILE_SUBJECT in text
        assert "self-signed certificate" in text
        assert browser.js("document.title") == "XMPP encryption report: FAIL"
        assert browser.js("document.scripts.length") == 1
    finally:
        browser.quit()
