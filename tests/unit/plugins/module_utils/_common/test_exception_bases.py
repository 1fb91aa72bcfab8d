"""One exception base per package that callers catch from: what each package raises is one type."""

from __future__ import annotations

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import DnsQueryError
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import (
    TrustAnchorError,
    load_dnssec_anchors,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.errors import DnsError
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import DnsInspectError
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import (
    X509CheckError,
    check_certificate,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.errors import X509Error
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.keys import (
    KeyPolicyError,
    key_spec,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.tlsa import TlsaError
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.trust import (
    TrustStoreError,
    load_ca_certificates,
)


@pytest.mark.parametrize("error", [X509CheckError, TlsaError, TrustStoreError, KeyPolicyError])
def test_every_certificate_error_is_an_x509_error_and_bad_input(error):
    assert issubclass(error, X509Error)
    assert issubclass(error, ValueError)


@pytest.mark.parametrize("error", [DnsQueryError, DnsInspectError, TrustAnchorError])
def test_every_dns_error_is_a_dns_error(error):
    assert issubclass(error, DnsError)


def test_one_except_catches_what_the_certificate_package_raises(tmp_path):
    calls = [
        lambda: key_spec("dsa"),
        lambda: load_ca_certificates(str(tmp_path / "missing.pem")),
        lambda: check_certificate([b"x"], domain="example.org", stream="bogus", ca_path=None),
    ]
    for call in calls:
        with pytest.raises(X509Error):
            call()


def test_an_unreadable_dnssec_anchor_is_a_dns_error(tmp_path):
    with pytest.raises(DnsError, match="cannot read the trust anchor"):
        load_dnssec_anchors(str(tmp_path / "missing.key"))
