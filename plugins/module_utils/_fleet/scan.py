"""Audit a fleet in one event loop: discover, probe under shared bounds, grade, judge.

Every domain's DNS is read (in threads: the inspector is blocking), its endpoints are probed
as soon as they are known, all in one ``asyncio`` run bounded by ``FleetBounds`` (global and
per server address, so aliases of one server share its bound). Two ideas keep a large fleet
fast without being rude to servers:

* A probe only starts when its server has room (an endpoint gate per address), so waiting
  for a busy server never eats into a probe's own deadline.
* Domains served by the same address and port share one TLS enumeration (versions, suites,
  groups: the listener's settings); each domain still gets its own stream features and its
  own certificate (both depend on the name). An alias whose shared scan failed is scanned on
  its own. ``share_tls_scan=False`` scans every domain in full (for servers whose TLS
  settings differ by name).

A domain that does not resolve, or an endpoint that cannot be reached, is a breach of that
domain only; the only exception raised is ``ScanError``, for the caller's own mistakes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import load_trust_anchors
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    DnsInspectError,
    DnsReport,
    inspect_domain,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.bounds import (
    FleetBounds,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.plan import (
    FAMILIES,
    DomainPlan,
    PlanError,
    Planned,
    plan_explicit,
    plan_from_dns,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    DEFAULT_RENEW_DAYS,
    GRADES,
    DnsEvidence,
    Grade,
    grade_domain,
    grade_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import (
    Breach,
    PolicyError,
    evaluate_policy,
    resolve_policy,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import ProbeError
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    CHECKS,
    EndpointResult,
    EndpointTarget,
    ProbeOptions,
    X509CheckError,
    probe_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import (
    load_trust_store,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.domain import (
    DomainError,
    domain_to_ascii,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.tlsa import match_records

DEFAULT_MAX_CONNECTIONS = 50
DEFAULT_PER_SERVER = 5
DNS_WORKERS = 8  # DNS lookups in flight (threads); the inspector is blocking
SHARED_CHECKS = frozenset({"versions", "suites", "groups"})  # the listener's, not the name's
OWN_CHECKS = frozenset({"features", "certificate"})  # depend on the name asked for
# tls keys an alias keeps from its own handshake rather than the shared scan
OWN_TLS_KEYS = ("certificate_version", "certificate_request", "alpn")


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
    nameservers: tuple[str, ...] = ()
    dns_port: int = 53
    dns_timeout: float = 1.0
    trust_anchor: str | None = None
    ca_path: str | None = None
    timeout: float = 60.0
    connect_timeout: float = 5.0
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_connections_per_server: int = DEFAULT_PER_SERVER
    checks: frozenset[str] = frozenset(CHECKS)
    renew_days: int = DEFAULT_RENEW_DAYS
    policy: Mapping[str, Any] = field(default_factory=dict)
    share_tls_scan: bool = True
    pipelining: bool = True
    families: tuple[str, ...] = FAMILIES


@dataclass(frozen=True)
class DomainResult:
    domain: str
    grade: Grade
    breaches: tuple[Breach, ...]
    endpoints: tuple[dict[str, Any], ...]
    dns: dict[str, Any] | None

    @property
    def verdict(self) -> str:
        return "fail" if self.breaches else "pass"

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "verdict": self.verdict,
            "grade": self.grade.as_dict(),
            "breaches": [b.as_dict() for b in self.breaches],
            "endpoints": list(self.endpoints),
            "dns": self.dns,
        }


@dataclass(frozen=True)
class FleetStats:
    connections: int
    peak_connections: int
    peak_per_server: dict[str, int]
    shared_tls_scans: int
    dns_queries: int
    elapsed: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "peak_connections": self.peak_connections,
            "peak_per_server": dict(self.peak_per_server),
            "shared_tls_scans": self.shared_tls_scans,
            "dns_queries": self.dns_queries,
            "elapsed": round(self.elapsed, 3),
        }


@dataclass(frozen=True)
class FleetResult:
    domains: tuple[DomainResult, ...]
    policy: dict[str, Any]
    stats: FleetStats
    started: str
    finished: str

    @property
    def verdict(self) -> str:
        return "fail" if any(d.breaches for d in self.domains) else "pass"

    def counts(self) -> dict[str, Any]:
        endpoints = [e for d in self.domains for e in d.endpoints]
        grades: dict[str, int] = {}
        for d in self.domains:
            grades[d.grade.grade] = grades.get(d.grade.grade, 0) + 1
        return {
            "domains": len(self.domains),
            "domains_passed": sum(1 for d in self.domains if not d.breaches),
            "domains_failed": sum(1 for d in self.domains if d.breaches),
            "endpoints": len(endpoints),
            "endpoints_unreachable": sum(1 for e in endpoints if e.get("error")),
            "breaches": sum(len(d.breaches) for d in self.domains),
            "grades": {g: grades[g] for g in GRADES if g in grades},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "counts": self.counts(),
            "policy": dict(self.policy),
            "domains": [d.as_dict() for d in self.domains],
            "stats": self.stats.as_dict(),
            "started": self.started,
            "finished": self.finished,
        }


Inspect = Callable[..., DnsReport]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _domain_key(raw: str) -> str:
    """A domain's A-label form; a name that has none is kept as given, to fail on its own."""
    try:
        return domain_to_ascii(raw)
    except DomainError:
        return raw.strip().rstrip(".")


