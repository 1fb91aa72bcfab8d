"""The HTML page: self-contained, every domain and endpoint present, hostile text only as text."""

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._report.html_page import (
    CSS,
    SCRIPT,
    render_html,
)
from ansible_collections.xmpp.encryption.tests.unit.support.builders import report as builder


class Page(HTMLParser):
    """Elements, attributes and text as a browser's parser sees them."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []  # (tag, attrs)
        self.text = []
        self.stack = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag):
        return [attrs for t, attrs in self.tags if t == tag]


@pytest.fixture(scope="module")
def html_text():
    return render_html(builder.document())


@pytest.fixture(scope="module")
def page(html_text):
    return Page(html_text)


def test_every_domain_is_a_sortable_row_with_its_details(page):
    bodies = page.all("tbody")
    domains = [b["data-domain"] for b in bodies]
    # worst grade first, then by name
    assert domains == ["down.example", "legacy.example", "selfsigned.example", "good.example"]
    for b in bodies:
        for key in ("grade", "verdict", "worst", "versions", "days", "breaches"):
            assert f"data-{key}" in b
    days = {b["data-domain"]: int(b["data-days"]) for b in bodies}
    assert days["legacy.example"] == 12
    assert days["good.example"] == 80
    assert days["down.example"] > days["selfsigned.example"]  # unknown sorts last
    heads = [th["data-key"] for th in page.all("th") if "data-key" in th]
    assert heads == ["domain", "grade", "verdict", "worst", "versions", "days", "breaches"]
    toggles = [b for b in page.all("button") if "toggle" in b.get("class", "")]
    assert len(toggles) == 4
    ids = {tr.get("id") for tr in page.all("tr")}
    assert {t["aria-controls"] for t in toggles} <= ids


def test_endpoint_details_are_all_there(html_text, page):
    text = " ".join(page.text)
    for suite in ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_CHACHA20_POLY1305_SHA256"):
        assert suite in text
    for label in ("c2s xmpp.legacy.example:5222", "s2s xmpp.good.example:5269"):
        assert label in text
    assert "x25519, secp256r1" in text
    assert "self-signed certificate" in text
    assert "connect timed out after 5 s" in text
    doc = builder.document()
    for d in doc["domains"]:
        for b in d["breaches"]:
            assert b["message"] in text
            assert b["fix"] in text


def test_grade_chart_is_inline_svg_with_a_bar_per_grade_present(page):
    svgs = page.all("svg")
    assert len(svgs) == 1
    titles = [t for t in page.text if re.fullmatch(r"[A-FT][+-]?: \d+ domain\(s\)", t)]
    assert "A+: 1 domain(s)" in titles
    assert "F: 2 domain(s)" in titles
    assert "B: 0 domain(s)" in titles


def test_no_external_assets(html_text, page):
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "data", "poster"):
            assert name not in attrs, (tag, attrs)
    assert "url(" not in html_text
    assert "@import" not in html_text
    assert "http://" not in html_text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html_text


def test_csp_allows_exactly_the_page_own_script_and_style(page):
    (meta,) = [m for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    csp = meta["content"]

    def digest(text):
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert "default-src 'none'" in csp
    assert f"script-src 'sha256-{digest(SCRIPT)}'" in csp
    assert f"style-src 'sha256-{digest(CSS)}'" in csp
    assert "unsafe-inline" not in csp


def test_hostile_subject_is_text_not_markup(html_text, page):
    assert len(page.all("script")) == 1
    assert page.all("img") == []
    assert not any("onerror" in attrs for _tag, attrs in page.tags)
    assert builder.HOSTILE_SUBJECT in page.text
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in html_text


@pytest.mark.parametrize(
    "hostile",
    [
        '"><script>alert(1)</script>',
        "' onmouseover='alert(1)",
        "</textarea></style></script><svg onload=alert(1)>",
        "<!--",
        "\x00\x1b[31m",
    ],
)
def test_hostile_text_everywhere_stays_text(hostile):
    domain = builder.selfsigned()
    domain["domain"] = "bad" + hostile
    endpoint = domain["endpoints"][0]
    endpoint["tls"]["groups"] = [hostile]
    endpoint["tls"]["cipher_suites"] = {hostile: [hostile]}
    endpoint["certificate"]["san_dns"] = [hostile]
    endpoint["endpoint"]["host"] = hostile
    domain["breaches"][0]["fix"] = hostile
    doc = builder.document([domain], policy={"min_grade": hostile})
    page = Page(render_html(doc))
    assert len(page.all("script")) == 1
    assert len(page.all("svg")) == 1
    assert page.all("textarea") == []
    for _tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs)
    shown = hostile.replace("\x00", "\ufffd").replace("\x1b", "\ufffd")
    assert any(shown in t for t in page.text)
    assert page.all("tbody")[0]["data-domain"] == ("bad" + shown).lower()
