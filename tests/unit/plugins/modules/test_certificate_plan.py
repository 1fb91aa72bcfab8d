"""certificate_plan end to end through AnsibleModule (argument spec, glue, exit and fail)."""

from __future__ import annotations

import pytest

from ansible_collections.xmpp.encryption.plugins.modules import certificate_plan
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module


def test_plan_module_returns_names_and_key():
    rc, out = run_module(
        certificate_plan,
        {
            "domains": ["example.org", {"name": "bücher.example", "subdomains": ["upload"]}],
            "subdomains": ["conference"],
            "ca": "internal",
            "host": "xmpp1",
            "_ansible_check_mode": True,
        },
    )
    assert rc == 0
    assert out["changed"] is False
    (cert,) = out["certificates"]
    assert cert["name"] == "xmpp1"
    assert cert["common_name"] == "example.org"
    assert "upload.xn--bcher-kva.example" in cert["dns_names"]
    assert "_xmpp-server.conference.example.org" in cert["srv_ids"]
    assert "otherName:1.3.6.1.5.5.7.8.5;UTF8:bücher.example" in cert["subject_alt_name"]
    assert out["key"] == {
        "type": "ecdsa",
        "size": 256,
        "privatekey_args": {"type": "ECC", "curve": "secp256r1"},
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"domains": []}, "domains: [] is empty"),
        ({"domains": ["ok.example", "bad_one.example"]}, "domains[1]: 'bad_one.example'"),
        ({"domains": ["example.org"], "key_type": "rsa", "key_size": 1024}, "1024"),
    ],
)
def test_plan_module_fails_with_the_bad_entry(args, message):
    rc, out = run_module(certificate_plan, args)
    assert rc == 1
    assert out["failed"] is True
    assert message in out["msg"]
