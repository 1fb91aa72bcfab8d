"""Which endpoints a fleet scan probes for each domain: from DNS, or as the operator listed them.

From DNS (RFC 6120 §3.2, XEP-0368): every target of the four XMPP SRV services, each of its
addresses; an SRV target "." means the service is not offered; without SRV records the
domain itself on 5222/5269 (no fallback for direct TLS). Endpoints are probed at the address
DNS gave, so the scan sees what DNS publishes and never depends on the probe host's own
resolver. What cannot be probed (a domain that does not resolve, a target with no address, a
failed lookup) becomes a breach of the domain right here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import SECURE
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    DnsReport,
    Service,
    Target,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import Breach
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    EndpointTarget,
    target_from,
)

# SRV service label -> (stream, tls_mode)
SERVICE_STREAMS: Mapping[str, tuple[str, str]] = {
    "_xmpp-client._tcp": ("c2s", "starttls"),
    "_xmpp-server._tcp": ("s2s", "starttls"),
    "_xmpps-client._tcp": ("c2s", "direct"),
    "_xmpps-server._tcp": ("s2s", "direct"),
}
FAMILIES = ("ipv4", "ipv6")
FIX_DNS = (
    "Publish _xmpp-client._tcp and _xmpp-server._tcp SRV records (or A/AAAA records for the "
    "domain itself) whose targets have A or AAAA records; for a host without DNS, list its "
    "endpoints explicitly (verify_endpoints)."
)


class PlanError(ValueError):
    """An explicit endpoint the scan cannot use (bad stream, port, missing host)."""


@dataclass(frozen=True)
class Planned:
    """One endpoint to probe, and the DNS records that led to it (None when listed by hand)."""

    target: EndpointTarget
    service: str | None = None
    srv_target: str | None = None
    priority: int | None = None
    weight: int | None = None
    srv_secure: bool = False
    tlsa_name: str | None = None
    tlsa_usable: bool = False
    tlsa_records: tuple[Any, ...] = ()

    def source(self) -> dict[str, Any]:
        """Where the endpoint came from, as the ``srv`` key of its result."""
        if self.service is None:
            return {"service": None, "target": None, "priority": None, "weight": None}
        return {
            "service": self.service,
            "target": self.srv_target,
            "priority": self.priority,
            "weight": self.weight,
        }


@dataclass(frozen=True)
class DomainPlan:
    domain: str
    planned: tuple[Planned, ...]
    dns: dict[str, Any] | None
    breaches: tuple[Breach, ...] = ()


def _breach(code: str, where: str, message: str, fix: str = FIX_DNS) -> Breach:
    return Breach(code, where, message, fix)


def _addresses(target: Target, families: Sequence[str]) -> tuple[str, ...]:
    if target.addresses is None:
        return ()
    found: list[str] = []
    if "ipv4" in families:
        found += target.addresses.a
    if "ipv6" in families:
        found += target.addresses.aaaa
    return tuple(found)


def _service_endpoints(
    domain: str, service: Service, families: Sequence[str]
) -> tuple[list[Planned], list[Breach]]:
    stream, tls_mode = SERVICE_STREAMS[service.service]
    planned: list[Planned] = []
    breaches: list[Breach] = []
    secure_srv = service.dnssec.status == SECURE
    for target in service.targets:
        addresses = _addresses(target, families)
        if not addresses:
            if not service.fallback:  # a missing fallback is the "does not resolve" case
                breaches.append(
                    _breach(
                        "no-address",
                        f"{domain} {stream} {target.target}:{target.port}",
                        f"the {service.service} target {target.target} has no A or AAAA "
                        "record to connect to",
                    )
                )
            continue
        secure_addr = target.addresses is not None and target.addresses.dnssec.status == SECURE
        tlsa = target.tlsa
        for address in addresses:
            planned.append(
                Planned(
                    target=EndpointTarget(address, target.port, domain, stream, tls_mode),
                    service=service.service,
                    srv_target=target.target,
                    priority=target.priority,
                    weight=target.weight,
                    srv_secure=secure_srv and secure_addr,
                    tlsa_name=tlsa.name if tlsa else None,
                    tlsa_usable=bool(tlsa and tlsa.usable),
                    tlsa_records=tlsa.records if tlsa else (),
                )
            )
    return planned, breaches


def plan_from_dns(
    domain: str,
    report: DnsReport,
    *,
    streams: Sequence[str] = ("c2s", "s2s"),
    families: Sequence[str] = FAMILIES,
) -> DomainPlan:
    """The endpoints DNS publishes for ``domain``, and the breaches of what it does not."""
    planned: list[Planned] = []
    breaches: list[Breach] = []
    wanted = [s for s in report.services if SERVICE_STREAMS[s.service][0] in streams]
    for service in wanted:
        if service.status == "error":
            breaches.append(
                _breach(
                    "dns-error",
                    f"{domain} {service.service}",
                    f"the SRV lookup {service.name} failed: {service.error or 'no answer'}",
                    "Check that the nameservers answer for the zone and that its DNSSEC "
                    "signatures are valid (a bogus signature reads as a failed lookup).",
                )
            )
            continue
        found, problems = _service_endpoints(domain, service, families)
        planned += found
        breaches += problems
    seen: set[tuple[str, int, str, str]] = set()
    unique: list[Planned] = []
    for p in planned:
        key = (p.target.host, p.target.port, p.target.stream, p.target.tls_mode)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    if not unique and not any(b.code == "dns-error" for b in breaches):
        breaches.append(_no_endpoints(domain, wanted, report))
    return DomainPlan(domain, tuple(unique), report.as_dict(), tuple(breaches))


def _no_endpoints(domain: str, services: Iterable[Service], report: DnsReport) -> Breach:
    if services and all(s.status in ("no-service", "absent") for s in services):
        why = "publishes no XMPP service (every SRV target is '.')"
    else:
        why = "does not resolve: no SRV record with an address and no A/AAAA record"
    details = "; ".join(report.findings)
    return _breach("unresolved", domain, f"{domain} {why}" + (f" ({details})" if details else ""))


def plan_explicit(domain: str, endpoints: Iterable[Mapping[str, Any]]) -> DomainPlan:
    """The operator's own list of a domain's endpoints (no DNS is asked)."""
    planned: list[Planned] = []
    for i, ep in enumerate(endpoints):
        try:
            target = target_from(ep, domain=domain)
        except (TypeError, ValueError) as exc:
            raise PlanError(f"endpoint {i + 1} of {domain}: {exc}") from exc
        planned.append(Planned(target=target))
    return DomainPlan(domain, tuple(planned), None, ())


__all__ = [
    "FAMILIES",
    "SERVICE_STREAMS",
    "DomainPlan",
    "PlanError",
    "Planned",
    "plan_explicit",
    "plan_from_dns",
]
