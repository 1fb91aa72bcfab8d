"""The grade's vocabulary: the letters and their order, the findings and the result types.

Also the settings that fixes name, spelled once for grading, policy and reports alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Best first. T sits below E: a configuration that would be good is worthless to a client
# that cannot tell the server from an attacker, but it is still better than a broken one.
GRADES: tuple[str, ...] = ("A+", "A", "A-", "B", "C", "D", "E", "T", "F")
A_FAMILY = frozenset({"A+", "A", "A-"})

# The settings named in fixes, spelled once.
FIX_PROTOCOL = (
    'Allow TLS 1.2 and 1.3 only: tls_profile = "intermediate" (or "modern"), or '
    'ssl = { protocol = "tlsv1_2+" } in the Prosody configuration.'
)
FIX_CIPHERS = (
    'Offer only forward-secret AEAD suites: tls_profile = "intermediate", or '
    'ssl = { ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20" }.'
)
FIX_CERT = (
    "Issue a new certificate (RSA 2048 bits or more, or EC P-256/P-384, signed with "
    "SHA-256 or better) through the collection's certificate role, then reload Prosody."
)
FIX_RELOAD = (
    ' Then reload the affected modules (prosodyctl shell: module:reload("tls") and '
    'module:reload("saslauth")) or restart Prosody: `prosodyctl reload` alone does not '
    "apply these settings."
)


@dataclass(frozen=True)
class Finding:
    """A cap (``cap`` is the best grade it allows) or a warning (``cap`` is None)."""

    code: str
    reason: str
    fix: str
    cap: str | None = None
    endpoint: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code}
        if self.cap is not None:
            out["cap"] = self.cap
        out["reason"] = self.reason
        out["fix"] = self.fix
        if self.endpoint:
            out["endpoint"] = self.endpoint
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            code=str(data["code"]),
            reason=str(data.get("reason", "")),
            fix=str(data.get("fix", "")),
            cap=data.get("cap"),
            endpoint=str(data.get("endpoint", "")),
        )

    def tagged(self, endpoint: str) -> Finding:
        return Finding(self.code, self.reason, self.fix, self.cap, self.endpoint or endpoint)


@dataclass(frozen=True)
class Subscores:
    protocol: float
    key_exchange: float
    cipher: float

    def total(self) -> float:
        # Integer weights and one division keep a band edge (80, 65, ...) free of float
        # rounding whatever the sub-scores are.
        return (3 * self.protocol + 3 * self.key_exchange + 4 * self.cipher) / 10

    def as_dict(self) -> dict[str, float]:
        return {
            "protocol": self.protocol,
            "key_exchange": self.key_exchange,
            "cipher": self.cipher,
        }


@dataclass(frozen=True)
class Grade:
    """The verdict for one endpoint (or, from grade_domain, for a whole domain)."""

    grade: str
    score: float
    subscores: Subscores
    caps: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    plus_missing: tuple[Finding, ...] = ()  # why not A+ (empty when the grade is A+)
    endpoint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "score": self.score,
            "subscores": self.subscores.as_dict(),
            "caps": [f.as_dict() for f in self.caps],
            "warnings": [f.as_dict() for f in self.warnings],
            "plus_missing": [f.as_dict() for f in self.plus_missing],
            "endpoint": self.endpoint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Grade:
        sub = data.get("subscores") or {}
        return cls(
            grade=str(data["grade"]),
            score=float(data.get("score", 0.0)),
            subscores=Subscores(
                float(sub.get("protocol", 0.0)),
                float(sub.get("key_exchange", 0.0)),
                float(sub.get("cipher", 0.0)),
            ),
            caps=tuple(Finding.from_dict(f) for f in data.get("caps", ())),
            warnings=tuple(Finding.from_dict(f) for f in data.get("warnings", ())),
            plus_missing=tuple(Finding.from_dict(f) for f in data.get("plus_missing", ())),
            endpoint=str(data.get("endpoint", "")),
        )


def worse(a: str, b: str) -> str:
    """The worse of two grades."""
    return a if GRADES.index(a) >= GRADES.index(b) else b
