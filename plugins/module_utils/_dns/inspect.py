"""What DNS says about one XMPP domain: SRV records, their targets' addresses, TLSA, DNSSEC.

RFC 6120 §3.2 (SRV lookup and fallback), XEP-0368 (``_xmpps-*`` for direct TLS, no fallback),
RFC 2782 (a target of "." means "no service"; a target must not be an alias), RFC 7673 (TLSA
for SRV targets at ``_PORT._tcp.TARGET``, usable only when DNSSEC-secure).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ansible_collections.xmpp.encryption.plugins.module_utils._common.dependencies import (
    HAS_DNSPYTHON,
    cryptography_problem,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import (
    DnsClient,
    DnsQueryError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.dnssec import (
    BOGUS,
    SECURE,
    TrustAnchorError,
    Validator,
    Verdict,
    load_dnssec_anchors,
    worst,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.errors import DnsError
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.domain import (
    DomainError,
    domain_to_ascii,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.read import (
    load_pem_certificates,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.tlsa import (
    TlsaMatch,
    TlsaRecord,
    match_records,
)

try:
    import dns.exception
    import dns.name
    import dns.rdataclass
    import dns.rdatatype
except ImportError:  # decided once, in _common.dependencies
    pass

with contextlib.suppress(ImportError):  # decided once, in _common.dependencies
    from cryptography.hazmat.primitives import serialization

# service label → fallback port (None: XEP-0368 defines no fallback for direct TLS)
SERVICES: dict[str, int | None] = {
    "_xmpp-client._tcp": 5222,
    "_xmpp-server._tcp": 5269,
    "_xmpps-client._tcp": None,
    "_xmpps-server._tcp": None,
}
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
# What one domain's DNS may cost, whatever its zone holds: each SRV target takes three
# lookups (A, AAAA, TLSA) and each of them up to ``tries`` x ``timeout`` when it goes unanswered.
MAX_SRV_TARGETS = 16  # over the domain's four services, best priority first
TOTAL_TIMEOUT = 30.0  # seconds for every lookup of the domain, DNSSEC chain included


class DnsInspectError(DnsError):
    """The inspection cannot start (bad domain, unreadable certificate or trust anchor)."""


@dataclass(frozen=True)
class CertificateMaterial:
    """What TLSA records are matched against: a chain (leaf first) or only the SPKI SHA-256."""

    chain_der: tuple[bytes, ...] = ()
    spki_sha256: str | None = None


def certificate_material(value: str | None) -> CertificateMaterial | None:
    """A PEM string, a path to a PEM file, or the 64-hex ``tlsa_3_1_1`` value from tls_info."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _HEX64.match(text):
        return CertificateMaterial(spki_sha256=text.lower())
    if "-----BEGIN CERTIFICATE-----" not in text:
        try:
            text = Path(text).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise DnsInspectError(
                f"certificate is neither PEM, a readable file nor a hash: {exc}"
            ) from exc
    problem = cryptography_problem()
    if problem:  # dns_info needs cryptography only for a PEM certificate
        raise DnsInspectError(problem)
    try:
        certs = load_pem_certificates(text.encode("ascii"))
    except ValueError as exc:
        raise DnsInspectError(f"cannot read the certificate: {exc}") from exc
    return CertificateMaterial(
        chain_der=tuple(c.public_bytes(serialization.Encoding.DER) for c in certs)
    )


@dataclass(frozen=True)
class Addresses:
    name: str
    a: tuple[str, ...]
    aaaa: tuple[str, ...]
    cname: str | None  # what the name is an alias of, if it is one
    dnssec: Verdict


@dataclass(frozen=True)
class TlsaSet:
    name: str
    records: tuple[TlsaRecord, ...]
    dnssec: Verdict
    matches: tuple[TlsaMatch, ...] = ()
    matched: str | None = None  # the first record that matched, as text
    usable: bool = False  # RFC 7673: only DNSSEC-secure TLSA records may be used


@dataclass(frozen=True)
class Target:
    priority: int
    weight: int
    port: int
    target: str
    addresses: Addresses | None
    tlsa: TlsaSet | None


