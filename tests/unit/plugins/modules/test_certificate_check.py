"""certificate_check end to end through AnsibleModule (argument spec, glue, exit and fail)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.xmpp.encryption.plugins.modules import certificate_check
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module
from ansible_collections.xmpp.encryption.tests.unit.support.pki import NOW, make_key, make_pki


def test_check_module_accepts_a_good_import(tmp_path):
    paths = make_pki().write(tmp_path)
    rc, out = run_module(
        certificate_check,
        {
            "certificate_path": str(paths["cert"]),
            "chain_path": str(paths["chain"]),
            "private_key_path": str(paths["key"]),
            "ca_path": str(paths["root"]),
            "dns_names": ["example.org", "conference.example.org"],
            "_ansible_check_mode": True,
        },
    )
    assert rc == 0, out
    assert out["valid"] is True
    assert out["changed"] is False
    assert out["trusted"] is True
    assert out["problems"] == []
    # "warnings" is a key Ansible itself reads (as strings to display): ours must not use it.
    assert [a["code"] for a in out["advisories"]] == []
    assert out["days_left"] in (89, 90)
    assert len(out["fingerprint"].split(":")) == 32


def test_check_module_refuses_listing_every_problem(tmp_path):
    pki = make_pki(not_before=NOW - timedelta(days=100), not_after=NOW - timedelta(days=1))
    paths = pki.write(tmp_path, order=(pki.root,))
    key_text = (
        make_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    rc, out = run_module(
        certificate_check,
        {
            "certificate_path": str(paths["cert"]),
            "chain_path": str(paths["chain"]),
            "private_key_content": key_text,
            "ca_path": str(paths["root"]),
            "dns_names": ["example.org", "upload.example.org"],
        },
    )
    assert rc == 1
    assert out["msg"].startswith("certificate refused: ")
    assert {p["code"] for p in out["problems"]} == {
        "key-mismatch",
        "chain-incomplete",
        "expired",
        "names-missing",
    }
    assert out["missing_names"] == ["DNS-ID:upload.example.org"]
    # The key content is never echoed back (no_log masks it and the module never returns it).
    assert key_text.splitlines()[1] not in json.dumps(out)


def test_check_module_can_only_report(tmp_path):
    paths = make_pki().write(tmp_path)
    rc, out = run_module(
        certificate_check,
        {
            "certificate_path": str(paths["cert"]),
            "dns_names": ["upload.example.org"],
            "fail_on_problems": False,
        },
    )
    assert rc == 0
    assert out["valid"] is False
    assert [p["code"] for p in out["problems"]] == ["names-missing"]
    assert out["trusted"] is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"dns_names": ["*.example.org"]}, "dns_names[0]"),
        ({"min_rsa_bits": 1024}, "at least 2048"),
        ({"ca_path": "/nonexistent/ca.pem"}, "ca_path /nonexistent/ca.pem: cannot read"),
    ],
)
def test_check_module_rejects_bad_arguments(tmp_path, extra, message):
    paths = make_pki().write(tmp_path)
    rc, out = run_module(certificate_check, {"certificate_path": str(paths["cert"]), **extra})
    assert rc == 1
    assert message in out["msg"]


def test_check_module_needs_a_certificate():
    rc, out = run_module(certificate_check, {"dns_names": ["example.org"]})
    assert rc == 1
    assert "certificate_path" in out["msg"]
