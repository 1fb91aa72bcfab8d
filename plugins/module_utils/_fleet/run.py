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
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import system_nameservers
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    DnsInspectError,
    DnsReport,
    inspect_domain,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.bounds import FleetBounds
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.plan import (
    DomainPlan,
    Planned,
    plan_explicit,
    plan_from_dns,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.request import (
    DomainRequest,
    ScanError,
    ScanOptions,
    check_request,
    requests_from,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.verdict import (
    BUG,
    DomainResult,
    bug_breach,
    bug_message,
    judge,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    GRADES,
    grade_domain,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import Breach
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import ProbeError
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    EndpointResult,
    EndpointTarget,
    probe_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import options_from

DNS_WORKERS = 8  # DNS lookups in flight (threads); the inspector is blocking
SHARED_CHECKS = frozenset({"versions", "suites", "groups"})  # the listener's, not the name's
OWN_CHECKS = frozenset({"features", "certificate"})  # depend on the name asked for


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
            try:
                return await probe_endpoint(
                    target, self.options.probe(checks), limiter=self.bounds.server(address)
                )
            except Exception as exc:  # the input was checked: anything raised is our bug
                return EndpointResult(target=target, error=ProbeError(BUG, bug_message(exc)))

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
        """One domain's result; a bug of ours ends in a ``scan-error`` breach saying so,
        with whatever DNS data and endpoint results were gathered before it."""
        try:
            plan = await self.plan(request)
        except Exception as exc:  # one domain's surprise must not sink the fleet
            breach = bug_breach(request.domain, f"the DNS plan of {request.domain}", exc)
            return judge(DomainPlan(request.domain, (), None, (breach,)), [], self.options)
        probed = await asyncio.gather(*(self.endpoint(p) for p in plan.planned))
        try:
            return judge(plan, probed, self.options)
        except Exception as exc:  # the results stay, ungraded
            breach = bug_breach(request.domain, f"judging {request.domain}", exc)
            return DomainResult(
                domain=plan.domain,
                grade=grade_domain([], plan.domain),
                breaches=(*plan.breaches, breach),
                endpoints=tuple(result.as_dict() for result, _shared in probed),
                dns=plan.dns,
            )


async def scan_fleet(
    requests: Sequence[DomainRequest],
    options: ScanOptions,
    *,
    inspect: Inspect = inspect_domain,
) -> FleetResult:
    """Audit every domain of ``requests``; raises ``ScanError`` for bad input only."""
    merged, policy = check_request(requests, options)
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


def run_scan(params: Mapping[str, Any]) -> dict[str, Any]:
    """What the ``scan`` module does with its parameters: one blocking run over the fleet.

    Without ``nameservers``, those of the system resolver are asked. Raises ``ScanError``
    for bad input only.
    """
    requests = requests_from(
        params.get("domains") or (), params.get("components") or (), params.get("endpoints") or ()
    )
    try:
        options = options_from(ScanOptions, params)
    except ValueError as exc:
        raise ScanError(str(exc)) from exc
    if not options.nameservers:
        options = replace(options, nameservers=tuple(system_nameservers()))
    return asyncio.run(scan_fleet(requests, options)).as_dict()


__all__ = ["FleetResult", "FleetStats", "run_scan", "scan_fleet"]
