"""The cryptography gate the certificate modules fail with before doing anything."""

from __future__ import annotations

import cryptography
import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._common import dependencies


def test_the_pinned_cryptography_passes():
    assert dependencies.cryptography_problem() is None


@pytest.mark.parametrize("version", ["38.0.4", "41.0.7", "3.4.8"])
def test_an_older_cryptography_is_named_with_what_is_needed(monkeypatch, version):
    monkeypatch.setattr(cryptography, "__version__", version)
    problem = dependencies.cryptography_problem()
    assert problem is not None
    assert f"cryptography {version} on this host's Python" in problem
    assert "42.0 or later" in problem


def test_a_missing_cryptography_is_named(monkeypatch):
    monkeypatch.setattr(dependencies, "HAS_CRYPTOGRAPHY", False)
    problem = dependencies.cryptography_problem()
    assert problem is not None
    assert "not installed" in problem
    assert "42.0 or later" in problem