@dataclass(frozen=True)
class Service:
    """One SRV service. ``status``: records, no-service (target "."), fallback, absent, error."""

    service: str
    name: str
    status: str
    fallback: bool
    dnssec: Verdict
    targets: tuple[Target, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class DnsReport:
    domain: str
    services: tuple[Service, ...]
    findings: tuple[str, ...]
    dnssec: str
    tlsa_matched: bool
    queries: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["services"] = {s["service"]: s for s in out["services"]}
        return _plain(out)


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Inspector:
    """Runs the lookups for one domain through one client and validator."""

    def __init__(
        self,
        client: DnsClient,
        validator: Validator,
        certificate: CertificateMaterial | None = None,
    ) -> None:
        self.client = client
        self.validator = validator
        self.certificate = certificate
        self.findings: list[str] = []
        self.targets_left = MAX_SRV_TARGETS

    def _ask(self, name: dns.name.Name, rdtype: int) -> tuple[object | None, Verdict]:
        try:
            reply = self.client.query(name, rdtype)
        except DnsQueryError as exc:
            return None, Verdict("indeterminate", str(exc))
        verdict = self.validator.answer(reply, name, rdtype)
        if verdict.status == BOGUS:
            self.findings.append(
                f"dnssec-bogus: {name} {dns.rdatatype.to_text(rdtype)}: {verdict.reason}"
            )
        return reply, verdict

    def addresses(self, name: dns.name.Name) -> Addresses:
        found: dict[int, tuple[str, ...]] = {}
        verdicts: list[Verdict] = []
        alias: str | None = None
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            reply, verdict = self._ask(name, rdtype)
            verdicts.append(verdict)
            if reply is None:
                found[rdtype] = ()
                continue
            cname = reply.get_rrset(reply.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is not None:
                alias = str(cname[0].target)
            found[rdtype] = tuple(
                sorted(
                    rd.to_text() for rrset in reply.answer if rrset.rdtype == rdtype for rd in rrset
                )
            )
        return Addresses(
            str(name), found[dns.rdatatype.A], found[dns.rdatatype.AAAA], alias, worst(verdicts)
        )

    def tlsa(self, port: int, target: dns.name.Name) -> TlsaSet:
        return self.tlsa_at(dns.name.from_text(f"_{port}._tcp", origin=target))

    def tlsa_at(self, name: dns.name.Name) -> TlsaSet:
        reply, verdict = self._ask(name, dns.rdatatype.TLSA)
        records: tuple[TlsaRecord, ...] = ()
        if reply is not None:
            records = tuple(
                TlsaRecord(rd.usage, rd.selector, rd.mtype, rd.cert.hex())
                for rrset in reply.answer
                if rrset.rdtype == dns.rdatatype.TLSA
                for rd in rrset
            )
        matches: tuple[TlsaMatch, ...] = ()
        if records and self.certificate is not None:
            matches = match_records(
                records, self.certificate.chain_der, spki_sha256=self.certificate.spki_sha256
            )
        first = next((m.record.as_text() for m in matches if m.matched), None)
        usable = bool(records) and verdict.status == SECURE
        if records and not usable:
            self.findings.append(
                f"tlsa-not-secure: {name} is {verdict.status}; RFC 7673 forbids using it"
            )
        return TlsaSet(str(name), records, verdict, matches, first, usable)

    def target(
        self, priority: int, weight: int, port: int, target: dns.name.Name, service: str
    ) -> Target:
        addresses = self.addresses(target)
        if addresses.cname is not None:
            self.findings.append(
                f"srv-target-cname: {service} target {target} is an alias of {addresses.cname} "
                "(RFC 2782 forbids aliases as SRV targets)"
            )
        if not addresses.a and not addresses.aaaa:
            self.findings.append(f"no-address: {target} has neither A nor AAAA records")
        return Target(priority, weight, port, str(target), addresses, self.tlsa(port, target))

    def service(self, domain: dns.name.Name, label: str) -> Service:
        name = dns.name.from_text(label, origin=domain)
        fallback_port = SERVICES[label]
        reply, verdict = self._ask(name, dns.rdatatype.SRV)
        if reply is None:
            self.findings.append(f"query-failed: {name} SRV: {verdict.reason}")
            return Service(label, str(name), "error", False, verdict, error=verdict.reason)
        srv = [rd for rrset in reply.answer if rrset.rdtype == dns.rdatatype.SRV for rd in rrset]
        if not srv:
            if verdict.status == BOGUS and reply.rcode() != 0 and not reply.authority:
                return Service(label, str(name), "error", False, verdict, error=verdict.reason)
            if fallback_port is None:
                return Service(label, str(name), "absent", False, verdict)
            target = self.target(0, 0, fallback_port, domain, label)
            return Service(label, str(name), "fallback", True, verdict, (target,))
        if len(srv) == 1 and srv[0].target == dns.name.root:
            return Service(label, str(name), "no-service", False, verdict)
        if any(rd.target == dns.name.root for rd in srv):
            self.findings.append(f"srv-dot-mixed: {name} mixes the target '.' with real targets")
        ordered = [
            rd
            for rd in sorted(srv, key=lambda rd: (rd.priority, -rd.weight, str(rd.target)))
            if rd.target != dns.name.root
        ]
        if len(ordered) > self.targets_left:
            self.findings.append(
                f"srv-targets-capped: {name} has {len(ordered)} targets; only the first "
                f"{self.targets_left} by priority are looked up (at most {MAX_SRV_TARGETS} "
                "per domain)"
            )
            ordered = ordered[: self.targets_left]
        self.targets_left -= len(ordered)
        targets = tuple(
            self.target(rd.priority, rd.weight, rd.port, rd.target, label) for rd in ordered
        )
        return Service(label, str(name), "records", False, verdict, targets)


def _inspector(
    nameservers: Sequence[str],
    *,
    port: int,
    timeout: float,
    tries: int,
    trust_anchor: str | None,
    material: CertificateMaterial | None,
    now: float | None,
    deadline: float,
) -> Inspector:
    try:
        anchors = load_dnssec_anchors(trust_anchor)
    except TrustAnchorError as exc:
        raise DnsInspectError(str(exc)) from exc
    try:
        client = DnsClient(
            list(nameservers), port=port, timeout=timeout, tries=tries, deadline=deadline
        )
    except ValueError as exc:
        raise DnsInspectError(str(exc)) from exc
    return Inspector(client, Validator(client, anchors, now=now), material)


def inspect_domain(
    domain: str,
    *,
    nameservers: Sequence[str],
    port: int = 53,
    timeout: float = 1.0,
    tries: int = 3,
    trust_anchor: str | None = None,
    certificate: str | None = None,
    now: float | None = None,
    total_timeout: float = TOTAL_TIMEOUT,
) -> DnsReport:
    """Inspect ``domain``; raises ``DnsInspectError`` only for bad inputs, never for DNS data.

    Every lookup ends within ``total_timeout`` seconds from here; what was not answered by
    then is reported like any unanswered lookup, with a ``dns-deadline`` finding.
    """
    started = time.monotonic()
    if not HAS_DNSPYTHON:  # pragma: no cover
        raise DnsInspectError("dnspython is needed")
    try:
        name = dns.name.from_text(domain_to_ascii(domain))
    except (DomainError, dns.exception.DNSException) as exc:
        raise DnsInspectError(f"not a domain name: {exc}") from exc
    inspector = _inspector(
        nameservers,
        port=port,
        timeout=timeout,
        tries=tries,
        trust_anchor=trust_anchor,
        material=certificate_material(certificate),
        now=now,
        deadline=started + total_timeout,
    )
    client = inspector.client
    services = tuple(inspector.service(name, label) for label in SERVICES)
    if client.expired:
        inspector.findings.append(
            f"dns-deadline: the lookups of {name} took more than {total_timeout:g} s; "
            f"{client.expired} lookups were cut short or not asked"
        )
    if all(s.status in ("fallback", "absent") for s in services[:2]):
        inspector.findings.append(
            f"no-srv: {name} publishes no XMPP SRV records; clients fall back"
        )
    verdicts = [s.dnssec for s in services]
    for service in services:
        for target in service.targets:
            if target.addresses is not None:
                verdicts.append(target.addresses.dnssec)
            if target.tlsa is not None:
                verdicts.append(target.tlsa.dnssec)
    tlsa_matched = any(
        t.tlsa is not None and t.tlsa.matched is not None and t.tlsa.usable
        for s in services
        for t in s.targets
    )
    stats = client.stats()
    return DnsReport(
        domain=str(name),
        services=services,
        findings=tuple(dict.fromkeys(inspector.findings)),
        dnssec=worst(verdicts).status,
        tlsa_matched=tlsa_matched,
        queries={"udp": stats.udp, "tcp": stats.tcp, "timeouts": stats.timeouts},
    )


_TLSA_OWNER = re.compile(r"^_(\d{1,5})\._tcp\.(.+)$", re.IGNORECASE)


def read_tlsa(
    names: Sequence[str],
    *,
    nameservers: Sequence[str],
    port: int = 53,
    timeout: float = 1.0,
    tries: int = 3,
    trust_anchor: str | None = None,
    now: float | None = None,
    total_timeout: float = TOTAL_TIMEOUT,
) -> tuple[TlsaSet, ...]:
    """The TLSA records at each ``_PORT._tcp.HOST`` of ``names``, each with its DNSSEC verdict.

    What a role may republish under its TSIG key must be what the zone's signatures vouch
    for: only a ``secure`` set (``usable``) is. Raises ``DnsInspectError`` for bad input.
    """
    if not HAS_DNSPYTHON:  # pragma: no cover
        raise DnsInspectError("dnspython is needed")
    owners: list[dns.name.Name] = []
    for raw in names:
        match = _TLSA_OWNER.match(raw.strip())
        try:
            if match is None or not 0 < int(match[1]) < 65536:
                raise DnsInspectError(f"not a TLSA owner name _PORT._tcp.HOST: {raw!r}")
            host = dns.name.from_text(domain_to_ascii(match[2]))
        except (DomainError, dns.exception.DNSException) as exc:
            raise DnsInspectError(f"not a TLSA owner name: {exc}") from exc
        owners.append(dns.name.from_text(f"_{int(match[1])}._tcp", origin=host))
    inspector = _inspector(
        nameservers,
        port=port,
        timeout=timeout,
        tries=tries,
        trust_anchor=trust_anchor,
        material=None,
        now=now,
        deadline=time.monotonic() + total_timeout,
    )
    return tuple(inspector.tlsa_at(owner) for owner in owners)