def _merge_requests(requests: Sequence[DomainRequest]) -> list[DomainRequest]:
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


def _validate(options: ScanOptions) -> dict[str, Any]:
    try:
        policy = resolve_policy(options.policy)
    except PolicyError as exc:
        raise ScanError(str(exc)) from exc
    if options.max_connections < 1 or options.max_connections_per_server < 1:
        raise ScanError("max_connections and max_connections_per_server must be at least 1")
    unknown = set(options.families) - set(FAMILIES)
    if unknown or not options.families:
        raise ScanError(f"address families must be among {', '.join(FAMILIES)}")
    if options.timeout <= 0 or options.connect_timeout <= 0 or options.dns_timeout <= 0:
        raise ScanError("timeouts must be positive")
    unknown_checks = options.checks - set(CHECKS)
    if unknown_checks:
        raise ScanError(f"unknown checks {sorted(unknown_checks)}; choose from {list(CHECKS)}")
    for ns in options.nameservers:
        try:
            ipaddress.ip_address(ns)
        except ValueError:
            raise ScanError(f"nameserver {ns!r} is not an IP address") from None
    check_trust_anchor(options.trust_anchor)
    if options.ca_path is not None and "certificate" in options.checks:
        try:
            load_trust_store(options.ca_path)  # fail before minutes of probing, not after
        except X509CheckError as exc:
            raise ScanError(str(exc)) from exc
    return policy


