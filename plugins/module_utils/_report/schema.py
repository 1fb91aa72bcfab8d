"""The JSON Schema (draft 2020-12) of the verify stage's report document, held once.

This dict is the single source: docs/report.schema.json is written from it (see
docs/reports.md) and a unit test fails when the two differ. Probe results come from servers
that are not ours, so strings are only typed, never trusted; the tls_info parts allow extra
keys so that a newer prober does not break an older report reader.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA_VERSION = 1
SCHEMA_ID = "https://xmpp-encryption.invalid/report.schema.json"
GRADE_LETTERS = ["A+", "A", "A-", "B", "C", "D", "E", "T", "F"]
TLS_VERSIONS = ["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

_STR = {"type": "string"}
_OPT_STR = {"type": ["string", "null"]}
_OPT_BOOL = {"type": ["boolean", "null"]}
_OPT_INT = {"type": ["integer", "null"]}
_STR_LIST = {"type": "array", "items": _STR}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "xmpp.encryption verify report",
    "description": "One fleet scan of the verify stage: run metadata, verdict and every domain.",
    "type": "object",
    "required": [
        "schema_version",
        "collection_version",
        "started",
        "finished",
        "policy",
        "verdict",
        "counts",
        "domains",
    ],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "collection_version": _STR,
        "started": {**_STR, "description": "ISO 8601 time the scan started"},
        "finished": {**_STR, "description": "ISO 8601 time the scan finished"},
        "policy": {"type": "object", "description": "The policy the fleet was held against"},
        "verdict": {"$ref": "#/$defs/verdict"},
        "counts": {"$ref": "#/$defs/counts"},
        "domains": {"type": "array", "items": {"$ref": "#/$defs/domain"}},
    },
    "$defs": {
        "verdict": {"enum": ["pass", "fail"]},
        "grade_letter": {"enum": GRADE_LETTERS},
        "counts": {
            "type": "object",
            "required": [
                "domains",
                "domains_passed",
                "domains_failed",
                "endpoints",
                "endpoints_unreachable",
                "breaches",
                "grades",
            ],
            "additionalProperties": False,
            "properties": {
                "domains": {"type": "integer", "minimum": 0},
                "domains_passed": {"type": "integer", "minimum": 0},
                "domains_failed": {"type": "integer", "minimum": 0},
                "endpoints": {"type": "integer", "minimum": 0},
                "endpoints_unreachable": {"type": "integer", "minimum": 0},
                "breaches": {"type": "integer", "minimum": 0},
                "grades": {
                    "type": "object",
                    "description": "How many domains got each grade",
                    "propertyNames": {"$ref": "#/$defs/grade_letter"},
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
            },
        },
        "finding": {
            "description": "A cap (with the best grade it allows) or a warning, with its fix",
            "type": "object",
            "required": ["code", "reason", "fix"],
            "properties": {
                "code": _STR,
                "cap": {"$ref": "#/$defs/grade_letter"},
                "reason": _STR,
                "fix": _STR,
                "endpoint": _STR,
            },
        },
        "grade": {
            "type": "object",
            "required": ["grade", "score", "subscores", "caps", "warnings"],
            "properties": {
                "grade": {"$ref": "#/$defs/grade_letter"},
                "score": {"type": "number"},
                "subscores": {
                    "type": "object",
                    "required": ["protocol", "key_exchange", "cipher"],
                    "properties": {
                        "protocol": {"type": "number"},
                        "key_exchange": {"type": "number"},
                        "cipher": {"type": "number"},
                    },
                },
                "caps": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
                "warnings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
                "plus_missing": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
                "endpoint": _STR,
            },
        },
        "breach": {
            "description": "A rule of the policy that the domain breaks, with its fix",
            "type": "object",
            "required": ["code", "endpoint", "message", "fix"],
            "properties": {
                "code": _STR,
                "endpoint": _STR,
                "message": _STR,
                "fix": _STR,
            },
        },
        "domain": {
            "type": "object",
            "required": ["domain", "verdict", "grade", "breaches", "endpoints"],
            "properties": {
                "domain": _STR,
                "verdict": {"$ref": "#/$defs/verdict"},
                "grade": {"$ref": "#/$defs/grade"},
                "breaches": {"type": "array", "items": {"$ref": "#/$defs/breach"}},
                "endpoints": {"type": "array", "items": {"$ref": "#/$defs/endpoint"}},
            },
        },
        "endpoint": {
            "description": "One tls_info result and its grade",
            "type": "object",
            "required": ["endpoint", "error", "grade"],
            "properties": {
                "endpoint": {
                    "type": "object",
                    "required": ["host", "port", "domain", "stream", "tls_mode"],
                    "properties": {
                        "host": _STR,
                        "port": {"type": "integer", "minimum": 0, "maximum": 65535},
                        "domain": _STR,
                        "stream": {"enum": ["c2s", "s2s"]},
                        "tls_mode": {"enum": ["starttls", "direct"]},
                    },
                },
                "error": {
                    "oneOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {"code": _STR, "message": _STR},
                        },
                    ]
                },
                "features": {
                    "type": ["object", "null"],
                    "properties": {
                        "starttls_offered": _OPT_BOOL,
                        "starttls_required": _OPT_BOOL,
                        "sasl_mechanisms_before_tls": _STR_LIST,
                        "dialback_before_tls": _OPT_BOOL,
                    },
                },
                "plaintext_refused": _OPT_BOOL,
                "starttls_injection": _OPT_BOOL,
                "tls": {
                    "type": ["object", "null"],
                    "properties": {
                        "versions": {
                            "type": "object",
                            "propertyNames": {"enum": ["SSLv2", *TLS_VERSIONS]},
                            "additionalProperties": _OPT_BOOL,
                        },
                        "cipher_suites": {
                            "type": "object",
                            "additionalProperties": _STR_LIST,
                        },
                        "server_preference": {
                            "type": ["object", "boolean", "null"],
                            "additionalProperties": _OPT_BOOL,
                        },
                        "groups": _STR_LIST,
                        "forward_secrecy": _OPT_BOOL,
                        "compression": _OPT_BOOL,
                    },
                },
                "certificate": {
                    "type": ["object", "null"],
                    "properties": {
                        "subject": _OPT_STR,
                        "issuer": _OPT_STR,
                        "not_before": _OPT_STR,
                        "not_after": _OPT_STR,
                        "days_left": _OPT_INT,
                        "key_type": _OPT_STR,
                        "key_bits": _OPT_INT,
                        "signature_algorithm": _OPT_STR,
                        "san_dns": _STR_LIST,
                        "san_srv": _STR_LIST,
                        "san_xmpp_addr": _STR_LIST,
                        "chain": {"type": "array"},
                        "trusted": _OPT_BOOL,
                        "trust_error": _OPT_STR,
                        "name_matches": _OPT_BOOL,
                        "matched_identity": _OPT_STR,
                        "eku_client_auth": _OPT_BOOL,
                        "sha256": _OPT_STR,
                        "tlsa_3_1_1": _OPT_STR,
                    },
                },
                "handshakes": {"type": ["integer", "null"], "minimum": 0},
                "elapsed": {"type": ["number", "null"], "minimum": 0},
                "grade": {"$ref": "#/$defs/grade"},
            },
        },
    },
}


def schema_json() -> str:
    """The schema as docs/report.schema.json holds it (stable key order, final newline)."""
    return json.dumps(SCHEMA, indent=2, ensure_ascii=False) + "\n"
