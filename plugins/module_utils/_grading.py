"""Grade one probed XMPP endpoint, and a domain from its endpoints: a pure function, no I/O.

The method starts from the IM Observatory's (xmpp.net), itself SSL Labs' SSL Server Rating
Guide: score = 0.3 protocol + 0.3 key exchange + 0.4 cipher strength, banded A..F, then
capped by findings that no score may outweigh. It is extended to TLS 1.3 and to what the
operators' manifesto is about and the Observatory never counted: plaintext must be
impossible, STARTTLS must not be injectable, an endpoint that cannot be probed fails.
docs/grading.md explains every rule to operators; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._tls_registry import (
    GROUPS_BY_NAME,
    SUITES_BY_NAME,
    CipherSuite,
)

# Best first. T sits below E: a configuration that would be good is worthless to a client
# that cannot tell the server from an attacker, but it is still better than a broken one.
GRADES: tuple[str, ...] = ("A+", "A", "A-", "B", "C", "D", "E", "T", "F")
A_FAMILY = frozenset({"A+", "A", "A-"})
BANDS: tuple[tuple[float, str], ...] = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E"))

# SSL Labs' protocol scores; TLS 1.3 is as good as it gets.
PROTOCOL_SCORES: dict[str, int] = {
    "SSLv2": 0,
    "SSLv3": 80,
    "TLSv1.0": 90,
    "TLSv1.1": 95,
    "TLSv1.2": 100,
    "TLSv1.3": 100,
}
OLD_TLS = ("TLSv1.0", "TLSv1.1")
WEAK_BLOCK_CIPHERS = frozenset({"DES", "DES40", "3DES", "IDEA", "RC2"})  # 64-bit blocks
DEFAULT_RENEW_DAYS = 30

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


@dataclass(frozen=True)
class DnsEvidence:
    """What DNS proved for the endpoint's domain: SRV answered DNSSEC-secure, TLSA matched."""

    srv_secure: bool = False
    tlsa_matched: bool = False


def normalize_dns(dns: Mapping[str, Any] | DnsEvidence | None) -> DnsEvidence | None:
    """Accept ``{srv_secure, tlsa_matched}`` or the dns_info shape ``{dnssec, tlsa: {matched}}``."""
    if dns is None or isinstance(dns, DnsEvidence):
        return dns
    if "dnssec" in dns or "tlsa" in dns:
        tlsa = dns.get("tlsa") or {}
        return DnsEvidence(
            srv_secure=dns.get("dnssec") == "secure",
            tlsa_matched=bool(tlsa.get("matched")) if isinstance(tlsa, Mapping) else False,
        )
    return DnsEvidence(
        srv_secure=dns.get("srv_secure") is True, tlsa_matched=dns.get("tlsa_matched") is True
    )


