"""A fleet scan merges a domain's spellings by its IDNA 2008 name, and only those."""

from __future__ import annotations

from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.request import requests_from


def test_explicit_endpoints_claim_every_spelling_of_their_domain() -> None:
    out = requests_from(
        ["faß.example", "FASS.example."],
        ["conference.Faß.example"],
        [
            {"domain": "xn--fa-hia.example", "host": "10.0.0.1"},
            {"domain": "conference.xn--fa-hia.example", "host": "10.0.0.2", "stream": "s2s"},
        ],
    )
    # fass.example is another party's domain: IDNA 2003 would have merged it with faß.example
    assert [(r.domain, len(r.endpoints)) for r in out] == [
        ("FASS.example.", 0),
        ("xn--fa-hia.example", 1),
        ("conference.xn--fa-hia.example", 1),
    ]
