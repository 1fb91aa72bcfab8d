"""Fixtures for the TLS tests; the servers themselves live in tls_test_servers.py."""

from ansible_collections.xmpp.encryption.tests.unit.support.tls_server import openssl_server, pki

__all__ = ["openssl_server", "pki"]
