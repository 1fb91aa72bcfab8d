"""The probe tests' server material, and the real TLS server fixture."""

import pytest

from ansible_collections.xmpp.encryption.tests.unit.support.tls_server import (
    TlsFiles,
    tls_files,
    tls_server,
)

__all__ = ["pki", "tls_server"]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    # RSA, so that a legacy server can offer plain RSA key exchange too.
    return tls_files(tmp_path_factory.mktemp("pki"), "xmpp.test", kind="rsa", size=2048)