@dataclass
class _Run:
    """The state of one fleet run inside its event loop."""

    options: ScanOptions
    bounds: FleetBounds
    inspect: Inspect
    dns_slots: asyncio.Semaphore
    gates: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    primaries: dict[tuple[str, int, str, str], asyncio.Task[EndpointResult]] = field(
        default_factory=dict
    )
    shared: int = 0
    dns_queries: int = 0

    def probe_options(self, checks: frozenset[str]) -> ProbeOptions:
        o = self.options
        return ProbeOptions(
            timeout=o.timeout,
            connect_timeout=o.connect_timeout,
            ca_path=o.ca_path,
            max_connections=o.max_connections_per_server,
            checks=checks,
            pipeline=o.pipelining,
        )

    async def plan(self, request: DomainRequest) -> DomainPlan:
        if request.endpoints:
            return plan_explicit(request.domain, request.endpoints)
        o = self.options
        async with self.dns_slots:
            try:
                report = await asyncio.to_thread(
                    self.inspect,
                    request.domain,
                    nameservers=list(o.nameservers),
                    port=o.dns_port,
                    timeout=o.dns_timeout,
                    trust_anchor=o.trust_anchor,
                )
            except DnsInspectError as exc:
                # a name that is not a domain is this domain's problem, not the whole run's
                breach = Breach(
                    "unresolved",
                    request.domain,
                    f"{request.domain} cannot be looked up: {exc}",
                    "Correct the domain name in the inventory (verify_domains).",
                )
                return DomainPlan(request.domain, (), None, (breach,))
        self.dns_queries += sum(report.queries.values()) - report.queries.get("timeouts", 0)
        return plan_from_dns(request.domain, report, streams=request.streams, families=o.families)

    async def address(self, host: str, port: int) -> str:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return str(infos[0][4][0])

    async def probe(
        self, target: EndpointTarget, address: str, checks: frozenset[str]
    ) -> EndpointResult:
        # The gate: a probe starts only when its server has room, so its deadline is not
        # spent queueing behind other domains' probes of the same server.
        gate = self.gates.setdefault(
            address, asyncio.Semaphore(self.options.max_connections_per_server)
        )
        async with gate:
            return await probe_endpoint(
                target, self.probe_options(checks), limiter=self.bounds.server(address)
            )

    async def endpoint(self, planned: Planned) -> tuple[EndpointResult, EndpointResult | None]:
        """Probe one endpoint; the second value is the result whose TLS scan it shares."""
        target = planned.target
        try:
            address = await self.address(target.host, target.port)
        except OSError as exc:
            error = ProbeError("unresolved", f"{target.host} does not resolve: {exc}")
            return EndpointResult(target=target, error=error), None
        checks = self.options.checks
        key = (address, target.port, target.stream, target.tls_mode)
        primary = self.primaries.get(key)
        if primary is None or not self.options.share_tls_scan or not (checks & SHARED_CHECKS):
            task = asyncio.ensure_future(self.probe(target, address, checks))
            self.primaries.setdefault(key, task)
            return await task, None
        own = await self.probe(target, address, checks & OWN_CHECKS)
        first = await primary
        if own.error is not None:
            return own, None
        if first.error is not None or first.tls is None:
            # the shared scan failed (perhaps only for its own name): scan this one in full
            return await self.probe(target, address, checks), None
        self.shared += 1
        return own, first

    async def domain(self, request: DomainRequest) -> DomainResult:
        try:
            plan = await self.plan(request)
            probed = await asyncio.gather(*(self.endpoint(p) for p in plan.planned))
            return judge(plan, probed, self.options)
        except Exception as exc:  # one domain's surprise must not sink the fleet
            breach = Breach(
                "scan-error",
                request.domain,
                f"the scan of {request.domain} failed: {exc.__class__.__name__}: {exc}",
                "Report this as a bug of the xmpp.encryption collection, with the domain's "
                "dns_info and tls_info results.",
            )
            plan = DomainPlan(request.domain, (), None, (breach,))
            return judge(plan, [], self.options)


def _merged_tls(own: EndpointResult, primary: EndpointResult) -> dict[str, Any] | None:
    out = own.as_dict()["tls"]
    if primary.tls is None:
        return out
    shared = primary.as_dict()["tls"]
    mine = out or {}
    merged = dict(shared)
    for key in OWN_TLS_KEYS:
        if key in mine:
            merged[key] = mine[key]
    merged["complete"] = bool(shared.get("complete")) and mine.get("complete") is not False
    merged["anomalies"] = list(
        dict.fromkeys([*shared.get("anomalies", []), *mine.get("anomalies", [])])
    )
    return merged


def _tlsa_matched(planned: Planned, result: EndpointResult) -> bool | None:
    if not planned.tlsa_records:
        return None
    chain = result.tls.chain_der if result.tls is not None else ()
    if not chain:
        return None
    matches = match_records(planned.tlsa_records, chain)
    return any(m.matched for m in matches)


