"""The report as one self-contained HTML page: the fleet at a glance, every detail a click away.

No external asset of any kind (styles, script and chart are inline), so the page works from a
CI artifact store or a mail attachment. Every server-controlled string is hostile (a
certificate subject can hold markup): all text goes through ``h()``, and the page carries a
Content-Security-Policy that allows only its own script and style (by hash), so even a
missed escape could not run a script or load anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._report.schema import (
    GRADE_LETTERS,
    TLS_VERSIONS,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.summary import (
    DomainSummary,
    endpoint_grade,
    endpoint_label,
    grade_rank,
    summarize,
)

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
WEAK_VERSIONS = frozenset({"SSLv3", "TLSv1.0", "TLSv1.1"})
UNKNOWN_DAYS = 999_999  # sorts "no certificate seen" after every real expiry

# Grade colours: green for the A family through to red; T (untrusted) stands apart in violet.
GRADE_COLOURS: dict[str, str] = {
    "A+": "#137333",
    "A": "#1e8e3e",
    "A-": "#34a853",
    "B": "#7cb342",
    "C": "#f9ab00",
    "D": "#f57c00",
    "E": "#e8590c",
    "T": "#7b1fa2",
    "F": "#c5221f",
}

CSS = """
:root{--bg:#f6f7f9;--card:#fff;--ink:#1f2328;--muted:#5f6670;--line:#d8dde3;--ok:#1e8e3e;
--bad:#c5221f;--warn:#b06000;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font-size:14px;line-height:1.45}
header{background:#16202c;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header .meta{color:#b8c2cc;font-size:13px}
main{padding:24px 32px;max-width:1500px;margin:0 auto}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:700;
font-size:13px;letter-spacing:.04em;margin-left:10px;vertical-align:3px}
.verdict.pass{background:var(--ok);color:#fff}.verdict.fail{background:var(--bad);color:#fff}
.summary{display:flex;gap:16px;flex-wrap:wrap;align-items:stretch;margin-bottom:24px}
.stats{display:grid;grid-template-columns:repeat(3,minmax(120px,1fr));gap:12px}
.policy{flex:1;min-width:240px}.policy code{display:inline-block;margin:0 6px 4px 0;
padding:1px 6px;background:#f1f3f4;border-radius:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px}
.stat{padding:10px 16px}.stat b{display:block;font-size:26px;line-height:1.1}
.stat span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.stat.bad b{color:var(--bad)}.stat.ok b{color:var(--ok)}
.chart h2,.policy h2{margin:0 0 6px;font-size:12px;color:var(--muted);text-transform:uppercase;
letter-spacing:.05em;font-weight:600}
.policy code{font-size:12px}
table.fleet{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);
border-radius:8px;overflow:hidden}
.fleet th{text-align:left;background:#eef1f4;border-bottom:1px solid var(--line);padding:0}
.fleet th button{all:unset;display:block;width:100%;padding:10px 12px;cursor:pointer;
font-weight:600;font-size:13px;box-sizing:border-box}
.fleet th button:hover{background:#e2e7ec}
.fleet th button:focus-visible{outline:2px solid #1a73e8}
.fleet th[aria-sort=ascending] button::after{content:" \\25B2";font-size:10px}
.fleet th[aria-sort=descending] button::after{content:" \\25BC";font-size:10px}
.fleet td{padding:9px 12px;border-top:1px solid var(--line);vertical-align:top}
.fleet tr.row:hover td{background:#f9fafb}
.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;min-width:34px;text-align:center;padding:2px 7px;border-radius:6px;
color:#fff;font-weight:700}
.g-App{background:#137333}.g-A{background:#1e8e3e}.g-Am{background:#34a853}
.g-B{background:#7cb342}.g-C{background:#f9ab00;color:#1f2328}.g-D{background:#f57c00}
.g-E{background:#e8590c}.g-T{background:#7b1fa2}.g-F{background:#c5221f}
.toggle{all:unset;cursor:pointer;font-weight:600;color:#0b57d0}
.toggle::before{content:"\\25B8 ";display:inline-block;width:1em;color:var(--muted)}
.toggle[aria-expanded=true]::before{content:"\\25BE "}
.toggle:focus-visible{outline:2px solid #1a73e8}
.chip{display:inline-block;padding:0 6px;margin:1px 2px 1px 0;border-radius:4px;font-size:12px;
border:1px solid var(--line);background:#f1f3f4}
.chip.on{background:#e6f4ea;border-color:#a8dab5}.chip.weak{background:#fce8e6;border-color:#f4b4ae}
.chip.off{color:#9aa0a6;text-decoration:line-through}
.muted{color:var(--muted)}.bad{color:var(--bad);font-weight:600}.ok{color:var(--ok)}
.warn{color:var(--warn);font-weight:600}
td.details{background:#fbfcfd;padding:14px 18px}
.findings{margin:0 0 12px;padding:0;list-style:none}
.findings li{margin:0 0 8px;padding:8px 12px;border-left:4px solid var(--line);background:#fff;
border-radius:4px}
.findings li.breach{border-color:var(--bad)}.findings li.cap{border-color:#f57c00}
.findings li.warning{border-color:#f9ab00}.findings li.plus{border-color:#9aa0a6}
.findings .code{font-family:ui-monospace,monospace;font-size:12px;font-weight:600}
.fix{display:block;color:var(--muted)}.fix::before{content:"Fix: ";font-weight:600}
.endpoints{display:grid;grid-template-columns:repeat(auto-fill,minmax(430px,1fr));gap:12px}
.endpoint h4{margin:0 0 8px;font-size:14px;display:flex;gap:8px;align-items:center}
.endpoint dl{display:grid;grid-template-columns:150px 1fr;gap:3px 10px;margin:0 0 8px}
.endpoint dt{color:var(--muted)}.endpoint dd{margin:0;overflow-wrap:anywhere}
.endpoint h5{margin:10px 0 4px;font-size:12px;text-transform:uppercase;color:var(--muted);
letter-spacing:.05em}
.suites{margin:0;padding-left:16px;font-family:ui-monospace,monospace;font-size:12px}
.mono{font-family:ui-monospace,monospace;font-size:12px;overflow-wrap:anywhere}
h3{font-size:13px;margin:4px 0 8px}
footer{color:var(--muted);font-size:12px;padding:8px 32px 24px;text-align:center}
"""

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("fleet");
  var heads = Array.prototype.slice.call(table.querySelectorAll("th[data-key]"));
  function sortBy(key, descending) {
    var head = heads.filter(function (h) { return h.dataset.key === key; })[0];
    if (!head) { return; }
    var numeric = head.dataset.type === "num";
    var bodies = Array.prototype.slice.call(table.tBodies);
    bodies.sort(function (a, b) {
      var x = a.dataset[key], y = b.dataset[key];
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      if (c === 0) { c = a.dataset.domain.localeCompare(b.dataset.domain); return c; }
      return descending ? -c : c;
    });
    bodies.forEach(function (b) { table.appendChild(b); });
    heads.forEach(function (h) {
      h.setAttribute("aria-sort",
        h === head ? (descending ? "descending" : "ascending") : "none");
    });
  }
  heads.forEach(function (h) {
    h.querySelector("button").addEventListener("click", function () {
      var descending = h.getAttribute("aria-sort") === "ascending";
      sortBy(h.dataset.key, descending);
      try {
        history.replaceState(null, "", "#sort=" + (descending ? "-" : "") + h.dataset.key);
      } catch (e) { /* a sandboxed viewer may refuse; sorting still works */ }
    });
  });
  function fromHash() {
    var m = /(?:^#|&)sort=(-?)([a-z_]+)/.exec(location.hash);
    if (m) { sortBy(m[2], m[1] === "-"); }
  }
  fromHash();
  window.addEventListener("hashchange", fromHash);
  Array.prototype.forEach.call(document.querySelectorAll("button.toggle"), function (b) {
    b.addEventListener("click", function () {
      var open = b.getAttribute("aria-expanded") !== "true";
      b.setAttribute("aria-expanded", String(open));
      document.getElementById(b.getAttribute("aria-controls")).hidden = !open;
    });
  });
  document.documentElement.dataset.ready = "1";
})();
"""

# (data key, header, numeric) for the fleet table, in column order.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("domain", "Domain", False),
    ("grade", "Grade", True),
    ("verdict", "Verdict", False),
    ("worst", "Worst endpoint", True),
    ("versions", "TLS versions", True),
    ("days", "Days left", True),
    ("breaches", "Breaches", True),
)


def h(value: Any) -> str:
    """Text or attribute value, escaped; control characters shown as U+FFFD."""
    return html.escape(_CONTROL.sub("\ufffd", "" if value is None else str(value)), quote=True)


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _grade_class(letter: str) -> str:
    return "g-" + letter.replace("+", "pp").replace("-", "m")


def badge(letter: str) -> str:
    letter = letter if letter in GRADE_LETTERS else "F"
    return f'<span class="badge {_grade_class(letter)}">{h(letter)}</span>'


def _yes_no(value: Any, good: bool = True) -> str:
    """yes/no coloured by whether that answer is the good one; unknown stays grey."""
    if value is None:
        return '<span class="muted">unknown</span>'
    ok = bool(value) == good
    return f'<span class="{"ok" if ok else "bad"}">{"yes" if value else "no"}</span>'


def grade_chart(grades: Mapping[str, int]) -> str:
    """The grade distribution as a small inline SVG bar chart (no script, no external font)."""
    width, height, bar_w, gap, top, base = 9 * 34, 130, 26, 8, 16, 108
    peak = max([*grades.values(), 1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Domains per grade">'
    ]
    for i, letter in enumerate(GRADE_LETTERS):
        n = int(grades.get(letter, 0))
        x = 4 + i * (bar_w + gap)
        bar_h = round((base - top) * n / peak)
        y = base - bar_h
        parts.append(f"<g><title>{h(letter)}: {n} domain(s)</title>")
        if n:
            parts.append(
                f'<rect x="{x}" y="{y}" width="{bar_w}" height="{bar_h}" rx="3" '
                f'fill="{GRADE_COLOURS[letter]}"/>'
                f'<text x="{x + bar_w / 2}" y="{y - 4}" text-anchor="middle" font-size="11" '
                f'fill="#1f2328">{n}</text>'
            )
        else:
            parts.append(
                f'<rect x="{x}" y="{base - 2}" width="{bar_w}" height="2" fill="#d8dde3"/>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2}" y="{base + 16}" text-anchor="middle" font-size="12" '
            f'font-weight="600" fill="#5f6670">{h(letter)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _finding_list(items: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    rows = []
    for kind, f in items:
        text = f.get("message") if kind == "breach" else f.get("reason")
        where = f' <span class="muted">at {h(f["endpoint"])}</span>' if f.get("endpoint") else ""
        cap = f' <span class="muted">caps at {h(f["cap"])}</span>' if f.get("cap") else ""
        label = {"breach": "breach", "cap": "cap", "warning": "warning", "plus": "not A+"}[kind]
        rows.append(
            f'<li class="{kind}"><span class="code">{h(label)}: {h(f.get("code", ""))}</span>'
            f"{cap}{where}<br>{h(text)}"
            + (f'<span class="fix">{h(f.get("fix"))}</span>' if f.get("fix") else "")
            + "</li>"
        )
    return f'<ul class="findings">{"".join(rows)}</ul>' if rows else ""


def _grade_findings(grade: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    out: list[tuple[str, Mapping[str, Any]]] = []
    for key, kind in (("caps", "cap"), ("warnings", "warning"), ("plus_missing", "plus")):
        out += [(kind, f) for f in grade.get(key) or () if isinstance(f, Mapping)]
    return out


def _dl(rows: Sequence[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{h(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _list_text(values: Any) -> str:
    items = [str(v) for v in values or ()]
    return h(", ".join(items)) if items else '<span class="muted">none</span>'


def _chip(version: str) -> str:
    return "weak" if version in WEAK_VERSIONS else "on"


def _versions_chips(result: Mapping[str, Any]) -> str:
    versions = _map(_map(result.get("tls")).get("versions"))
    return "".join(
        f'<span class="chip {_chip(v) if versions.get(v) is True else "off"}">{h(v)}</span>'
        for v in TLS_VERSIONS
    )


def _tls_section(result: Mapping[str, Any]) -> str:
    tls = _map(result.get("tls"))
    suites = _map(tls.get("cipher_suites"))
    pref = tls.get("server_preference")
    suite_html = ""
    for version, names in suites.items():
        order = ""
        if isinstance(pref, Mapping) and pref.get(version) is not None:
            order = " (server order)" if pref.get(version) else " (client order)"
        items = "".join(f"<li>{h(n)}</li>" for n in names or ())
        suite_html += f"<dt>{h(version)}{h(order)}</dt><dd><ul class='suites'>{items}</ul></dd>"
    rows = [
        ("Versions", _versions_chips(result)),
        ("Groups", _list_text(tls.get("groups"))),
        ("Forward secrecy", _yes_no(tls.get("forward_secrecy"))),
        ("Compression", _yes_no(tls.get("compression"), good=False)),
    ]
    return (
        "<h5>TLS</h5>"
        + _dl(rows)
        + (f"<h5>Cipher suites</h5><dl>{suite_html}</dl>" if suite_html else "")
    )


def _certificate_section(result: Mapping[str, Any]) -> str:
    cert = _map(result.get("certificate"))
    if not cert:
        return ""
    days = cert.get("days_left")
    days_html = h(days) if days is not None else '<span class="muted">unknown</span>'
    if isinstance(days, int) and days < 30:
        days_html = f'<span class="{"bad" if days < 0 else "warn"}">{h(days)}</span>'
    trust = _yes_no(cert.get("trusted"))
    if cert.get("trust_error"):
        trust += f' <span class="muted">({h(cert["trust_error"])})</span>'
    name = _yes_no(cert.get("name_matches"))
    if cert.get("matched_identity"):
        name += f' <span class="muted">({h(cert["matched_identity"])})</span>'
    chain = "".join(
        f"<li>{h(_map(c).get('subject', c))} <span class='muted'>issued by</span> "
        f"{h(_map(c).get('issuer', ''))}</li>"
        for c in cert.get("chain") or ()
    )
    rows = [
        ("Subject", f'<span class="mono">{h(cert.get("subject"))}</span>'),
        ("Issuer", f'<span class="mono">{h(cert.get("issuer"))}</span>'),
        ("Valid", f"{h(cert.get('not_before'))} → {h(cert.get('not_after'))}"),
        ("Days left", days_html),
        ("Key", f"{h(cert.get('key_type'))} {h(cert.get('key_bits'))} bits"),
        ("Signature", h(cert.get("signature_algorithm"))),
        ("Trusted", trust),
        ("Name matches", name),
        ("DNS names", _list_text(cert.get("san_dns"))),
        ("SRV-IDs", _list_text(cert.get("san_srv"))),
        ("XmppAddr", _list_text(cert.get("san_xmpp_addr"))),
        ("Client auth EKU", _yes_no(cert.get("eku_client_auth"))),
        ("SHA-256", f'<span class="mono">{h(cert.get("sha256"))}</span>'),
        ("TLSA 3 1 1", f'<span class="mono">{h(cert.get("tlsa_3_1_1"))}</span>'),
    ]
    if chain:
        rows.append(("Chain", f"<ol class='suites'>{chain}</ol>"))
    return "<h5>Certificate</h5>" + _dl(rows)


def _endpoint_card(result: Mapping[str, Any]) -> str:
    label = endpoint_label(result)
    head = f"<h4>{badge(endpoint_grade(result))} {h(label)}</h4>"
    error = result.get("error")
    if error:
        err = _map(error)
        body = f'<p class="bad">Not probed: {h(err.get("code"))}: {h(err.get("message"))}</p>'
    else:
        feats = _map(result.get("features"))
        rows = [
            ("Plaintext refused", _yes_no(result.get("plaintext_refused"))),
            ("STARTTLS offered", _yes_no(feats.get("starttls_offered"))),
            ("STARTTLS required", _yes_no(feats.get("starttls_required"))),
            ("SASL before TLS", _list_text(feats.get("sasl_mechanisms_before_tls"))),
            ("Dialback before TLS", _yes_no(feats.get("dialback_before_tls"), good=False)),
            ("STARTTLS injection", _yes_no(result.get("starttls_injection"), good=False)),
            ("Handshakes", f"{h(result.get('handshakes'))} in {h(result.get('elapsed'))} s"),
        ]
        if _map(result.get("endpoint")).get("tls_mode") == "direct":
            rows = [rows[0], *rows[5:]]
        body = "<h5>Stream</h5>" + _dl(rows) + _tls_section(result) + _certificate_section(result)
    findings = _finding_list(_grade_findings(_map(result.get("grade"))))
    return f'<div class="card endpoint">{head}{body}{findings}</div>'


def _sort_keys(s: DomainSummary) -> dict[str, str]:
    oldest = TLS_VERSIONS.index(s.versions[0]) if s.versions else len(TLS_VERSIONS)
    return {
        "domain": s.domain.lower(),
        "grade": str(grade_rank(s.grade)),
        "verdict": s.verdict,
        "worst": str(grade_rank(s.worst_grade)),
        "versions": str(oldest),
        "days": str(UNKNOWN_DAYS if s.days_left is None else s.days_left),
        "breaches": str(s.breaches),
    }


def _domain_body(index: int, domain: Mapping[str, Any]) -> str:
    s = summarize(domain)
    data = " ".join(f'data-{k}="{h(v)}"' for k, v in _sort_keys(s).items())
    detail_id = f"domain-{index}"
    versions = (
        "".join(f'<span class="chip {_chip(v)}">{h(v)}</span>' for v in s.versions)
        or '<span class="muted">none</span>'
    )
    if s.days_left is None:
        days = '<span class="muted">\u2013</span>'
    else:
        cls = "bad" if s.days_left < 0 else "warn" if s.days_left < 30 else ""
        days = f'<span class="{cls}">{s.days_left}</span>'
    verdict = f'<span class="{"ok" if s.verdict == "pass" else "bad"}">{h(s.verdict)}</span>'
    worst = (
        f"{badge(s.worst_grade)} {h(s.worst_endpoint)}"
        if s.worst_endpoint
        else '<span class="muted">no endpoint</span>'
    )
    if s.unreachable:
        worst += f' <span class="bad">({s.unreachable} unreachable)</span>'
    breaches = [("breach", b) for b in domain.get("breaches") or () if isinstance(b, Mapping)]
    # The domain grade repeats every endpoint's findings (tagged); each card shows its own.
    own = [f for f in _grade_findings(_map(domain.get("grade"))) if not f[1].get("endpoint")]
    findings = _finding_list(breaches + own)
    cards = "".join(
        _endpoint_card(e) for e in domain.get("endpoints") or () if isinstance(e, Mapping)
    )
    return (
        f'<tbody class="domain" {data}>'
        f'<tr class="row"><td><button type="button" class="toggle" aria-expanded="false" '
        f'aria-controls="{detail_id}">{h(s.domain)}</button></td>'
        f"<td>{badge(s.grade)}</td><td>{verdict}</td><td>{worst}</td><td>{versions}</td>"
        f'<td class="num">{days}</td><td class="num">{s.breaches}</td></tr>'
        f'<tr id="{detail_id}" class="detail" hidden><td class="details" colspan="{len(COLUMNS)}">'
        + (f"<h3>Breaches and findings</h3>{findings}" if findings else "")
        + f'<h3>Endpoints</h3><div class="endpoints">{cards or "<p class=muted>none</p>"}</div>'
        "</td></tr></tbody>"
    )


def _policy_text(policy: Mapping[str, Any]) -> str:
    if not policy:
        return '<span class="muted">none given</span>'

    def shown(value: Any) -> str:  # true/false and lists as the policy file spells them
        return value if isinstance(value, str) else json.dumps(value, default=str)

    return " ".join(f"<code>{h(k)}={h(shown(v))}</code>" for k, v in policy.items())


def render_html(document: Mapping[str, Any]) -> str:
    counts = _map(document.get("counts"))
    verdict = "pass" if document.get("verdict") == "pass" else "fail"
    domains = [d for d in document.get("domains") or () if isinstance(d, Mapping)]
    # Worst first: what needs work is at the top before anyone clicks.
    order = sorted(
        range(len(domains)),
        key=lambda i: (-grade_rank(summarize(domains[i]).grade), str(domains[i].get("domain"))),
    )
    bodies = "".join(_domain_body(i, domains[i]) for i in order)
    heads = "".join(
        f'<th scope="col" data-key="{key}" data-type="{"num" if num else "text"}" '
        f'aria-sort="none"><button type="button">{h(title)}</button></th>'
        for key, title, num in COLUMNS
    )
    stats = [
        ("Domains", counts.get("domains", 0), ""),
        ("Passed", counts.get("domains_passed", 0), "ok"),
        ("Failed", counts.get("domains_failed", 0), "bad" if counts.get("domains_failed") else ""),
        ("Breaches", counts.get("breaches", 0), "bad" if counts.get("breaches") else ""),
        ("Endpoints", counts.get("endpoints", 0), ""),
        (
            "Unreachable",
            counts.get("endpoints_unreachable", 0),
            "bad" if counts.get("endpoints_unreachable") else "",
        ),
    ]
    stat_html = "".join(
        f'<div class="card stat {cls}"><b>{h(n)}</b><span>{h(label)}</span></div>'
        for label, n, cls in stats
    )
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {_csp_hash(CSS)}; script-src {_csp_hash(SCRIPT)}; "
        "base-uri 'none'; form-action 'none'"
    )
    title = f"XMPP encryption report: {verdict.upper()}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{h(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{h(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>XMPP encryption report<span class="verdict {verdict}">'
        f"{h(verdict.upper())}</span></h1>"
        f'<div class="meta">{h(document.get("started"))} → {h(document.get("finished"))} · '
        f"xmpp.encryption {h(document.get('collection_version'))} · "
        f"report schema {h(document.get('schema_version'))}</div></header><main>"
        f'<section class="summary"><div class="stats">{stat_html}</div>'
        f'<div class="card chart"><h2>Grades</h2>{grade_chart(_map(counts.get("grades")))}</div>'
        f'<div class="card policy"><h2>Policy</h2>{_policy_text(_map(document.get("policy")))}'
        "</div></section>"
        f'<table class="fleet" id="fleet"><thead><tr>{heads}</tr></thead>{bodies}</table>'
        "</main><footer>Click a column to sort, a domain to see its endpoints. "
        "Generated by the xmpp.encryption collection.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
