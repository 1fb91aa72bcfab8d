"""certificate_store: stage a private directory, then serve the staged pair by one swap."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.store import (
    Layout,
    Owner,
)
from ansible_collections.xmpp.encryption.plugins.modules import certificate_store
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module

ME = Owner(os.getuid(), os.getgid())


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    (tmp_path / "certs").mkdir()
    return Layout(tmp_path / "certs", "example.org")


def served(layout: Layout) -> tuple[bytes, bytes]:
    """What the server reads through the stable path."""
    return (layout.live / "privkey.pem").read_bytes(), (layout.live / "fullchain.pem").read_bytes()


def test_module_stages_then_serves(layout):
    base = {
        "path": str(layout.cert_dir),
        "name": layout.name,
        "owner": pwd.getpwuid(ME.uid).pw_name,
        "group": grp.getgrgid(ME.gid).gr_name,
    }
    rc, out = run_module(certificate_store, {**base, "state": "staged"})
    assert rc == 0, out
    assert out["staging"] == str(layout.staging)
    (layout.staging / "privkey.pem").write_bytes(b"KEY")
    (layout.staging / "fullchain.pem").write_bytes(b"CERT")
    rc, out = run_module(certificate_store, {**base, "_ansible_check_mode": True})
    assert (rc, out["changed"]) == (0, True)
    assert not layout.live.exists()
    rc, out = run_module(certificate_store, base)
    assert rc == 0, out
    assert out["changed"] is True
    assert out["version"] == ".versions/example.org/1"
    assert served(layout) == (b"KEY", b"CERT")
    rc, out = run_module(certificate_store, {**base, "name": ".."})
    assert rc == 1
    assert "cannot name a certificate directory" in out["msg"]
