"""Fixtures for the TLS tests; the servers themselves live in tls_test_servers.py."""

from tls_test_servers import openssl_server, pki

__all__ = ["openssl_server", "pki"]
