"""What a fleet scan is asked to do, checked once before any probe starts.

``DomainRequest`` is one domain (its streams, or the operator's own endpoints) and
``ScanOptions`` the settings of the whole run. ``check_request`` turns every mistake of the
caller (an unknown policy key, an unreadable CA file or trust anchor, a bad bound) into one
``ScanError`` before minutes of probing, not after.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import load_dnssec_anchors
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.errors import DnsError
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.plan import (
    FAMILIES,
    PlanError,
    plan_explicit,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    DEFAULT_RENEW_DAYS,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import (
    PolicyError,
    resolve_policy,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import (
    ProbeOptions,
    option,
    shared,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import X509CheckError
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.domain import (
    DomainError,
    domain_to_ascii,
)


class ScanError(Exception):
    """The scan cannot start: unknown policy key, unreadable CA or trust anchor, bad input."""


@dataclass(frozen=True)
class DomainRequest:
    """A domain to audit: ``streams`` c2s and s2s (a component: s2s only), or explicit endpoints."""

    domain: str
    streams: tuple[str, ...] = ("c2s", "s2s")
    endpoints: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class ScanOptions:
    """The settings of a whole run; those a probe uses are ``ProbeOptions``' own fields."""

    nameservers: tuple[str, ...] = option("list", (), elements="str", spec_default=False)
    dns_port: int = option("int", 53)
    dns_timeout: float = option("float", 1.0)
    trust_anchor: str | None = option("path", None)
    ca_path: str | None = shared(ProbeOptions, "ca_path")
    timeout: float = shared(ProbeOptions, "timeout")
    connect_timeout: float = shared(ProbeOptions, "connect_timeout")
    max_connections: int = option("int", 50)
    max_connections_per_server: int = shared(ProbeOptions, "max_connections")
    checks: frozenset[str] = shared(ProbeOptions, "checks")
    renew_days: int = option("int", DEFAULT_RENEW_DAYS)
    policy: Mapping[str, Any] = option("dict", {})
    share_tls_scan: bool = option("bool", True)
    pipelining: bool = shared(ProbeOptions, "pipeline")
    families: tuple[str, ...] = option(
        "list", FAMILIES, name="address_families", elements="str", choices=list(FAMILIES)
    )

    def probe(self, checks: frozenset[str] | None = None) -> ProbeOptions:
        """How each endpoint is probed (``checks``: a part of ours); ``ValueError`` if bad."""
        return ProbeOptions(
            timeout=self.timeout,
            connect_timeout=self.connect_timeout,
            ca_path=self.ca_path,
            max_connections=self.max_connections_per_server,
            checks=self.checks if checks is None else checks,
            pipeline=self.pipelining,
        )


def _domain_key(raw: str) -> str:
    """A domain's A-label form; a name that has none is kept as given, to fail on its own."""
    try:
        return domain_to_ascii(raw)
    except DomainError:
        return raw.strip().rstrip(".")


def _merge(requests: Sequence[DomainRequest]) -> list[DomainRequest]:
    """One request per domain (by its A-label form: case, trailing dot, IDN spelling), in order."""
    merged: dict[str, DomainRequest] = {}
    for r in requests:
        name = _domain_key(r.domain)
        if not name:
            raise ScanError("an empty domain name was given")
        old = merged.get(name)
        if old is None:
            merged[name] = replace(r, domain=name)
        else:
            streams = tuple(dict.fromkeys(old.streams + r.streams))
            merged[name] = replace(old, streams=streams, endpoints=old.endpoints + r.endpoints)
    return list(merged.values())


def _check_options(options: ScanOptions) -> dict[str, Any]:
    """The resolved policy; what the probe options check is checked by ``ProbeOptions``."""
    try:
        policy = resolve_policy(options.policy)
        options.probe().check_trust_store()
    except (PolicyError, ValueError, X509CheckError) as exc:
        raise ScanError(str(exc)) from exc
    if options.max_connections < 1:
        raise ScanError("max_connections must be at least 1")
    unknown = set(options.families) - set(FAMILIES)
    if unknown or not options.families:
        raise ScanError(f"address families must be among {', '.join(FAMILIES)}")
    if options.dns_timeout <= 0:
        raise ScanError("timeouts must be positive")
    for ns in options.nameservers:
        try:
            ipaddress.ip_address(ns)
        except ValueError:
            raise ScanError(f"nameserver {ns!r} is not an IP address") from None
    _check_trust_anchor(options.trust_anchor)
    return policy


def check_request(
    requests: Sequence[DomainRequest], options: ScanOptions
) -> tuple[list[DomainRequest], dict[str, Any]]:
    """One request per domain and the resolved policy; ``ScanError`` for any bad input."""
    policy = _check_options(options)
    merged = _merge(requests)
    if any(not r.endpoints for r in merged) and not options.nameservers:
        raise ScanError("nameservers are needed to discover endpoints through DNS")
    for r in merged:
        if r.endpoints:
            try:
                plan_explicit(r.domain, r.endpoints)
            except PlanError as exc:
                raise ScanError(str(exc)) from exc
    return merged, policy


def _check_trust_anchor(path: str | None) -> None:
    """Fail on an unreadable trust anchor once, before each domain would fail on it."""
    if path is None:
        return
    try:
        load_dnssec_anchors(path)
    except DnsError as exc:
        raise ScanError(str(exc)) from exc


def requests_from(
    domains: Sequence[str],
    components: Sequence[str] = (),
    endpoints: Sequence[Mapping[str, Any]] = (),
) -> list[DomainRequest]:
    """The module's three lists as requests: domains, s2s-only components, explicit endpoints."""
    by_domain: dict[str, list[Mapping[str, Any]]] = {}
    for ep in endpoints:
        name = _domain_key(str(ep.get("domain") or ""))
        if not name:
            raise ScanError("every explicit endpoint needs its domain")
        by_domain.setdefault(name, []).append(ep)
    out = [DomainRequest(d) for d in domains if _domain_key(d) not in by_domain]
    out += [
        DomainRequest(c, streams=("s2s",)) for c in components if _domain_key(c) not in by_domain
    ]
    out += [DomainRequest(d, endpoints=tuple(eps)) for d, eps in by_domain.items()]
    if not out:
        raise ScanError("nothing to scan: give domains, components or endpoints")
    return out


__all__ = [
    "DomainRequest",
    "ScanError",
    "ScanOptions",
    "check_request",
    "requests_from",
]
