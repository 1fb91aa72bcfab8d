"""Key policy: what is generated and what an import may carry."""

from __future__ import annotations

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._x509.keys import (
    KeyPolicyError,
    describe_public_key,
    key_problem,
    key_spec,
    validate_acceptance,
)
from ansible_collections.xmpp.encryption.tests.unit.support.pki import make_key


def test_default_is_ecdsa_p256():
    spec = key_spec()
    assert (spec.kind, spec.size) == ("ecdsa", 256)
    assert spec.privatekey_args() == {"type": "ECC", "curve": "secp256r1"}


@pytest.mark.parametrize("size", [2048, 3072, 4096])
def test_rsa_sizes(size):
    assert key_spec("rsa", size).privatekey_args() == {"type": "RSA", "size": size}


def test_rsa_default_and_p384():
    assert key_spec("rsa").size == 3072
    assert key_spec("ecdsa", 384).privatekey_args()["curve"] == "secp384r1"


@pytest.mark.parametrize(
    ("kind", "size", "message"),
    [("rsa", 1024, "1024"), ("rsa", 2047, "2047"), ("ecdsa", 521, "521"), ("dsa", None, "dsa")],
)
def test_rejected_specs(kind, size, message):
    with pytest.raises(KeyPolicyError, match=message):
        key_spec(kind, size)


@pytest.mark.parametrize(
    ("kind", "size", "expected"),
    [("ec", 256, ("ecdsa", 256)), ("rsa", 2048, ("rsa", 2048)), ("ed25519", 0, ("ed25519", 256))],
)
def test_describe(kind, size, expected):
    info = describe_public_key(make_key(kind, size).public_key())
    assert (info.kind, info.size) == expected


def test_acceptance_rules():
    rsa2048 = describe_public_key(make_key("rsa", 2048).public_key())
    assert key_problem(rsa2048, ["rsa"], 2048) is None
    assert "below the minimum of 3072" in key_problem(rsa2048, ["rsa"], 3072)
    assert "not accepted" in key_problem(rsa2048, ["ecdsa"], 2048)
    with pytest.raises(KeyPolicyError, match="unknown"):
        validate_acceptance(["rsa", "dsa"], 2048)
    with pytest.raises(KeyPolicyError, match="at least 2048"):
        validate_acceptance(["rsa"], 1024)
    with pytest.raises(KeyPolicyError, match="empty"):
        validate_acceptance([], 2048)
