"""A small fleet for the report tests: graded by the collection's real grading.

Four domains, each a different story: good.example (A+), legacy.example (F: plaintext
accepted, TLS 1.0, SASL PLAIN before TLS), selfsigned.example (T: a self-signed certificate
whose subject carries markup, as a hostile server may send) and down.example (unreachable).
Grades and breaches come from the collection's own grading and policy, as in a real run.
"""

from __future__ import annotations

import copy
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    domain_endpoint_label,
    grade_domain,
    grade_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import (
    evaluate_policy,
    resolve_policy,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.document import (
    build_document,
)

from .grading import result_with

HOSTILE_SUBJECT = "CN=<script>document.title='PWNED'</script><img src=x onerror=alert(1)>"
SECURE_DNS = {"srv_secure": True, "tlsa_matched": True}
STARTED = "2025-06-01T10:00:00Z"
FINISHED = "2025-06-01T10:00:07Z"
POLICY = {"min_grade": "A", "min_tls_version": "TLSv1.2", "require_dane": False}


def endpoint(domain: str, stream: str = "c2s", tls_mode: str = "starttls", **changes: Any) -> dict:
    """A clean tls_info result for ``domain``; ``changes`` use dotted paths with __ for dots."""
    own = {
        "endpoint.host": f"xmpp.{domain}",
        "endpoint.domain": domain,
        "certificate.subject": f"CN={domain}",
        "certificate.not_before": "2025-03-01T00:00:00Z",
        "certificate.not_after": "2025-08-20T00:00:00Z",
        "certificate.days_left": 80,
        "certificate.san_dns": [domain],
        "certificate.chain": [{"subject": f"CN={domain}", "issuer": "CN=Lab CA"}],
        "certificate.matched_identity": domain,
        "certificate.sha256": "9f" * 32,
        "certificate.tlsa_3_1_1": "5c" * 32,
        "handshakes": 14,
        "elapsed": 0.8,
    }
    asked = {path.replace("__", "."): value for path, value in changes.items()}
    return result_with({**own, **asked}, stream, tls_mode)


def unreachable(domain: str, stream: str = "c2s") -> dict:
    result = endpoint(domain, stream)
    for key in ("features", "plaintext_refused", "starttls_injection", "tls", "certificate"):
        result[key] = None
    result.update(error={"code": "timeout", "message": "connect timed out after 5 s"})
    result.update(handshakes=0, elapsed=5.0)
    return result


def breach(code: str, result: dict | None, message: str, fix: str) -> dict:
    return {
        "code": code,
        "endpoint": domain_endpoint_label(result) if result is not None else "",
        "message": message,
        "fix": fix,
    }


def graded_domain(
    name: str, results: list[dict], dns: dict | None, extra_breaches: list[dict] | None = None
) -> dict:
    """Grade each result, grade the domain, and hold the results against POLICY."""
    grades = [grade_endpoint(r, dns) for r in results]
    breaches = [
        b.as_dict()
        for r, g in zip(results, grades, strict=True)
        for b in evaluate_policy(r, POLICY, dns=dns, grade=g)
    ]
    return {
        "domain": name,
        "grade": grade_domain(grades, name).as_dict(),
        "breaches": breaches + list(extra_breaches or ()),
        "endpoints": [
            {**copy.deepcopy(r), "grade": g.as_dict()} for r, g in zip(results, grades, strict=True)
        ],
    }


def good() -> dict:
    results = [endpoint("good.example"), endpoint("good.example", "s2s")]
    return graded_domain("good.example", results, SECURE_DNS)


def legacy() -> dict:
    versions = {"SSLv3": False, "TLSv1.0": True, "TLSv1.1": True, "TLSv1.2": True, "TLSv1.3": False}
    c2s = endpoint(
        "legacy.example",
        plaintext_refused=False,
        features__starttls_required=False,
        features__sasl_mechanisms_before_tls=["PLAIN", "SCRAM-SHA-1"],
        tls__versions=versions,
        tls__cipher_suites={
            "TLSv1.0": ["TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"],
            "TLSv1.1": ["TLS_RSA_WITH_AES_128_CBC_SHA"],
            "TLSv1.2": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
        },
        certificate__days_left=12,
    )
    s2s = endpoint("legacy.example", "s2s", tls__versions=versions, certificate__days_left=12)
    return graded_domain("legacy.example", [c2s, s2s], None)


def selfsigned() -> dict:
    c2s = endpoint(
        "selfsigned.example",
        certificate__subject=HOSTILE_SUBJECT,
        certificate__issuer=HOSTILE_SUBJECT,
        certificate__trusted=False,
        certificate__trust_error="self-signed certificate",
        certificate__days_left=300,
    )
    return graded_domain("selfsigned.example", [c2s], None)


def down() -> dict:
    c2s = unreachable("down.example")
    return graded_domain("down.example", [c2s], None)


def fleet() -> list[dict]:
    return [good(), legacy(), selfsigned(), down()]


def document(domains: list[dict] | None = None, **meta: Any) -> dict:
    args: dict[str, Any] = {
        "started": STARTED,
        "finished": FINISHED,
        "policy": resolve_policy(POLICY),
        "collection_version": "0.1.0",
    }
    args.update(meta)
    return build_document(fleet() if domains is None else domains, **args)