def judge(
    plan: DomainPlan,
    probed: Sequence[tuple[EndpointResult, EndpointResult | None]],
    options: ScanOptions,
) -> DomainResult:
    """Grade every endpoint of a domain and hold it against the policy."""
    policy = resolve_policy(options.policy)
    grades: list[Grade] = []
    breaches: list[Breach] = list(plan.breaches)
    endpoints: list[dict[str, Any]] = []
    for planned, (result, primary) in zip(plan.planned, probed, strict=True):
        data = result.as_dict()
        if primary is not None:
            data["tls"] = _merged_tls(result, primary)
        matched = _tlsa_matched(planned, result)
        evidence = (
            DnsEvidence(
                srv_secure=planned.srv_secure, tlsa_matched=bool(matched) and planned.tlsa_usable
            )
            if plan.dns is not None
            else None
        )
        grade = grade_endpoint(data, evidence, renew_days=options.renew_days)
        grades.append(grade)
        breaches += evaluate_policy(
            data, policy, dns=evidence, grade=grade, renew_days=options.renew_days
        )
        data["grade"] = grade.as_dict()
        data["srv"] = planned.source()
        data["dane"] = {
            "tlsa_name": planned.tlsa_name,
            "tlsa_records": len(planned.tlsa_records),
            "usable": planned.tlsa_usable,
            "matched": matched,
        }
        data["tls_shared_with"] = primary.target.domain if primary is not None else None
        endpoints.append(data)
    return DomainResult(
        domain=plan.domain,
        grade=grade_domain(grades, plan.domain),
        breaches=tuple(breaches),
        endpoints=tuple(endpoints),
        dns=plan.dns,
    )


async def scan_fleet(
    requests: Sequence[DomainRequest],
    options: ScanOptions,
    *,
    inspect: Inspect = inspect_domain,
) -> FleetResult:
    """Audit every domain of ``requests``; raises ``ScanError`` for bad input only."""
    policy = _validate(options)
    merged = _merge_requests(requests)
    if any(not r.endpoints for r in merged) and not options.nameservers:
        raise ScanError("nameservers are needed to discover endpoints through DNS")
    for r in merged:
        if r.endpoints:
            try:
                plan_explicit(r.domain, r.endpoints)
            except PlanError as exc:
                raise ScanError(str(exc)) from exc
    started, clock = _now(), time.monotonic()
    run = _Run(
        options=options,
        bounds=FleetBounds(options.max_connections, options.max_connections_per_server),
        inspect=inspect,
        dns_slots=asyncio.Semaphore(DNS_WORKERS),
    )
    domains = await asyncio.gather(*(run.domain(r) for r in merged))
    bound = run.bounds.stats()
    stats = FleetStats(
        connections=sum(int(e.get("handshakes") or 0) for d in domains for e in d.endpoints),
        peak_connections=bound.peak,
        peak_per_server=bound.peak_per_server,
        shared_tls_scans=run.shared,
        dns_queries=run.dns_queries,
        elapsed=time.monotonic() - clock,
    )
    return FleetResult(tuple(domains), policy, stats, started, _now())


def check_trust_anchor(path: str | None) -> None:
    """Fail on an unreadable trust anchor once, before each domain would fail on it."""
    if path is None:
        return
    try:
        load_trust_anchors(path)
    except (ValueError, OSError) as exc:
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


def system_nameservers() -> list[str]:
    """The nameservers of the system resolver configuration (empty when there is none)."""
    try:
        import dns.resolver
    except ImportError:  # pragma: no cover - the module checks HAS_DNSPYTHON first
        return []
    try:
        return [str(ns) for ns in dns.resolver.Resolver().nameservers]
    except dns.resolver.NoResolverConfiguration:
        return []


def run_scan(requests: Sequence[DomainRequest], options: ScanOptions) -> dict[str, Any]:
    """What the ``scan`` module does: one blocking run over the whole fleet."""
    return asyncio.run(scan_fleet(requests, options)).as_dict()


__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_PER_SERVER",
    "DomainRequest",
    "DomainResult",
    "FleetResult",
    "FleetStats",
    "ScanError",
    "ScanOptions",
    "requests_from",
    "run_scan",
    "scan_fleet",
    "system_nameservers",
]
