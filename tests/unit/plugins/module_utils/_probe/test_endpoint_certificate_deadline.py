"""The certificate check is part of the probe: its wait ends at the probe's deadline."""

import threading
import time

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    GRACE,
    EndpointTarget,
    ProbeOptions,
    probe_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509 import check as x509_check
from ansible_collections.xmpp.encryption.tests.unit.support.tls_server import (
    FEW_TLS12_CIPHERS,
    TlsServer,
    server_context,
    tls_files,
)

DOMAIN = "example.test"
TIMEOUT = 1.0


async def test_a_slow_certificate_check_ends_at_the_deadline(tmp_path, monkeypatch):
    pki = tls_files(tmp_path, DOMAIN)
    release = threading.Event()

    def stuck_check(*_args, **_kwargs):
        release.wait(30)  # a check that would run on long past the deadline

    # The probe imports the checks when a certificate comes: patch them where they live.
    monkeypatch.setattr(x509_check, "check_certificate", stuck_check)
    options = ProbeOptions(
        timeout=TIMEOUT, ca_path=str(pki.ca_file), checks=frozenset({"certificate"})
    )
    try:
        with TlsServer(server_context(pki, ciphers=FEW_TLS12_CIPHERS)) as tls:
            target = EndpointTarget(tls.host, tls.port, DOMAIN, tls_mode="direct")
            started = time.monotonic()
            result = await probe_endpoint(target, options)
            waited = time.monotonic() - started
    finally:
        release.set()
    assert waited < TIMEOUT + GRACE + 1.0
    assert result.tls is not None
    assert result.tls.chain_der  # the chain was seen; only its check was cut off
    assert result.certificate is None
    assert "certificate: the check did not finish by the probe's deadline" in result.problems
