"""DNSSEC validation done by the inspector itself, from a configured trust anchor down.

The answer's RRSIG names the zone that signed it; that zone's DNSKEY set is trusted when a
trust anchor names it, or when a DS set signed by a trusted parent points at one of its keys
(fetched recursively up to the anchor). Unsigned data is ``insecure`` only when a signed
denial of the DS proves the delegation insecure; otherwise, inside a signed zone, it is
``bogus``. Names that no trust anchor covers are ``indeterminate`` (RFC 4033 §5).

Limits, on purpose: NXDOMAIN proofs check that a signed NSEC/NSEC3 covers the name but not
the full closest-encloser and wildcard proof of RFC 5155 §8.4; wildcard expansions are
accepted on the RRSIG's label count.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.client import (
    DnsClient,
    DnsQueryError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.errors import DnsError

try:
    import dns.dnssec
    import dns.exception
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdataclass
    import dns.rdataset
    import dns.rdatatype
    import dns.rrset
    import dns.zone
except ImportError:  # decided once, in _common.dependencies
    pass

SECURE = "secure"
INSECURE = "insecure"
BOGUS = "bogus"
INDETERMINATE = "indeterminate"
_RANK = {SECURE: 0, INSECURE: 1, INDETERMINATE: 2, BOGUS: 3}

# The root zone's key-signing keys, as DS records (IANA, root-anchors.xml): KSK-2017 (key tag
# 20326) in use since 2018 and KSK-2024 (key tag 38696) published for the next rollover.
ROOT_ANCHORS_TEXT = """
. 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. 172800 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
"""


class TrustAnchorError(DnsError):
    """A trust anchor file that cannot be read or holds no DS/DNSKEY record."""


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str
    signer: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "reason": self.reason, "signer": self.signer}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    items = list(verdicts)
    if not items:
        return Verdict(INDETERMINATE, "nothing to validate")
    return max(items, key=lambda v: _RANK[v.status])


TrustAnchors = dict["dns.name.Name", list["dns.rrset.RRset"]]


def parse_dnssec_anchors(text: str) -> TrustAnchors:
    """DS and DNSKEY records in zone-file syntax (absolute names), grouped by zone."""
    try:
        zone = dns.zone.from_text(text, origin=dns.name.root, relativize=False, check_origin=False)
    except dns.exception.DNSException as exc:
        raise TrustAnchorError(f"cannot parse the trust anchor: {exc}") from exc
    anchors: TrustAnchors = {}
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            if rdataset.rdtype in (dns.rdatatype.DS, dns.rdatatype.DNSKEY):
                rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
                rrset.update(rdataset)
                anchors.setdefault(name, []).append(rrset)
    if not anchors:
        raise TrustAnchorError("the trust anchor holds no DS or DNSKEY record")
    return anchors


def load_dnssec_anchors(path: str | None) -> TrustAnchors:
    """From a file, or the root's built-in anchors when ``path`` is None."""
    if path is None:
        return parse_dnssec_anchors(ROOT_ANCHORS_TEXT)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustAnchorError(f"cannot read the trust anchor {path}: {exc}") from exc
    return parse_dnssec_anchors(text)


def _sigs_for(section: Iterable[dns.rrset.RRset], rrset: dns.rrset.RRset) -> dns.rrset.RRset | None:
    for candidate in section:
        if (
            candidate.rdtype == dns.rdatatype.RRSIG
            and candidate.name == rrset.name
            and candidate.covers == rrset.rdtype
        ):
            return candidate
    return None


def _ds_matches(zone: dns.name.Name, key: object, ds_set: Iterable[object]) -> bool:
    for ds in ds_set:
        try:
            if dns.dnssec.make_ds(zone, key, ds.digest_type) == ds:
                return True
        except (dns.dnssec.UnsupportedAlgorithm, dns.exception.DNSException, ValueError):
            continue
    return False


