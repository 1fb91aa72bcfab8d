"""A builder for probe results: a clean A-grade endpoint that each test changes in one place."""

from __future__ import annotations

import copy
from typing import Any

TLS12_SUITES = [
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
]
TLS13_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]


def clean_result(stream: str = "c2s", tls_mode: str = "starttls") -> dict[str, Any]:
    """What tls_info returns for a well-run Prosody: TLS 1.2 and 1.3, ECDHE, RSA 2048, trusted."""
    port = {"c2s": 5222, "s2s": 5269}[stream] + (1 if tls_mode == "direct" else 0)
    return {
        "endpoint": {
            "host": "xmpp.example.test",
            "port": port,
            "domain": "example.test",
            "stream": stream,
            "tls_mode": tls_mode,
        },
        "error": None,
        "features": {
            "starttls_offered": tls_mode == "starttls",
            "starttls_required": tls_mode == "starttls",
            "sasl_mechanisms_before_tls": [],
            "dialback_before_tls": False,
        },
        "plaintext_refused": True,
        "starttls_injection": False,
        "tls": {
            "versions": {
                "SSLv3": False,
                "TLSv1.0": False,
                "TLSv1.1": False,
                "TLSv1.2": True,
                "TLSv1.3": True,
            },
            "cipher_suites": {"TLSv1.2": list(TLS12_SUITES), "TLSv1.3": list(TLS13_SUITES)},
            "server_preference": {"TLSv1.2": True, "TLSv1.3": False},
            "groups": ["x25519", "secp256r1"],
            "min_dh_bits": None,
            "forward_secrecy": True,
            "compression": False,
        },
        "certificate": {
            "subject": "CN=example.test",
            "issuer": "CN=Lab CA",
            "not_before": "2025-01-01T00:00:00Z",
            "not_after": "2026-12-31T00:00:00Z",
            "days_left": 90,
            "key_type": "RSA",
            "key_bits": 2048,
            "signature_algorithm": "sha256WithRSAEncryption",
            "san_dns": ["example.test"],
            "san_srv": [],
            "san_xmpp_addr": [],
            "chain": [{"subject": "CN=example.test", "issuer": "CN=Lab CA", "sha256": "00"}],
            "trusted": True,
            "trust_error": None,
            "name_matches": True,
            "matched_identity": "example.test",
            "eku_client_auth": True,
            "sha256": "00",
            "tlsa_3_1_1": "00",
        },
        "handshakes": 12,
        "elapsed": 0.5,
    }


def result_with(changes: dict[str, Any], stream: str = "c2s", tls_mode: str = "starttls") -> dict:
    """The clean result with ``changes`` applied; keys are dotted paths ('tls.versions.SSLv3')."""
    result = copy.deepcopy(clean_result(stream, tls_mode))
    for path, value in changes.items():
        parts = path.split(".")
        node = result
        # Descend while the next part names a dict; the rest is the leaf ('TLSv1.2' has a dot).
        while len(parts) > 1 and isinstance(node.get(parts[0]), dict):
            node = node[parts.pop(0)]
        node[".".join(parts)] = value
    return result


SECURE_DNS = {"srv_secure": True, "tlsa_matched": True}
