"""Which names a server certificate must carry, planned from a host's XMPP domains.

Input is what an inventory says about a host: its XMPP domains (Prosody VirtualHosts) and its
components (MUC, upload, proxy65, pubsub...), the latter either as full names or as
subdomain prefixes (``conference``, ``upload``) applied to a domain. Output is one
``CertificatePlan`` per certificate (one per host, or one per domain), holding:

* DNS-IDs for every domain and component (what a public ACME CA can issue);
* for an internal CA also SRV-IDs (RFC 4985 / RFC 6120 §13.7.1.2): ``_xmpp-client.DOMAIN``
  and ``_xmpp-server.DOMAIN`` for each domain, ``_xmpp-server.COMPONENT`` for each component
  (components federate but take no client connections), and an XmppAddr ``DOMAIN`` for each
  domain (RFC 6120 §13.7.1.4).

Every name is normalised (lower case, IDNA A-labels, no trailing dot), deduplicated and
validated; a bad entry raises ``CertNameError`` naming the entry and where it came from.

community.crypto syntax (``openssl_csr`` / ``openssl_csr_pipe`` ``subject_alt_name``), checked
against community.crypto 3.0.5 by generating a CSR and an ``ownca`` certificate and reading
them back with ``cryptography`` and ``openssl x509 -text`` (which shows ``SRVName::`` and
``XmppAddr::``):

* DNS-ID:   ``DNS:example.org``
* XmppAddr: ``otherName:1.3.6.1.5.5.7.8.5;UTF8:example.org`` (UTF8String, community.crypto's
  ASN.1 string form; the domain in U-labels, since a JID is internationalised text)
* SRV-ID:   ``otherName:1.3.6.1.5.5.7.8.7;16:18:5f:78:...`` (the DER of an IA5String as
  colon-separated hex). community.crypto's string form knows only ``UTF8``, and an SRVName
  must be an IA5String, so the hex form (which it passes through unchanged) is the only
  correct spelling.

``x509_certificate`` with ``provider: ownca`` copies the CSR's extensions unchanged, so the
same list yields a correctly signed certificate; ``openssl_csr`` compares the parsed names,
so a re-run with the same list is idempotent. Give the CSR a subject (``common_name``, the
plan's first name) or ``subject_alt_name_critical: true``: with an empty subject and a
non-critical SAN (community.crypto's default) RFC 5280 path validation rejects the leaf.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ansible_collections.xmpp.encryption.plugins.module_utils._x509.domain import (
    DomainError,
    domain_to_ascii,
    to_unicode,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.identity import (
    dns_id_matches,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.read import (
    OID_SRV_NAME,
    OID_XMPP_ADDR,
)

GROUP_BY = ("host", "domain")
# Prefixes used when reporting identities; the same spelling as the prober's reports.
DNS_PREFIX, SRV_PREFIX, XMPP_PREFIX = "DNS-ID:", "SRV-ID:", "XmppAddr:"

_SERVICE_LABEL = re.compile(r"^_[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DOMAIN_KEYS = frozenset({"name", "components", "subdomains"})


class CertNameError(ValueError):
    """An entry that cannot be a certificate name; the message says which and where from."""

    def __init__(self, source: str, entry: object, reason: str) -> None:
        super().__init__(f"{source}: {entry!r} {reason}")
        self.source = source
        self.entry = entry
        self.reason = reason


def normalize_name(raw: object, source: str, *, allow_wildcard: bool = False) -> str:
    """``raw`` as a lower-case A-label DNS name without trailing dot, or ``CertNameError``.

    The rules are ``domain_to_ascii``'s, the same as for every name the prober uses.
    """
    if not isinstance(raw, str):
        raise CertNameError(source, raw, f"must be a string, not {type(raw).__name__}")
    try:
        return domain_to_ascii(raw, allow_wildcard=allow_wildcard)
    except DomainError as exc:
        raise CertNameError(source, raw, exc.reason) from exc


def normalize_srv_id(raw: object, source: str) -> str:
    """An SRV-ID such as ``_xmpp-client.example.org``: service label, then a domain."""
    if not isinstance(raw, str):
        raise CertNameError(source, raw, f"must be a string, not {type(raw).__name__}")
    service, _dot, domain = raw.strip().partition(".")
    service = service.lower()
    if not _SERVICE_LABEL.match(service):
        raise CertNameError(source, raw, "does not start with a service label like _xmpp-client")
    return f"{service}.{normalize_name(domain, source)}"


def normalize_xmpp_addr(raw: object, source: str) -> str:
    """A server's XmppAddr is a bare domain JID; compared in A-label form."""
    if isinstance(raw, str) and ("@" in raw or "/" in raw):
        raise CertNameError(source, raw, "is not a bare domain JID")
    return normalize_name(raw, source)


