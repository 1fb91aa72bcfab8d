"""One decision on the libraries: the helper, every module that uses it, the doc fragment."""

from __future__ import annotations

import json

import dns.version
import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.xmpp.encryption.plugins.doc_fragments.requirements import (
    ModuleDocFragment,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._common import dependencies
from ansible_collections.xmpp.encryption.plugins.modules import (
    certificate_check,
    dns_info,
    scan,
    tls_info,
)


def test_the_pinned_dnspython_passes():
    assert dependencies.dnspython_problem() is None


def test_an_older_dnspython_is_named_with_what_is_needed(monkeypatch):
    monkeypatch.setattr(dns.version, "version", "2.4.2")
    problem = dependencies.dnspython_problem()
    assert problem is not None
    assert "dnspython 2.4.2 on this host's Python" in problem
    assert "2.6 or later" in problem


def test_a_missing_dnspython_is_named(monkeypatch):
    monkeypatch.setattr(dependencies, "HAS_DNSPYTHON", False)
    problem = dependencies.dnspython_problem()
    assert problem is not None
    assert "the dnspython library (2.6 or later) is not installed" in problem
    assert "ansible_python_interpreter" in problem


def run_module(module, args: dict, capsys) -> tuple[int, dict]:
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        module.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


# Arguments that would make each module work (or fail later, on something else).
CRYPTOGRAPHY_USERS = [
    (certificate_check, {"certificate_content": "not even PEM"}),
    (tls_info, {"host": "127.0.0.1", "port": 9, "checks": ["certificate"]}),
    (scan, {"endpoints": [{"domain": "example.org", "host": "127.0.0.1", "port": 9}]}),
]
DNSPYTHON_USERS = [
    (dns_info, {"domain": "example.org", "nameservers": ["127.0.0.1"]}),
    (scan, {"domains": ["example.org"], "nameservers": ["127.0.0.1"]}),
]


@pytest.mark.parametrize(("module", "args"), CRYPTOGRAPHY_USERS)
def test_a_module_fails_first_without_cryptography(monkeypatch, capsys, module, args):
    monkeypatch.setattr(dependencies, "HAS_CRYPTOGRAPHY", False)
    rc, out = run_module(module, args, capsys)
    assert rc == 1
    assert out["msg"].startswith("the cryptography library (42.0 or later) is not installed")


@pytest.mark.parametrize(("module", "args"), CRYPTOGRAPHY_USERS)
def test_a_module_fails_first_with_an_old_cryptography(monkeypatch, capsys, module, args):
    monkeypatch.setattr(dependencies.cryptography, "__version__", "41.0.7")
    rc, out = run_module(module, args, capsys)
    assert rc == 1
    assert "cryptography 41.0.7 on this host's Python" in out["msg"]


@pytest.mark.parametrize(("module", "args"), DNSPYTHON_USERS)
def test_a_module_fails_first_without_dnspython(monkeypatch, capsys, module, args):
    monkeypatch.setattr(dependencies, "HAS_DNSPYTHON", False)
    rc, out = run_module(module, args, capsys)
    assert rc == 1
    assert out["msg"].startswith("the dnspython library (2.6 or later) is not installed")


def test_dns_info_needs_cryptography_only_for_a_pem_certificate(monkeypatch, capsys):
    monkeypatch.setattr(dependencies, "HAS_CRYPTOGRAPHY", False)
    pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    args = {"domain": "example.org", "nameservers": ["127.0.0.1"], "certificate": pem}
    rc, out = run_module(dns_info, args, capsys)
    assert rc == 1
    assert "the cryptography library (42.0 or later) is not installed" in out["msg"]


@pytest.mark.parametrize(
    ("fragment", "library", "minimum"),
    [
        (ModuleDocFragment.CRYPTOGRAPHY, "cryptography", dependencies.MIN_CRYPTOGRAPHY),
        (ModuleDocFragment.DNSPYTHON, "dnspython", dependencies.MIN_DNSPYTHON),
    ],
)
def test_the_doc_fragment_declares_the_minimum_that_is_checked(fragment, library, minimum):
    wanted = ".".join(map(str, minimum))
    assert yaml.safe_load(fragment)["requirements"] == [f"{library} >= {wanted}"]
