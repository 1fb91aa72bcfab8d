"""A small stub resolver for the DNS inspector: DO and CD bits, retries, TCP on truncation.

Every query asks for DNSSEC records (DO) and sets Checking Disabled (CD), so a validating
upstream hands over the data and signatures even when it would fail them: the inspector
validates by itself. Each try has a short timeout so that one lost UDP packet costs one
timeout, not the whole query; a truncated UDP answer (TC bit) is asked again over TCP.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.errors import DnsError

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rdatatype
except ImportError:  # decided once, in _common.dependencies
    pass


# The lookup options of dns_info and tlsa_info (doc fragment xmpp.encryption.dns).
LOOKUP_OPTIONS = {
    "nameservers": {"type": "list", "elements": "str"},
    "port": {"type": "int", "default": 53},
    "trust_anchor": {"type": "path"},
    "timeout": {"type": "float", "default": 1.0},
}


def lookup_nameservers(given: Sequence[str] | None) -> list[str]:
    """The nameservers to ask: the ones given, else the system's; ``DnsError`` when none."""
    nameservers = list(given or system_nameservers())
    if not nameservers:
        raise DnsError("no nameservers given and none configured on the system")
    return nameservers


def system_nameservers() -> list[str]:
    """The nameservers of the system resolver configuration (empty when there is none)."""
    try:
        import dns.resolver
    except ImportError:  # pragma: no cover - modules require dnspython first
        return []
    try:
        return [str(ns) for ns in dns.resolver.Resolver().nameservers]
    except dns.resolver.NoResolverConfiguration:
        return []


class DnsQueryError(DnsError):
    """No usable answer from any nameserver after every try (timeouts, refusals, garbage)."""


@dataclass(frozen=True)
class QueryStats:
    """What a query cost: packets sent, how many were answered over TCP, and timeouts."""

    udp: int = 0
    tcp: int = 0
    timeouts: int = 0


@dataclass
class DnsClient:
    """Queries ``nameservers`` in turn; results are cached per (name, type) for one run.

    ``deadline`` (a ``time.monotonic()`` value) ends every query of the run: no try starts
    after it and none waits past it, whatever ``timeout`` and ``tries`` would allow.
    """

    nameservers: Sequence[str]
    port: int = 53
    timeout: float = 1.0
    tries: int = 3
    payload: int = 1232  # the DNS flag day 2020 size: no IP fragmentation
    deadline: float | None = None
    _cache: dict[tuple[str, int], dns.message.Message] = field(default_factory=dict, repr=False)
    udp_sent: int = 0
    tcp_sent: int = 0
    timeouts: int = 0
    expired: int = 0  # queries not asked (or given up) because the deadline had passed

    def __post_init__(self) -> None:
        if not self.nameservers:
            raise ValueError("at least one nameserver is needed")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1-65535, not {self.port}")

    def query(
        self, qname: dns.name.Name | str, rdtype: dns.rdatatype.RdataType | str
    ) -> dns.message.Message:
        name = dns.name.from_text(qname) if isinstance(qname, str) else qname
        rtype = dns.rdatatype.RdataType.make(rdtype)
        key = (name.to_text().lower(), int(rtype))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        answer = self._ask(name, rtype)
        self._cache[key] = answer
        return answer

    def _ask(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
        errors: list[str] = []
        for attempt in range(self.tries):
            timeout = self.timeout
            if self.deadline is not None:
                timeout = min(timeout, self.deadline - time.monotonic())
                if timeout <= 0:
                    self.expired += 1
                    errors.append("the deadline for these lookups passed")
                    break
            server = self.nameservers[attempt % len(self.nameservers)]
            request = dns.message.make_query(name, rdtype, want_dnssec=True, payload=self.payload)
            request.flags |= dns.flags.RD | dns.flags.CD
            try:
                self.udp_sent += 1
                response, used_tcp = dns.query.udp_with_fallback(
                    request, server, timeout=timeout, port=self.port, ignore_unexpected=True
                )
            except dns.exception.Timeout:
                self.timeouts += 1
                errors.append(f"{server}: timeout")
                continue
            except (OSError, EOFError, dns.exception.DNSException) as exc:
                errors.append(f"{server}: {exc.__class__.__name__}: {exc}")
                continue
            if used_tcp:
                self.tcp_sent += 1
            return response
        raise DnsQueryError(f"no answer for {name} {rdtype.name}: {'; '.join(errors)}")

    def stats(self) -> QueryStats:
        return QueryStats(udp=self.udp_sent, tcp=self.tcp_sent, timeouts=self.timeouts)