def dns_id_covers(presented: str, required: str) -> bool:
    """RFC 9525 §6.3: exact match, or ``*`` as the whole first label standing for one label."""
    return dns_id_matches(presented, required)


def _der_ia5(value: str) -> bytes:
    data = value.encode("ascii")
    length = len(data)
    if length < 0x80:
        return bytes([0x16, length]) + data
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x16, 0x80 | len(size)]) + size + data


def san_dns(name: str) -> str:
    return f"DNS:{name}"


def san_srv_id(srv_id: str) -> str:
    """community.crypto spelling of an SRV-ID: hex DER of an IA5String (see module doc)."""
    return f"otherName:{OID_SRV_NAME};" + ":".join(f"{b:02x}" for b in _der_ia5(srv_id))


def san_xmpp_addr(domain: str) -> str:
    return f"otherName:{OID_XMPP_ADDR};UTF8:{to_unicode(domain)}"


@dataclass(frozen=True)
class NameSet:
    """Identities of one certificate, each tuple normalised (A-labels, lower case)."""

    dns_ids: tuple[str, ...] = ()
    srv_ids: tuple[str, ...] = ()
    xmpp_addrs: tuple[str, ...] = ()


def required_names(
    dns_ids: Iterable[object] = (),
    srv_ids: Iterable[object] = (),
    xmpp_addrs: Iterable[object] = (),
) -> NameSet:
    """Validate and normalise names a user asked for (module options), deduplicated."""
    return NameSet(
        dns_ids=_dedupe(normalize_name(n, f"dns_names[{i}]") for i, n in enumerate(dns_ids)),
        srv_ids=_dedupe(normalize_srv_id(n, f"srv_ids[{i}]") for i, n in enumerate(srv_ids)),
        xmpp_addrs=_dedupe(
            normalize_xmpp_addr(n, f"xmpp_addrs[{i}]") for i, n in enumerate(xmpp_addrs)
        ),
    )


@dataclass(frozen=True)
class NameDiff:
    """``missing``: required but not covered; ``extra``: presented but not planned (labelled)."""

    missing: tuple[str, ...]
    extra: tuple[str, ...]


def compare_names(required: NameSet, presented: NameSet) -> NameDiff:
    """What a certificate lacks for ``required``, and what it carries beyond it.

    DNS-IDs may be covered by a presented wildcard; SRV-IDs and XmppAddrs only exactly.
    """
    missing = [
        DNS_PREFIX + n
        for n in required.dns_ids
        if not any(dns_id_covers(p, n) for p in presented.dns_ids)
    ]
    missing += [SRV_PREFIX + n for n in required.srv_ids if n not in presented.srv_ids]
    missing += [XMPP_PREFIX + n for n in required.xmpp_addrs if n not in presented.xmpp_addrs]
    extra = [DNS_PREFIX + n for n in presented.dns_ids if n not in required.dns_ids]
    extra += [SRV_PREFIX + n for n in presented.srv_ids if n not in required.srv_ids]
    extra += [XMPP_PREFIX + n for n in presented.xmpp_addrs if n not in required.xmpp_addrs]
    return NameDiff(missing=tuple(missing), extra=tuple(extra))


@dataclass(frozen=True)
class CertificatePlan:
    """One certificate: its name (host or domain, for file names) and what it must cover."""

    name: str
    domains: tuple[str, ...]
    components: tuple[str, ...]

    @property
    def common_name(self) -> str:
        """A subject CN for the CSR: RFC 5280 wants a critical SAN when the subject is empty."""
        return self.dns_names[0]

    @property
    def dns_names(self) -> tuple[str, ...]:
        return self.domains + self.components

    @property
    def srv_ids(self) -> tuple[str, ...]:
        ids = [f"_xmpp-{role}.{d}" for d in self.domains for role in ("client", "server")]
        return (*ids, *(f"_xmpp-server.{c}" for c in self.components))

    def names(self, ca: str) -> NameSet:
        """The identities for a ``public`` CA (DNS-IDs only) or an ``internal`` one (all)."""
        if ca == "public":
            return NameSet(dns_ids=self.dns_names)
        return NameSet(dns_ids=self.dns_names, srv_ids=self.srv_ids, xmpp_addrs=self.domains)

    def subject_alt_name(self, ca: str) -> list[str]:
        """The plan as community.crypto ``subject_alt_name`` entries."""
        names = self.names(ca)
        return (
            [san_dns(n) for n in names.dns_ids]
            + [san_srv_id(n) for n in names.srv_ids]
            + [san_xmpp_addr(n) for n in names.xmpp_addrs]
        )

    def as_dict(self, ca: str) -> dict[str, object]:
        names = self.names(ca)
        return {
            "name": self.name,
            "common_name": self.common_name,
            "domains": list(self.domains),
            "components": list(self.components),
            "dns_names": list(names.dns_ids),
            "srv_ids": list(names.srv_ids),
            "xmpp_addrs": list(names.xmpp_addrs),
            "subject_alt_name": self.subject_alt_name(ca),
        }


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _string_list(value: object, source: str) -> list[object]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise CertNameError(source, value, "must be a list")
    return list(value)


