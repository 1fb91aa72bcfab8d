"""What a probe result says, read once for grading and policy, and what DNS proved.

A pure reading of ``tls_info``'s result (and of ``dns_info``'s, or a ``{srv_secure,
tlsa_matched}`` mapping): gaps get defaults and are listed as missing evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.result import FIX_RELOAD
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import (
    SUITES_BY_NAME,
    CipherSuite,
)

TLS_VERSIONS: tuple[str, ...] = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")


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
    downgrade: bool = False  # a ServerHello carried the RFC 8446 downgrade sentinel
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
            # Prosody advertises dialback before TLS even when STARTTLS is required, and
            # then refuses to authenticate the stream: only an optional STARTTLS lets a peer
            # federate in clear.
            if feats.get("dialback_before_tls") is True and not feats.get("starttls_required"):
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


def domain_endpoint_label(result: Mapping[str, Any]) -> str:
    """``example.org c2s xmpp.example.org:5222``: named with its domain, for a fleet's grades."""
    ep = _map(result.get("endpoint"))
    where = f"{ep.get('host', '?')}:{ep.get('port', '?')}"
    return f"{ep.get('domain', '?')} {ep.get('stream', '?')} {where}"


def read_facts(result: Mapping[str, Any]) -> Facts:
    ep = _map(result.get("endpoint"))
    tls = _map(result.get("tls"))
    versions_map = _map(tls.get("versions"))
    versions = tuple(v for v in TLS_VERSIONS if versions_map.get(v) is True)
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
        label=domain_endpoint_label(result),
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
        downgrade=tls.get("downgrade") is True,
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