class Validator:
    """Validates answers fetched through ``client``; zone key verdicts are cached per run."""

    def __init__(self, client: DnsClient, anchors: TrustAnchors, now: float | None = None) -> None:
        self.client = client
        self.anchors = anchors
        self.now = now if now is not None else time.time()
        self._keys: dict[dns.name.Name, tuple[Verdict, dns.rrset.RRset | None]] = {}

    # ------------------------------------------------------------ zone keys

    def _covered(self, name: dns.name.Name) -> bool:
        return any(name.is_subdomain(anchor) for anchor in self.anchors)

    def zone_keys(self, zone: dns.name.Name) -> tuple[Verdict, dns.rrset.RRset | None]:
        """The verdict on ``zone``'s DNSKEY set and, when secure, the set itself."""
        if zone not in self._keys:
            # A chain that comes back to this zone cannot be completed: say so, not bogus.
            self._keys[zone] = (Verdict(INDETERMINATE, f"no chain of trust reaches {zone}"), None)
            self._keys[zone] = self._zone_keys(zone)
        return self._keys[zone]

    def _zone_keys(self, zone: dns.name.Name) -> tuple[Verdict, dns.rrset.RRset | None]:
        if not self._covered(zone):
            return Verdict(INDETERMINATE, f"no trust anchor covers {zone}"), None
        if zone in self.anchors:
            return self._keys_from_anchor(zone)
        try:
            reply = self.client.query(zone, dns.rdatatype.DS)
        except DnsQueryError as exc:
            return Verdict(INDETERMINATE, str(exc)), None
        if reply.rcode() == dns.rcode.SERVFAIL:
            return Verdict(BOGUS, f"SERVFAIL for {zone} DS"), None
        ds_set = reply.get_rrset(reply.answer, zone, dns.rdataclass.IN, dns.rdatatype.DS)
        if ds_set is None:
            if any(r.rdtype == dns.rdatatype.SOA and r.name == zone for r in reply.authority):
                # The zone itself answered for its DS: the server does not serve the parent,
                # so the chain from the anchor cannot be followed from here.
                reason = (
                    f"the DS of {zone} came from {zone} itself, not its parent; no chain of trust"
                )
                return Verdict(INDETERMINATE, reason), None
            return self._no_ds(zone, reply)
        verdict = self.rrset(ds_set, reply.answer)
        if verdict.status != SECURE:
            return verdict, None
        return self._keys_from_ds(zone, list(ds_set))

    def _fetch_dnskey(
        self, zone: dns.name.Name
    ) -> tuple[dns.rrset.RRset | None, dns.rrset.RRset | None, str]:
        try:
            reply = self.client.query(zone, dns.rdatatype.DNSKEY)
        except DnsQueryError as exc:
            return None, None, str(exc)
        keys = reply.get_rrset(reply.answer, zone, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
        if keys is None:
            return None, None, f"no DNSKEY for {zone} (rcode {dns.rcode.to_text(reply.rcode())})"
        return keys, _sigs_for(reply.answer, keys), ""

    def _self_signed_keys(
        self,
        zone: dns.name.Name,
        keys: dns.rrset.RRset,
        sigs: dns.rrset.RRset | None,
        trusted: list[object],
    ) -> tuple[Verdict, dns.rrset.RRset | None]:
        if not trusted:
            return Verdict(
                BOGUS, f"no DNSKEY of {zone} matches its trust anchor or DS", str(zone)
            ), None
        if sigs is None:
            return Verdict(BOGUS, f"the DNSKEY set of {zone} is not signed", str(zone)), None
        trusted_set = dns.rrset.RRset(zone, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
        for key in trusted:
            trusted_set.add(key)
        try:
            dns.dnssec.validate(keys, sigs, {zone: trusted_set}, now=self.now)
        except (dns.dnssec.ValidationFailure, dns.dnssec.UnsupportedAlgorithm) as exc:
            return Verdict(BOGUS, f"DNSKEY set of {zone}: {exc}", str(zone)), None
        return Verdict(SECURE, f"DNSKEY set of {zone} is trusted", str(zone)), keys

    def _keys_from_anchor(self, zone: dns.name.Name) -> tuple[Verdict, dns.rrset.RRset | None]:
        keys, sigs, error = self._fetch_dnskey(zone)
        if keys is None:
            return Verdict(BOGUS if "no DNSKEY" in error else INDETERMINATE, error, str(zone)), None
        anchor_keys = [
            rd
            for rrset in self.anchors[zone]
            if rrset.rdtype == dns.rdatatype.DNSKEY
            for rd in rrset
        ]
        anchor_ds = [
            rd for rrset in self.anchors[zone] if rrset.rdtype == dns.rdatatype.DS for rd in rrset
        ]
        trusted = [k for k in keys if k in anchor_keys or _ds_matches(zone, k, anchor_ds)]
        return self._self_signed_keys(zone, keys, sigs, trusted)

    def _keys_from_ds(
        self, zone: dns.name.Name, ds_set: list[object]
    ) -> tuple[Verdict, dns.rrset.RRset | None]:
        keys, sigs, error = self._fetch_dnskey(zone)
        if keys is None:
            return Verdict(BOGUS, f"DS exists but {error}", str(zone)), None
        trusted = [k for k in keys if _ds_matches(zone, k, ds_set)]
        return self._self_signed_keys(zone, keys, sigs, trusted)

    def _no_ds(
        self, zone: dns.name.Name, reply: dns.message.Message
    ) -> tuple[Verdict, dns.rrset.RRset | None]:
        """No DS for ``zone``: insecure if a signed denial proves it, else the denial's verdict."""
        denial = self.negative(reply, zone, dns.rdatatype.DS)
        if denial.status == SECURE:
            return Verdict(
                INSECURE, f"{zone} is delegated without DS (signed denial)", denial.signer
            ), None
        return denial, None

    # ------------------------------------------------------------ records

    def zone_of(self, name: dns.name.Name) -> dns.name.Name | None:
        """The apex of the zone holding ``name``, from the SOA a server returns for it."""
        try:
            reply = self.client.query(name, dns.rdatatype.SOA)
        except DnsQueryError:
            return None
        for section in (reply.answer, reply.authority):
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.SOA and name.is_subdomain(rrset.name):
                    return rrset.name
        return None

    def unsigned(self, name: dns.name.Name) -> Verdict:
        """Verdict for data at ``name`` that came without signatures."""
        zone = self.zone_of(name)
        if zone is None:
            if not self._covered(name):
                return Verdict(INDETERMINATE, f"no trust anchor covers {name}")
            return Verdict(BOGUS, f"unsigned data at {name} and no zone apex found")
        verdict, _dnskeys = self.zone_keys(zone)
        if verdict.status == SECURE:
            return Verdict(
                BOGUS, f"{name} is in the signed zone {zone} but has no signature", str(zone)
            )
        return verdict

    def rrset(self, rrset: dns.rrset.RRset, section: Iterable[dns.rrset.RRset]) -> Verdict:
        """Verdict for one RRset, with the RRSIGs found in the same section."""
        sigs = _sigs_for(section, rrset)
        if sigs is None or len(sigs) == 0:
            return self.unsigned(rrset.name)
        signers = {sig.signer for sig in sigs}
        verdicts: list[Verdict] = []
        for signer in signers:
            if not rrset.name.is_subdomain(signer):
                verdicts.append(Verdict(BOGUS, f"{signer} cannot sign {rrset.name}", str(signer)))
                continue
            key_verdict, keys = self.zone_keys(signer)
            if key_verdict.status != SECURE or keys is None:
                verdicts.append(key_verdict)
                continue
            try:
                dns.dnssec.validate(rrset, sigs, {signer: keys}, now=self.now)
            except (dns.dnssec.ValidationFailure, dns.dnssec.UnsupportedAlgorithm) as exc:
                verdicts.append(Verdict(BOGUS, f"signature check failed: {exc}", str(signer)))
                continue
            return Verdict(SECURE, "signature valid", str(signer))
        return min(verdicts, key=lambda v: _RANK[v.status])

    def negative(self, reply: dns.message.Message, qname: dns.name.Name, rdtype: int) -> Verdict:
        """Verdict for NXDOMAIN or NODATA: a signed NSEC/NSEC3 must deny the name or type."""
        denials = [
            r for r in reply.authority if r.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)
        ]
        if not denials:
            return self.unsigned(qname)
        checked = [self.rrset(r, reply.authority) for r in denials]
        bad = worst(checked)
        if bad.status != SECURE:
            return bad
        nxdomain = reply.rcode() == dns.rcode.NXDOMAIN
        for denial in denials:
            if _denies(denial, qname, rdtype, nxdomain):
                return Verdict(SECURE, "signed denial of existence", checked[0].signer)
        return Verdict(
            BOGUS, f"the signed NSEC/NSEC3 records do not deny {qname}", checked[0].signer
        )

    def answer(self, reply: dns.message.Message, qname: dns.name.Name, rdtype: int) -> Verdict:
        """Verdict for a whole reply to (qname, rdtype): every answer RRset, or the denial."""
        if reply.rcode() == dns.rcode.SERVFAIL:
            return Verdict(
                BOGUS, "the server answered SERVFAIL (a validating resolver does so for bogus data)"
            )
        data = [r for r in reply.answer if r.rdtype != dns.rdatatype.RRSIG]
        if not data:
            return self.negative(reply, qname, rdtype)
        return worst(self.rrset(r, reply.answer) for r in data)


def _denies(denial: dns.rrset.RRset, qname: dns.name.Name, rdtype: int, nxdomain: bool) -> bool:
    if denial.rdtype == dns.rdatatype.NSEC:
        for rd in denial:
            if denial.name == qname:
                if nxdomain:
                    continue
                types = set(_bitmap_types(rd))
                if rdtype not in types and dns.rdatatype.CNAME not in types:
                    return True
            elif _nsec_covers(denial.name, rd.next, qname):
                return True
        return False
    for rd in denial:
        try:
            hashed = dns.dnssec.nsec3_hash(qname, rd.salt, rd.iterations, rd.algorithm)
        except (ValueError, dns.exception.DNSException):
            continue
        owner = denial.name.labels[0].decode("ascii").upper()
        nxt = _b32hex(rd.next)
        if hashed == owner:
            if nxdomain:
                continue
            types = set(_bitmap_types(rd))
            if rdtype not in types and dns.rdatatype.CNAME not in types:
                return True
        elif _nsec3_covers(owner, nxt, hashed) and (nxdomain or rdtype == dns.rdatatype.DS):
            # A covering NSEC3: the name does not exist (or, with opt-out, has no DS).
            return True
    return False


def _nsec3_covers(owner: str, nxt: str, hashed: str) -> bool:
    if owner < nxt:
        return owner < hashed < nxt
    return hashed > owner or hashed < nxt  # the last NSEC3 of the chain wraps around


def _b32hex(raw: bytes) -> str:
    return base64.b32hexencode(raw).decode("ascii").rstrip("=").upper()


def _bitmap_types(rd: object) -> Iterable[int]:
    for window, bitmap in rd.windows:
        for i, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    yield window * 256 + i * 8 + bit


def _nsec_covers(owner: dns.name.Name, nxt: dns.name.Name, qname: dns.name.Name) -> bool:
    """owner < qname < next in canonical order; the last NSEC wraps to the apex."""
    if owner < nxt:
        return owner < qname < nxt
    return qname > owner or qname < nxt