def _join(prefix: object, domain: str, source: str) -> str:
    if not isinstance(prefix, str) or not prefix.strip() or prefix.strip().endswith("."):
        raise CertNameError(source, prefix, "must be a relative name such as 'conference'")
    return normalize_name(f"{prefix.strip()}.{domain}", f"{source} on {domain}")


@dataclass(frozen=True)
class _Component:
    name: str
    parent: str | None


def _parent_of(name: str, domains: Sequence[str]) -> str | None:
    """The longest planned domain that ``name`` lies under, if any."""
    parents = [d for d in domains if name.endswith("." + d)]
    return max(parents, key=len) if parents else None


def plan_certificates(
    domains: Sequence[object],
    components: Sequence[object] = (),
    subdomains: Sequence[object] = (),
    *,
    group_by: str = "host",
    host: str = "host",
) -> tuple[CertificatePlan, ...]:
    """Plan the certificates of one host.

    ``domains`` holds strings or mappings ``{name, components, subdomains}`` (per-domain
    components as full names, per-domain subdomain prefixes). ``components`` are full names
    for the whole host; ``subdomains`` are prefixes applied to every domain. A name that is
    both a domain and a component counts as a domain.
    """
    if group_by not in GROUP_BY:
        raise CertNameError("group_by", group_by, f"must be one of {list(GROUP_BY)}")
    entries = _string_list(domains, "domains")
    if not entries:
        raise CertNameError("domains", domains, "is empty: a certificate needs an XMPP domain")
    host_prefixes = _string_list(subdomains, "subdomains")
    planned: list[str] = []
    found: list[_Component] = []
    for i, entry in enumerate(entries):
        source = f"domains[{i}]"
        own_components: list[object] = []
        own_prefixes: list[object] = []
        if isinstance(entry, Mapping):
            unknown = sorted(set(entry) - _DOMAIN_KEYS)
            if unknown:
                raise CertNameError(source, dict(entry), f"has unknown keys {unknown}")
            if "name" not in entry:
                raise CertNameError(source, dict(entry), "has no 'name'")
            raw_name = entry["name"]
            own_components = _string_list(entry.get("components"), f"{source}.components")
            own_prefixes = _string_list(entry.get("subdomains"), f"{source}.subdomains")
            source = f"{source}.name"
        else:
            raw_name = entry
        domain = normalize_name(raw_name, source)
        planned.append(domain)
        for j, comp in enumerate(own_components):
            found.append(_Component(normalize_name(comp, f"domains[{i}].components[{j}]"), domain))
        for j, prefix in enumerate(own_prefixes):
            found.append(_Component(_join(prefix, domain, f"domains[{i}].subdomains[{j}]"), domain))
        for j, prefix in enumerate(host_prefixes):
            found.append(_Component(_join(prefix, domain, f"subdomains[{j}]"), domain))
    domain_names = _dedupe(planned)
    for j, comp in enumerate(_string_list(components, "components")):
        name = normalize_name(comp, f"components[{j}]")
        found.append(_Component(name, _parent_of(name, domain_names)))
    # First mention wins; a component that is also a domain is a domain.
    comps: dict[str, _Component] = {}
    for comp in found:
        if comp.name not in domain_names and comp.name not in comps:
            comps[comp.name] = comp
    if group_by == "host":
        return (CertificatePlan(host, domain_names, tuple(comps)),)
    plans = [
        CertificatePlan(d, (d,), tuple(c.name for c in comps.values() if c.parent == d))
        for d in domain_names
    ]
    # A component under none of the domains gets a certificate of its own.
    plans += [CertificatePlan(c.name, (), (c.name,)) for c in comps.values() if c.parent is None]
    return tuple(plans)