def dns_for(result: Mapping[str, Any], dns: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Pick the DNS result for a probe result's domain when ``dns`` is keyed by domain."""
    if dns is None or not isinstance(dns, Mapping):
        return None
    if {"srv_secure", "tlsa_matched", "dnssec", "tlsa"} & set(dns):
        return dns
    endpoint = result.get("endpoint")
    domain = endpoint.get("domain") if isinstance(endpoint, Mapping) else None
    picked = dns.get(domain) if domain else None
    return picked if isinstance(picked, Mapping) else None


# --- what a probe result says, read once -----------------------------------------------------


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Facts:
    """The parts of a probe result that grading and policy judge, with defaults for gaps."""

    label: str
    stream: str
    tls_mode: str
    error: Mapping[str, Any] | None
    versions: tuple[str, ...]  # offered, oldest first
    suites: tuple[CipherSuite, ...]
    unknown_suites: tuple[str, ...]
    groups: tuple[str, ...]
    min_dh_bits: int | None
    compression: bool
    probe_forward_secrecy: bool | None
    features: Mapping[str, Any]
    plaintext_refused: bool | None
    starttls_injection: bool
    certificate: Mapping[str, Any]
    tls_probed: bool = True  # False when tls_info ran without its TLS checks
    missing: tuple[str, ...] = ()  # evidence the probe did not gather

    @property
    def fs_suites(self) -> tuple[CipherSuite, ...]:
        return tuple(s for s in self.suites if s.forward_secret)

    @property
    def non_fs_suites(self) -> tuple[CipherSuite, ...]:
        return tuple(s for s in self.suites if not s.forward_secret)

    @property
    def has_forward_secrecy(self) -> bool:
        """At least one suite gives forward secrecy (the probe's word when no suites listed)."""
        if self.suites:
            return bool(self.fs_suites)
        return self.probe_forward_secrecy is True

    @property
    def all_forward_secret(self) -> bool:
        if self.suites:
            return not self.non_fs_suites
        return self.probe_forward_secrecy is True

    def plaintext_findings(self) -> tuple[tuple[str, str, str], ...]:
        """(code, reason, fix) for every way this endpoint lets data or credentials in clear."""
        out: list[tuple[str, str, str]] = []
        require = f"{self.stream}_require_encryption = true"
        feats = self.features
        if self.tls_mode != "direct" and feats:  # no features section: not probed
            if feats.get("starttls_offered") is False:
                out.append(
                    (
                        "starttls-not-offered",
                        "The server does not offer STARTTLS: every stream on this port is "
                        "plaintext.",
                        f"Give Prosody a certificate for the domain and set {require}.",
                    )
                )
            elif feats.get("starttls_required") is not True:
                out.append(
                    (
                        "starttls-not-required",
                        "STARTTLS is offered but not required: a "
                        + ("client" if self.stream == "c2s" else "peer server")
                        + " (or an attacker who strips STARTTLS) can carry on in plaintext.",
                        f"Set {require}." + FIX_RELOAD,
                    )
                )
            mechanisms = list(feats.get("sasl_mechanisms_before_tls") or ())
            if mechanisms:
                fix = (
                    f"Set {require} and allow_unencrypted_plain_auth = false."
                    if self.stream == "c2s"
                    else f"Set {require}."
                )
                out.append(
                    (
                        "auth-before-tls",
                        "Authentication is offered before TLS (SASL "
                        + ", ".join(str(m) for m in mechanisms)
                        + "): passwords or credentials can cross the network in clear.",
                        fix + FIX_RELOAD,
                    )
                )
            if feats.get("dialback_before_tls") is True:
                out.append(
                    (
                        "dialback-before-tls",
                        "Server dialback is offered before TLS: a peer can federate over an "
                        "unencrypted, unauthenticated stream.",
                        f"Set {require} (and s2s_secure_auth = true to demand certificates).",
                    )
                )
        if self.plaintext_refused is False:
            out.append(
                (
                    "plaintext-accepted",
                    "The server accepted a stream that never started TLS.",
                    f"Set {require}"
                    + (
                        " and allow_unencrypted_plain_auth = false."
                        if self.stream == "c2s"
                        else "."
                    )
                    + FIX_RELOAD,
                )
            )
        return tuple(out)


def endpoint_label(result: Mapping[str, Any]) -> str:
    ep = _map(result.get("endpoint"))
    where = f"{ep.get('host', '?')}:{ep.get('port', '?')}"
    return f"{ep.get('domain', '?')} {ep.get('stream', '?')} {where}"


def read_facts(result: Mapping[str, Any]) -> Facts:
    ep = _map(result.get("endpoint"))
    tls = _map(result.get("tls"))
    versions_map = _map(tls.get("versions"))
    versions = tuple(v for v in PROTOCOL_SCORES if versions_map.get(v) is True)
    suites: list[CipherSuite] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for names in _map(tls.get("cipher_suites")).values():
        for name in names or ():
            if name in seen:
                continue
            seen.add(name)
            suite = SUITES_BY_NAME.get(name) or SUITES_BY_NAME.get(f"OLD_{name}")
            if suite is None:
                unknown.append(str(name))
            else:
                suites.append(suite)
    error = result.get("error")
    dh = tls.get("min_dh_bits")
    fs = tls.get("forward_secrecy")
    return Facts(
        label=endpoint_label(result),
        stream=str(ep.get("stream") or "c2s"),
        tls_mode=str(ep.get("tls_mode") or "starttls"),
        error=error if isinstance(error, Mapping) else ({"message": str(error)} if error else None),
        versions=versions,
        suites=tuple(suites),
        unknown_suites=tuple(unknown),
        groups=tuple(str(g) for g in tls.get("groups") or ()),
        min_dh_bits=int(dh) if isinstance(dh, int) else None,
        compression=tls.get("compression") is True,
        probe_forward_secrecy=fs if isinstance(fs, bool) else None,
        features=_map(result.get("features")),
        plaintext_refused=result.get("plaintext_refused"),
        starttls_injection=result.get("starttls_injection") is True,
        certificate=_map(result.get("certificate")),
        tls_probed=bool(tls),
        missing=_missing(result, tls),
    )


def _missing(result: Mapping[str, Any], tls: Mapping[str, Any]) -> tuple[str, ...]:
    """What a probe without an error still did not establish (a check left out, a lost scan)."""
    ep = _map(result.get("endpoint"))
    out = []
    if ep.get("tls_mode") != "direct" and not _map(result.get("features")):
        out.append("the stream features (is STARTTLS required? SASL before TLS?)")
    if tls and not _map(result.get("certificate")):
        out.append("the certificate")
    if tls.get("complete") is False:
        out.append("part of the TLS scan (connections were lost)")
    return tuple(out)


# --- sub-scores ------------------------------------------------------------------------------


def band(score: float) -> str:
    """The letter for a score: A >= 80, B >= 65, C >= 50, D >= 35, E >= 20, else F."""
    for floor, letter in BANDS:
        if score >= floor:
            return letter
    return "F"


def key_strength_score(rsa_bits: int) -> int:
    """SSL Labs' key-exchange table, by RSA-equivalent bits."""
    if rsa_bits <= 0:
        return 0
    if rsa_bits < 512:
        return 20
    if rsa_bits < 1024:
        return 40
    if rsa_bits < 2048:
        return 80
    if rsa_bits < 4096:
        return 90
    return 100


def cipher_bits_score(bits: int) -> int:
    """SSL Labs' cipher-strength table."""
    if bits <= 0:
        return 0
    if bits < 128:
        return 20
    if bits < 256:
        return 80
    return 100


def ec_rsa_equivalent(ec_bits: int) -> int:
    """RSA modulus of the same strength as an elliptic curve of this size (NIST SP 800-57)."""
    for floor, rsa in ((500, 15360), (380, 7680), (250, 3072), (220, 2048), (190, 1536)):
        if ec_bits >= floor:
            return rsa
    return 1024 if ec_bits >= 160 else 512


def certificate_rsa_equivalent(cert: Mapping[str, Any]) -> int | None:
    key_type = str(cert.get("key_type") or "")
    bits = cert.get("key_bits")
    if key_type == "Ed25519":
        return 3072
    if key_type == "Ed448":
        return 7680
    if not isinstance(bits, int):
        return None
    if key_type == "EC":
        return ec_rsa_equivalent(bits)
    return bits  # RSA, DSA


def group_rsa_equivalent(name: str) -> int | None:
    group = GROUPS_BY_NAME.get(name)
    if group is None:
        return None
    if group.kind == "ff":
        return group.bits
    if group.kind == "hybrid":
        # ML-KEM-768 and -1024 are NIST categories 3 and 5: at least AES-192 strength.
        return max(ec_rsa_equivalent(group.bits), 7680)
    return ec_rsa_equivalent(group.bits)


def protocol_subscore(versions: Sequence[str]) -> float:
    if not versions:
        return 0.0
    scores = [PROTOCOL_SCORES[v] for v in versions]
    return (max(scores) + min(scores)) / 2


def key_exchange_subscore(facts: Facts) -> float:
    """The weakest of: the certificate key, every ephemeral group or DH prime, export, anon."""
    parts: list[int] = []
    cert_bits = certificate_rsa_equivalent(facts.certificate)
    if cert_bits is not None:
        parts.append(key_strength_score(cert_bits))
    for name in facts.groups:
        eq = group_rsa_equivalent(name)
        if eq is not None:
            parts.append(key_strength_score(eq))
    if facts.min_dh_bits is not None:
        parts.append(key_strength_score(facts.min_dh_bits))
    if any(s.export for s in facts.suites):
        parts.append(40)
    if any(s.anonymous for s in facts.suites):
        parts.append(0)
    return float(min(parts)) if parts else 0.0


def cipher_subscore(suites: Sequence[CipherSuite]) -> float:
    if not suites:
        return 0.0
    bits = [s.bits for s in suites]
    return (cipher_bits_score(max(bits)) + cipher_bits_score(min(bits))) / 2


def subscores_of(facts: Facts) -> Subscores:
    return Subscores(
        protocol=protocol_subscore(facts.versions),
        key_exchange=key_exchange_subscore(facts),
        cipher=cipher_subscore(facts.suites),
    )


# --- caps and warnings -----------------------------------------------------------------------


def _names(suites: Iterable[CipherSuite], limit: int = 4) -> str:
    names = [s.name for s in suites]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _finding(code: str, cap: str | None, reason: str, fix: str) -> Finding:
    return Finding(code=code, reason=reason, fix=fix, cap=cap)


def _protocol_caps(f: Facts) -> list[Finding]:
    out: list[Finding] = []
    v = f.versions
    if not f.tls_probed:
        out.append(
            _finding(
                "tls-not-probed",
                "F",
                "The TLS configuration was not probed, so nothing shows that it is sound.",
                "Run tls_info with its TLS checks (versions, suites, groups).",
            )
        )
        return out
    if not v:
        out.append(
            _finding(
                "no-tls",
                "F",
                "No TLS version could be negotiated: the endpoint offers no encryption a "
                "client can use.",
                FIX_PROTOCOL,
            )
        )
        return out
    if "SSLv2" in v:
        out.append(
            _finding("sslv2", "F", "SSLv2 is accepted; it is broken beyond repair.", FIX_PROTOCOL)
        )
    if v[-1] in ("SSLv2", "SSLv3"):
        out.append(
            _finding(
                "sslv3-only",
                "F",
                "The best protocol offered is SSLv3 or older (POODLE); no TLS at all.",
                FIX_PROTOCOL,
            )
        )
    elif "SSLv3" in v:
        out.append(
            _finding(
                "sslv3",
                "B",
                "SSLv3 is still accepted (POODLE, no modern ciphers).",
                FIX_PROTOCOL,
            )
        )
    if not {"TLSv1.2", "TLSv1.3"} & set(v):
        out.append(
            _finding(
                "no-tls12",
                "C",
                "Neither TLS 1.2 nor TLS 1.3 is offered: no AEAD suites, old hash constructions.",
                FIX_PROTOCOL,
            )
        )
    return out


def _cipher_caps(f: Facts) -> list[Finding]:
    out: list[Finding] = []
    null = [s for s in f.suites if s.cipher == "NULL"]
    anon = [s for s in f.suites if s.anonymous]
    export = [s for s in f.suites if s.export]
    rc4 = [s for s in f.suites if s.cipher.startswith("RC4")]
    if null:
        out.append(
            _finding(
                "null-cipher",
                "F",
                f"Suites without encryption are accepted ({_names(null)}): traffic can flow "
                "in clear inside 'TLS'.",
                FIX_CIPHERS,
            )
        )
    if anon:
        out.append(
            _finding(
                "anonymous-suite",
                "F",
                f"Anonymous suites are accepted ({_names(anon)}): no certificate is checked, "
                "so anyone in the path can intercept.",
                FIX_CIPHERS,
            )
        )
    if export:
        out.append(
            _finding(
                "export-suite",
                "F",
                f"Export-grade suites are accepted ({_names(export)}): 40/56-bit keys, "
                "broken in minutes (FREAK, Logjam).",
                FIX_CIPHERS,
            )
        )
    if rc4:
        out.append(
            _finding(
                "rc4",
                "C",
                f"RC4 is accepted ({_names(rc4)}); its biases leak plaintext (RFC 7465 "
                "forbids it).",
                FIX_CIPHERS,
            )
        )
    if f.suites and not f.has_forward_secrecy:
        out.append(
            _finding(
                "no-forward-secrecy",
                "B",
                "No suite gives forward secrecy: whoever obtains the server's key later can "
                "decrypt every recorded session.",
                FIX_CIPHERS,
            )
        )
    if f.compression:
        out.append(
            _finding(
                "compression",
                "C",
                "TLS compression is on (CRIME): secrets in the stream can be recovered.",
                "Set ssl = { options = { no_compression = true } } (Prosody's default) and "
                "use a current OpenSSL, which has no TLS compression.",
            )
        )
    if f.min_dh_bits is not None and f.min_dh_bits < 2048:
        out.append(
            _finding(
                "dh-under-2048",
                "B",
                f"A finite-field DH group of only {f.min_dh_bits} bits is used (Logjam).",
                'Set ssl = { dhparam = "/etc/prosody/dh-2048.pem" } with a 2048-bit or '
                "larger group, or offer only ECDHE suites: " + FIX_CIPHERS,
            )
        )
    return out


def _certificate_caps(f: Facts) -> list[Finding]:
    out: list[Finding] = []
    cert = f.certificate
    if not cert:
        return out
    key_type = str(cert.get("key_type") or "")
    bits = certificate_rsa_equivalent(cert)
    if bits is not None and bits < 1024:
        out.append(
            _finding(
                "key-under-1024",
                "F",
                f"The certificate's {key_type} key has the strength of only {bits} RSA bits.",
                FIX_CERT,
            )
        )
    elif bits is not None and bits < 2048:
        out.append(
            _finding(
                "key-under-2048",
                "B",
                f"The certificate's {key_type} key has the strength of only {bits} RSA bits "
                "(2048 is the minimum).",
                FIX_CERT,
            )
        )
    sig = str(cert.get("signature_algorithm") or "").lower()
    if "md5" in sig:
        out.append(
            _finding(
                "md5-signature",
                "F",
                f"The certificate is signed with MD5 ({cert.get('signature_algorithm')}); "
                "such signatures can be forged.",
                FIX_CERT,
            )
        )
    days = cert.get("days_left")
    if isinstance(days, int) and days < 0:
        out.append(
            _finding(
                "certificate-expired",
                "F",
                f"The certificate expired {-days} day(s) ago (not after {cert.get('not_after')}).",
                "Renew the certificate now through the collection's certificate role, and "
                "check that its scheduled renewal runs.",
            )
        )
    # Trust and identity: T in place of an A, F otherwise (decided in grade_endpoint).
    if cert.get("trusted") is False:
        error = cert.get("trust_error") or "the chain does not lead to a trusted root"
        out.append(
            _finding(
                "certificate-untrusted",
                "T",
                f"The certificate is not trusted: {error}. Clients and peers cannot tell "
                "this server from an attacker.",
                "Use a certificate from a CA that clients trust (the certificate role can "
                "obtain one over ACME) and serve the full chain.",
            )
        )
    if cert.get("name_matches") is False:
        out.append(
            _finding(
                "name-mismatch",
                "T",
                "The certificate does not cover the XMPP domain "
                f"(SAN DNS: {', '.join(cert.get('san_dns') or []) or 'none'}); RFC 9525 "
                "allows no fallback to the subject CN.",
                "Add the domain (and every VirtualHost and Component) to the certificate "
                "through the certificate role.",
            )
        )
    return out


def _warnings(f: Facts, renew_days: int) -> list[Finding]:
    out: list[Finding] = []
    old = [v for v in OLD_TLS if v in f.versions]
    if old:
        out.append(
            _finding(
                "old-tls",
                None,
                f"{' and '.join(old)} are still accepted; RFC 8996 deprecates them.",
                FIX_PROTOCOL,
            )
        )
    weak = [s for s in f.suites if s.cipher.split("_")[0] in WEAK_BLOCK_CIPHERS]
    if weak:
        out.append(
            _finding(
                "weak-block-cipher",
                None,
                f"64-bit block ciphers are accepted ({_names(weak)}): long sessions leak "
                "plaintext (Sweet32).",
                FIX_CIPHERS,
            )
        )
    if f.suites and f.has_forward_secrecy and not f.all_forward_secret:
        out.append(
            _finding(
                "partial-forward-secrecy",
                None,
                f"Some suites lack forward secrecy ({_names(f.non_fs_suites)}): a client "
                "that picks one can have its sessions decrypted later with the server's key.",
                FIX_CIPHERS,
            )
        )
    if f.missing:
        out.append(
            _finding(
                "incomplete-probe",
                None,
                "The probe did not establish " + "; ".join(f.missing) + ", so the grade "
                "rests on part of the evidence.",
                "Probe again with all checks; if connections were lost, lower the probe's "
                "concurrency or raise its timeout.",
            )
        )
    if f.unknown_suites:
        out.append(
            _finding(
                "unknown-suite",
                None,
                "Suites this grading does not know were accepted and were not scored: "
                + ", ".join(f.unknown_suites[:4]),
                FIX_CIPHERS,
            )
        )
    cert = f.certificate
    days = cert.get("days_left")
    if isinstance(days, int) and 0 <= days <= renew_days:
        out.append(
            _finding(
                "certificate-expiring",
                None,
                f"The certificate expires in {days} day(s) (not after {cert.get('not_after')}),"
                f" inside the {renew_days}-day renewal window.",
                "Renew it through the collection's certificate role and check that its "
                "scheduled renewal runs.",
            )
        )
    if "sha1" in str(cert.get("signature_algorithm") or "").lower():
        out.append(
            _finding(
                "sha1-signature",
                None,
                "The certificate is signed with SHA-1, which clients no longer accept.",
                FIX_CERT,
            )
        )
    if cert and f.stream == "s2s" and cert.get("eku_client_auth") is False:
        out.append(
            _finding(
                "s2s-no-client-auth",
                None,
                "The certificate lacks the clientAuth extended key usage. When this server "
                "connects out, peers cannot authenticate it by certificate (SASL EXTERNAL, "
                "XEP-0178): they fall back to dialback or, with s2s_secure_auth = true, "
                "refuse the connection.",
                "Issue a certificate with both serverAuth and clientAuth usages through the "
                "certificate role (some public CAs have stopped adding clientAuth; use one "
                "that still does, or keep dialback for peers).",
            )
        )
    if cert and (cert.get("trusted") is None or cert.get("name_matches") is None):
        out.append(
            _finding(
                "trust-unknown",
                None,
                "Whether the certificate is trusted and names the domain was not checked.",
                "Probe again with the trust store the clients use.",
            )
        )
    return out


def _plus_missing(f: Facts, dns: DnsEvidence | None, warnings: Sequence[Finding]) -> list[Finding]:
    out: list[Finding] = []
    if warnings:
        out.append(
            _finding("warnings", None, "There are warnings (see warnings).", "Fix each warning.")
        )
    if "TLSv1.3" not in f.versions:
        out.append(_finding("no-tls13", None, "TLS 1.3 is not offered.", FIX_PROTOCOL))
    if any(v in f.versions for v in ("SSLv2", "SSLv3", *OLD_TLS)):
        out.append(
            _finding(
                "tls-below-1.2", None, "A version older than TLS 1.2 is offered.", FIX_PROTOCOL
            )
        )
    if not f.all_forward_secret:
        out.append(
            _finding(
                "not-all-forward-secret", None, "Not every suite is forward-secret.", FIX_CIPHERS
            )
        )
    if dns is None or not dns.srv_secure:
        out.append(
            _finding(
                "srv-not-secure",
                None,
                "The SRV records were not shown to be DNSSEC-signed and validated.",
                "Sign the zone with DNSSEC and publish the DS record at the parent.",
            )
        )
    if dns is None or not dns.tlsa_matched:
        out.append(
            _finding(
                "no-dane",
                None,
                "No DNSSEC-validated TLSA record matched the certificate (DANE, RFC 7673).",
                "Publish a TLSA 3 1 1 record for each SRV target through the certificate "
                "role, in a DNSSEC-signed zone.",
            )
        )
    return out


# --- the verdict -----------------------------------------------------------------------------


def worse(a: str, b: str) -> str:
    """The worse of two grades."""
    return a if GRADES.index(a) >= GRADES.index(b) else b


def grade_endpoint(
    result: Mapping[str, Any],
    dns: Mapping[str, Any] | DnsEvidence | None = None,
    *,
    renew_days: int = DEFAULT_RENEW_DAYS,
) -> Grade:
    """Grade one probe result of ``xmpp.encryption.tls_info``; see docs/grading.md."""
    facts = read_facts(result)
    evidence = normalize_dns(dns if isinstance(dns, DnsEvidence) else dns_for(result, dns))
    if facts.error is not None:
        code = facts.error.get("code") or "error"
        message = facts.error.get("message") or "the endpoint could not be probed"
        cap = _finding(
            "unreachable",
            "F",
            f"The endpoint could not be probed ({code}): {message}",
            "Check that the server runs and listens on this host and port, that the firewall "
            "lets the prober in, and that the SRV records point at it.",
        )
        return Grade("F", 0.0, Subscores(0.0, 0.0, 0.0), caps=(cap,), endpoint=facts.label)

    subscores = subscores_of(facts)
    score = subscores.total()
    caps: list[Finding] = [_finding(c, "F", r, x) for c, r, x in facts.plaintext_findings()]
    if facts.starttls_injection:
        caps.append(
            _finding(
                "starttls-injection",
                "F",
                "The server sent data after <proceed/> before the TLS handshake (STARTTLS "
                "injection): an attacker can slip commands into the encrypted session.",
                "Upgrade the XMPP server, and remove any proxy or load balancer that buffers "
                "plaintext across STARTTLS.",
            )
        )
    caps += _protocol_caps(facts) + _cipher_caps(facts) + _certificate_caps(facts)
    warnings = _warnings(facts, renew_days)

    letter = band(score)
    for cap in caps:
        if cap.cap != "T":
            letter = worse(letter, cap.cap or "F")
    plus_missing = _plus_missing(facts, evidence, warnings)
    if letter == "A":
        if warnings:
            letter = "A-"
        elif not plus_missing:
            letter = "A+"
    if any(c.cap == "T" for c in caps):
        letter = "T" if letter in A_FAMILY else "F"
    if letter == "A+":
        plus_missing = []
    return Grade(
        grade=letter,
        score=score,
        subscores=subscores,
        caps=tuple(caps),
        warnings=tuple(warnings),
        plus_missing=tuple(plus_missing),
        endpoint=facts.label,
    )


def grade_domain(endpoint_grades: Iterable[Grade], domain: str = "") -> Grade:
    """The worst endpoint's grade; every finding kept and tagged with its endpoint."""
    grades = list(endpoint_grades)
    if not grades:
        cap = _finding(
            "no-endpoints",
            "F",
            "No endpoint of the domain was probed, so nothing shows that it is encrypted.",
            "Check the SRV records (_xmpp-client._tcp, _xmpp-server._tcp) and the probe's targets.",
        )
        return Grade("F", 0.0, Subscores(0.0, 0.0, 0.0), caps=(cap,), endpoint=domain)
    worst = grades[0].grade
    for g in grades[1:]:
        worst = worse(worst, g.grade)
    return Grade(
        grade=worst,
        score=min(g.score for g in grades),
        subscores=Subscores(
            min(g.subscores.protocol for g in grades),
            min(g.subscores.key_exchange for g in grades),
            min(g.subscores.cipher for g in grades),
        ),
        caps=tuple(f.tagged(g.endpoint) for g in grades for f in g.caps),
        warnings=tuple(f.tagged(g.endpoint) for g in grades for f in g.warnings),
        plus_missing=tuple(f.tagged(g.endpoint) for g in grades for f in g.plus_missing),
        endpoint=domain,
    )


__all__ = [
    "A_FAMILY",
    "GRADES",
    "DnsEvidence",
    "Facts",
    "Finding",
    "Grade",
    "Subscores",
    "band",
    "dns_for",
    "endpoint_label",
    "grade_domain",
    "grade_endpoint",
    "normalize_dns",
    "read_facts",
    "worse",
]
