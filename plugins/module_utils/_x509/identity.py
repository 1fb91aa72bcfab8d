"""Service identity for XMPP: RFC 9525 matching with the XMPP reference identifiers.

RFC 6120 §13.7.1.2 and RFC 7590 say what a client or a peer server looks for in a server's
certificate: a DNS-ID equal to the XMPP domain, an SRV-ID ``_xmpp-client.DOMAIN`` (c2s) or
``_xmpp-server.DOMAIN`` (s2s), ``_xmpps-*`` for direct TLS (XEP-0368), or an XmppAddr equal
to the domain. RFC 9525 forbids the Common Name fallback, so the subject is never read here.

This file is pure string logic (no cryptography) so that it can be reused by anyone who has
the subjectAltName values as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ansible_collections.xmpp.encryption.plugins.module_utils._x509.domain import (
    domain_to_ascii,
    is_ip_address,
    label_to_ascii,
)

STREAMS = ("c2s", "s2s")
TLS_MODES = ("starttls", "direct")


def to_a_label(name: str) -> str | None:
    """A presented identifier as lower-case A-labels without a trailing dot, or None.

    For comparing what a certificate says, not for names the collection uses (those go through
    ``domain_to_ascii``): labels that are already ASCII are kept as they are (apart from case)
    so that SRV-ID service labels such as ``_xmpp-client`` survive; only non-ASCII labels are
    converted, the same way.
    """
    name = name.strip().rstrip(".")
    if not name:
        return None
    labels: list[str] = []
    for label in name.split("."):
        if not label:
            return None
        try:
            labels.append(label.lower() if label.isascii() else label_to_ascii(label))
        except (UnicodeError, ValueError):
            return None
    return ".".join(labels)


@dataclass(frozen=True)
class ReferenceIdentity:
    """What the client looks for: one domain, in A-label form, for one stream type."""

    domain: str
    dns_ids: tuple[str, ...]
    srv_ids: tuple[str, ...]
    xmpp_addrs: tuple[str, ...]


def reference_identity(domain: str, stream: str, tls_mode: str = "starttls") -> ReferenceIdentity:
    """Reference identifiers of RFC 6120 §13.7.1.2 / RFC 7590 / XEP-0368 for ``domain``.

    A domain that is an IP address (RFC 7622 allows it) has none of them, so nothing matches.
    """
    if stream not in STREAMS:
        raise ValueError(f"stream must be one of {STREAMS}, not {stream!r}")
    if tls_mode not in TLS_MODES:
        raise ValueError(f"tls_mode must be one of {TLS_MODES}, not {tls_mode!r}")
    if is_ip_address(domain):
        return ReferenceIdentity(domain.strip(), (), (), ())
    # The same rules as for a planned certificate name: what cannot be planned is no reference.
    a_domain = domain_to_ascii(domain)
    role = "client" if stream == "c2s" else "server"
    # A direct-TLS client found the service through _xmpps-*; a certificate made for the
    # STARTTLS service is still acceptable to it (XEP-0368 §3), so both SRV-IDs count.
    services = [f"_xmpp-{role}"] if tls_mode == "starttls" else [f"_xmpps-{role}", f"_xmpp-{role}"]
    return ReferenceIdentity(
        domain=a_domain,
        dns_ids=(a_domain,),
        srv_ids=tuple(f"{service}.{a_domain}" for service in services),
        xmpp_addrs=(a_domain,),
    )


def dns_id_matches(presented: str, reference: str) -> bool:
    """RFC 9525 §6.3 for one DNS-ID: exact, or a ``*`` that is the whole left-most label.

    The wildcard stands for exactly one label: it never matches the bare parent domain and
    never spans several labels; partial wildcards (``x*.example.org``) are not accepted, and a
    wildcard directly under a public suffix-like single label (``*.org``) never matches.
    """
    ref = to_a_label(reference)
    if ref is None:
        return False
    if presented.startswith("*."):
        rest = to_a_label(presented[2:])
        if rest is None or "*" in rest or "." not in rest:
            return False
        head, _dot, tail = ref.partition(".")
        return bool(head) and tail == rest
    pres = to_a_label(presented)
    return pres is not None and "*" not in pres and pres == ref


def srv_id_matches(presented: str, reference: str) -> bool:
    """An SRV-ID (``_service.domain``) matches only exactly; RFC 9525 allows no wildcard in it."""
    if "*" in presented:
        return False
    pres = to_a_label(presented)
    ref = to_a_label(reference)
    return pres is not None and ref is not None and pres == ref


def xmpp_addr_matches(presented: str, reference: str) -> bool:
    """An XmppAddr names a server only as a bare domain JID (no localpart, no resource)."""
    if "@" in presented or "/" in presented or "*" in presented:
        return False
    pres = to_a_label(presented)
    return pres is not None and pres == to_a_label(reference)


@dataclass(frozen=True)
class IdentityMatch:
    """Which presented identifier matched, as ``"DNS-ID:name"`` / ``"SRV-ID:..."`` / ..."""

    matches: bool
    matched_identity: str | None


def match_identity(
    ref: ReferenceIdentity,
    *,
    san_dns: Iterable[str],
    san_srv: Iterable[str],
    san_xmpp_addr: Iterable[str],
) -> IdentityMatch:
    """First presented identifier that matches ``ref``: SRV-ID, then XmppAddr, then DNS-ID.

    The order only decides what is reported when several match; SRV-ID comes first because
    it is the most specific statement (it names the service as well as the domain).
    """
    for presented in san_srv:
        if any(srv_id_matches(presented, srv) for srv in ref.srv_ids):
            return IdentityMatch(True, f"SRV-ID:{presented}")
    for presented in san_xmpp_addr:
        if any(xmpp_addr_matches(presented, addr) for addr in ref.xmpp_addrs):
            return IdentityMatch(True, f"XmppAddr:{presented}")
    for presented in san_dns:
        if any(dns_id_matches(presented, dns_id) for dns_id in ref.dns_ids):
            return IdentityMatch(True, f"DNS-ID:{presented}")
    return IdentityMatch(False, None)
