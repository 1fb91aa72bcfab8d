"""Enumerate what a TLS endpoint accepts: versions, suites, groups, compression, chain.

One ClientHello per connection, read only until the answer is known, then close. The
strategy keeps connections few, because on a real network a prober's time is connections
times round trips:

* versions: one hello offering everything (TLS 1.3 through supported_versions) gives the
  highest version, and the same connection's flight gives the certificate chain (decrypted
  through the TLS 1.3 key schedule when needed); each lower version is then asked once, and
  that answer is also the first step of its suite enumeration.
* suites: per version, offer a chunk, remove the suite the server picks, repeat until it
  refuses. Chunks hold at most ``MAX_SUITES_PER_HELLO`` suites (servers that choke on more
  than 128 suites exist) and hellos of 256-511 bytes are padded to 512 (RFC 7685, the F5
  bug). Chunks and versions are independent, so their chains run concurrently; the
  connections for a chain's next steps open while it awaits an answer, from one queue
  for the whole scan (``ChannelsAhead``).
* server preference: a chain's offers alternate between our order and its reverse; if a pick
  ever passes over an accepted suite offered before it, the server chooses (and the picks
  are its order); otherwise one reversed offer (and, when the suites span chunks, one
  forward offer) of the accepted suites tells its order from ours.
* groups: TLS 1.3 by offering supported_groups with no key share (the HelloRetryRequest
  names the server's pick), TLS 1.2 by the curve in the ECDHE ServerKeyExchange, and the
  finite-field DHE prime size from one DHE-only hello.

``connect`` is the caller's: each call returns a fresh ``Channel`` positioned for the first
TLS byte, under the caller's per-server concurrency bound.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Channel,
    Deadline,
    ProbeError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.channels_ahead import (
    ChannelsAhead,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls13 import (
    read_encrypted_flight,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_wire import (
    ClientHello,
    ServerFlight,
    TlsReader,
    build_client_hello,
    downgrade_signalled,
    read_server_hello,
    read_tls12_flight,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import (
    GROUPS,
    SUITES,
    TLS13_SUITES,
    VERSION_NAMES,
    VERSIONS,
    CipherSuite,
)

TLS_SCAN_CHECKS = frozenset(
    {"versions", "suites", "groups", "forward_secrecy", "compression", "certificate"}
)
MAX_SUITES_PER_HELLO = 128
HANDSHAKE_TIMEOUT = 10.0  # per connection; the caller's deadline bounds the whole scan
OPEN_GRACE = 0.5  # past the deadline, for a connect that does not bound its own phases

TLS13 = VERSIONS["TLSv1.3"]
TLS12 = VERSIONS["TLSv1.2"]
# Groups offered with TLS 1.3 (enumeration adds the hybrids) and with TLS 1.0-1.2.
TLS13_GROUPS = (0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104)
TLS13_ENUM_GROUPS = (*TLS13_GROUPS, 0x11EC, 0x11EB, 0x11ED)
EC_GROUPS = tuple(code for code, g in GROUPS.items() if g.kind == "ec")
LEGACY_GROUPS = (*EC_GROUPS, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104)
KEY_SHARES = (0x001D, 0x0017)  # what most TLS 1.3 servers take without a retry
CAN_SHARE = frozenset({0x001D, 0x001E, 0x0017, 0x0018, 0x0019})
REFUSALS = frozenset({"tls-alert", "reset"})


@dataclass(frozen=True)
class Step:
    """One step of a suite chain: what was offered, in that order, and what the server took."""

    offer: tuple[int, ...]
    pick: int

    def overrides(self, accepted: frozenset[int]) -> bool:
        """The server passed over a suite it accepts that we offered before its pick."""
        return any(code in accepted for code in self.offer[: self.offer.index(self.pick)])


class AfterHelloError(ProbeError):
    """A failure after the ServerHello: the server accepted, then broke (HOSTILE 18)."""


def is_refusal(exc: ProbeError) -> bool:
    """An alert or a close before any ServerHello: the server said no to that offer."""
    return exc.code in REFUSALS and not isinstance(exc, AfterHelloError)


@dataclass(frozen=True)
class TlsScanResult:
    """What one endpoint accepted. Fields of checks that were not run stay empty/None.

    ``versions``: name -> accepted (SSLv3 ... TLSv1.3). ``suites``: version -> IANA names,
    in the order found (the server's own order when it chooses and all fit one hello).
    ``server_preference``: version -> True (server chooses), False (client chooses), None
    (one suite, or unknown). ``groups``: TLS 1.3
    key-exchange groups; ``groups_tls12``: ECDHE curves with TLS 1.0-1.2; ``dh_bits``:
    finite-field DHE prime size; ``min_kex_bits``: the smallest of all those.
    ``downgrade``: a server answered a higher offer with a lower version and the RFC 8446
    section 4.1.3 downgrade sentinel in its random.
    ``chain_der``: certificates as sent, leaf first; ``certificate_version``: the protocol
    it was read with. ``connections``: connections opened. ``error``: why the scan could
    not run (code and message), ``anomalies``: protocol violations and failures of single
    probes (each one a refusal to believe the server, HOSTILE 15), ``complete``: no probe
    was lost to a failure or the deadline.
    """

    versions: dict[str, bool] = field(default_factory=dict)
    suites: dict[str, tuple[str, ...]] = field(default_factory=dict)
    server_preference: dict[str, bool | None] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    groups_tls12: tuple[str, ...] = ()
    dh_bits: int | None = None
    min_kex_bits: int | None = None
    forward_secrecy: bool | None = None
    compression: bool | None = None
    downgrade: bool = False
    chain_der: tuple[bytes, ...] = ()
    certificate_version: str | None = None
    certificate_request: bool | None = None
    alpn: str | None = None
    connections: int = 0
    error_code: str | None = None
    error: str | None = None
    anomalies: tuple[str, ...] = ()
    complete: bool = True


def _rank(suite: CipherSuite) -> tuple[int, bool, int, int]:
    """Likely and strong first, so the first chunk of each version holds what servers use."""
    certified = suite.auth in ("RSA", "ECDSA", "DSS")
    if suite.kex in ("ECDHE", "DHE") and certified:
        cls = 0
    elif suite.kex == "RSA":
        cls = 1
    elif certified:
        cls = 2
    elif suite.auth == "anon":
        cls = 3
    else:
        cls = 4
    return cls, suite.mac != "AEAD", -suite.bits, suite.code


@functools.cache  # the same for every scan: sorting the registry per endpoint is waste
def chunks_for(version: str, size: int = MAX_SUITES_PER_HELLO) -> tuple[tuple[int, ...], ...]:
    """The suites worth offering with ``version``, split into hello-sized chunks."""
    suites = sorted((s for s in SUITES.values() if version in s.versions), key=_rank)
    codes = [s.code for s in suites]
    return tuple(tuple(codes[i : i + size]) for i in range(0, len(codes), size))


class _Scanner:
    def __init__(
        self,
        connect: Callable[[], Awaitable[Channel]],
        sni: str,
        deadline: Deadline,
        alpn: str | None,
    ) -> None:
        self.connect, self.sni, self.deadline = connect, sni, deadline
        self.alpn: tuple[str, ...] = (alpn,) if alpn else ()
        self.connections = 0
        self.anomalies: list[str] = []
        self.incomplete = False
        self.compressed = False
        self.downgrade = False
        self.selected_alpn: str | None = None
        # TLS 1.2 chunks leave room for the TLS 1.3 suites in the first hello.
        self.chunks = {
            name: chunks_for(
                name, MAX_SUITES_PER_HELLO - (len(TLS13_SUITES) if name == "TLSv1.2" else 0)
            )
            for name in VERSIONS
            if name != "TLSv1.3"
        }
        self.chunks["TLSv1.3"] = (TLS13_SUITES,)
        # (version, chunk index) -> first pick already made by a version probe, or None
        # when that chunk was refused.
        self.first: dict[tuple[str, int], int | None] = {}
        # One queue for the whole scan: what one chain opened ahead and did not use serves
        # the next probe of any other, so only the scan's very end can leave some unused.
        self.ahead = ChannelsAhead(self.open)

    # -- one connection ------------------------------------------------------------------

    def hello(
        self,
        version: str,
        suites: Sequence[int],
        groups: Sequence[int] | None = None,
        key_shares: Sequence[int] = (),
    ) -> ClientHello:
        """A hello offering ``suites`` with ``version``.

        TLS 1.3 hellos carry no key share unless asked: the server then answers with a
        HelloRetryRequest that names its suite and group, and spends no key exchange and no
        signature on a probe that only wants to know them.
        """
        if version == "TLSv1.3":
            return build_client_hello(
                version=TLS13,
                suites=suites,
                tls13_versions=(TLS13,),
                groups=TLS13_GROUPS if groups is None else groups,
                key_share_groups=key_shares,
                sni=self.sni,
                alpn=self.alpn,
            )
        return build_client_hello(
            version=VERSIONS[version],
            suites=suites,
            groups=LEGACY_GROUPS if groups is None else groups,
            sni=self.sni,
            alpn=self.alpn,
            compression=(1, 0),  # DEFLATE offered: a server that takes it is reported
        )

    def open(self) -> Awaitable[Channel]:
        """A fresh connection, counted."""
        self.connections += 1
        return self.connect()

    async def probe(self, hello: ClientHello, want: str = "hello", left: int = 1) -> ServerFlight:
        """One connection: send ``hello``, read until ``want`` is known, close.

        ``want``: "hello" (ServerHello), "kex" (TLS 1.2 flight up to ServerHelloDone) or
        "chain" (also the TLS 1.3 encrypted Certificate). ``left``: for a step of a chain,
        how many steps it may still make, this one included (``ChannelsAhead.next`` opens
        connections ahead for them). Raises ``ProbeError``.
        """
        try:
            # The caller's connect bounds each of its phases (TCP, stream header, STARTTLS)
            # by this deadline and names the one that ran out; this bound, a moment later,
            # only catches a connect that does not.
            channel = await Deadline(self.deadline.at + OPEN_GRACE).run(
                self.ahead.next(left), "opening a connection"
            )
        except OSError as exc:  # the caller's connect should raise ProbeError; be safe
            raise ProbeError("connect-failed", str(exc)) from exc
        try:
            channel.writer.write(hello.record)
            try:
                await self.deadline.drain(channel.writer, "ClientHello", HANDSHAKE_TIMEOUT)
            except (ConnectionError, OSError) as exc:
                raise ProbeError("reset", f"connection lost while sending: {exc}") from exc
            tls = TlsReader(channel.reader, self.deadline, HANDSHAKE_TIMEOUT)
            sh, raw = await read_server_hello(tls, hello)
            if sh.version != TLS13 and sh.compression == 1:
                self.compressed = True
            if downgrade_signalled(hello, sh):
                self.downgrade = True
            if sh.alpn:
                self.selected_alpn = sh.alpn
            if want == "hello" or sh.hello_retry:
                return ServerFlight(sh, raw)
            try:
                if sh.version == TLS13:
                    if want == "chain":
                        return await read_encrypted_flight(tls, hello, sh, raw)
                    return ServerFlight(sh, raw)
                return await read_tls12_flight(tls, sh, raw)
            except ProbeError as exc:
                raise AfterHelloError(exc.code, f"after ServerHello: {exc.message}") from exc
        finally:
            await channel.close()

    async def attempt(
        self,
        what: str,
        hello: ClientHello,
        want: str = "hello",
        left: int = 1,
    ) -> ServerFlight | ProbeError:
        """``probe`` with failures returned; anything but a refusal is noted as an anomaly."""
        try:
            return await self.probe(hello, want, left)
        except ProbeError as exc:
            if not is_refusal(exc):
                self.anomalies.append(f"{what}: {exc}")
                self.incomplete = True
            return exc

    # -- versions --------------------------------------------------------------------------

    async def first_contact(self, want: str) -> ServerFlight | ProbeError:
        """The hello that offers everything: highest version, first picks, and the chain."""
        suites = (*TLS13_SUITES, *self.chunks["TLSv1.2"][0])
        hello = build_client_hello(
            version=TLS12,
            suites=suites,
            tls13_versions=(TLS13, TLS12, 0x0302, 0x0301),
            groups=TLS13_GROUPS + tuple(g for g in EC_GROUPS if g not in TLS13_GROUPS),
            key_share_groups=KEY_SHARES,
            sni=self.sni,
            alpn=self.alpn,
        )
        try:
            return await self.probe(hello, want)
        except ProbeError as exc:
            return exc

    async def version_supported(self, name: str) -> bool:
        """Ask for one version alone; its answers seed the suite chains of that version."""
        code = VERSIONS[name]
        chunks = self.chunks[name]

        async def ask(index: int) -> ServerFlight | ProbeError:
            result = await self.attempt(f"{name} probe", self.hello(name, chunks[index]))
            if isinstance(result, ServerFlight):
                accepted = result.hello.version == code
                self.first[(name, index)] = result.hello.suite if accepted else None
            else:
                self.first[(name, index)] = None
            return result

        first = await ask(0)
        if isinstance(first, ServerFlight):
            return first.hello.version == code
        if first.code == "tls-alert" and "protocol_version" in first.message:
            return False
        # Refused without naming the version: maybe only the first chunk was unacceptable.
        rest = await asyncio.gather(*(ask(i) for i in range(1, len(chunks))))
        return any(isinstance(r, ServerFlight) and r.hello.version == code for r in rest)

    # -- suites ----------------------------------------------------------------------------

    async def chain(self, name: str, index: int) -> list[Step]:
        """Offer the chunk, remove the pick, repeat until the server refuses.

        Offers alternate between our order and its reverse: a server that chooses by its own
        order then contradicts one of them within the first steps, which spares the order
        probe when its order happens to match ours.
        """
        chunk = self.chunks[name][index]
        offer = list(chunk)
        steps: list[Step] = []
        if (name, index) in self.first:
            seed = self.first[(name, index)]
            if seed is None:
                return steps
            steps.append(Step(chunk, seed))  # the version probe offered the chunk in order
            offer.remove(seed)
        while offer:
            sent = tuple(offer[::-1] if len(steps) % 2 else offer)
            result = await self.attempt(f"{name} suites", self.hello(name, sent), left=len(offer))
            if isinstance(result, ProbeError):
                break
            if result.hello.version != VERSIONS[name]:
                self.anomalies.append(
                    f"{name} suites: server answered {result.hello.version_name} this time"
                )
                self.incomplete = True
                break
            steps.append(Step(sent, result.hello.suite))
            offer.remove(result.hello.suite)
        return steps

    async def pick(self, name: str, offer: Sequence[int]) -> int | None:
        result = await self.attempt(f"{name} order", self.hello(name, offer))
        if isinstance(result, ServerFlight) and result.hello.version == VERSIONS[name]:
            return result.hello.suite
        return None

    async def suites(self, name: str) -> tuple[tuple[int, ...], bool | None]:
        chunks = range(len(self.chunks[name]))
        chains = await asyncio.gather(*(self.chain(name, i) for i in chunks))
        found = [step.pick for steps in chains for step in steps]
        if len(found) < 2:
            return tuple(found), None
        accepted = frozenset(found)
        if any(step.overrides(accepted) for steps in chains for step in steps):
            return tuple(found), True  # the picks are the server's order
        # The picks followed every offer, forward and reversed: report them in our order.
        ours = tuple(code for code in self.chunks_all(name) if code in accepted)
        offer = ours[:MAX_SUITES_PER_HELLO]
        forward_known = len(chains[0]) == len(found)  # one chunk: its seed was this pick
        reverse, forward = await asyncio.gather(
            self.pick(name, offer[::-1]),
            _const(offer[0]) if forward_known else self.pick(name, offer),
        )
        if reverse is None or forward is None:
            return ours, None
        if forward == offer[0] and reverse == offer[-1]:
            return ours, False
        if forward == reverse:
            return ours, True
        self.anomalies.append(f"{name} order: inconsistent choices {forward:#06x}/{reverse:#06x}")
        return ours, None

    # -- groups ----------------------------------------------------------------------------

    async def tls13_groups(self, seed: int | None) -> list[int]:
        """Offer supported_groups without key shares; the HelloRetryRequest names the pick."""
        remaining = list(TLS13_ENUM_GROUPS)
        picks: list[int] = []
        if seed in remaining:
            picks.append(seed)
            remaining.remove(seed)
        while remaining:
            hello = self.hello("TLSv1.3", TLS13_SUITES, groups=remaining)
            result = await self.attempt("TLSv1.3 groups", hello, left=len(remaining))
            if isinstance(result, ProbeError) or result.hello.selected_group is None:
                break
            picks.append(result.hello.selected_group)
            remaining.remove(result.hello.selected_group)
        return picks

    async def tls12_groups(self, name: str) -> list[int]:
        """Offer ECDHE suites only; the ServerKeyExchange names the curve."""
        suites = [s for s in self.chunks_all(name) if SUITES[s].kex in ("ECDHE", "ECDH_anon")]
        remaining = list(EC_GROUPS)
        picks: list[int] = []
        while remaining and suites:
            hello = self.hello(name, suites[:MAX_SUITES_PER_HELLO], groups=remaining)
            result = await self.attempt(f"{name} curves", hello, "kex", left=len(remaining))
            if isinstance(result, ProbeError):
                break
            kex = result.key_exchange
            if kex is None or kex.group not in remaining:
                self.anomalies.append(f"{name} curves: ServerKeyExchange names no offered curve")
                self.incomplete = True
                break
            picks.append(kex.group)
            remaining.remove(kex.group)
        return picks

    async def dh_bits(self, name: str) -> int | None:
        suites = [s for s in self.chunks_all(name) if SUITES[s].kex in ("DHE", "DH_anon")]
        if not suites:
            return None
        hello = self.hello(name, suites[:MAX_SUITES_PER_HELLO], groups=LEGACY_GROUPS[-5:])
        result = await self.attempt(f"{name} DHE", hello, "kex")
        if isinstance(result, ServerFlight) and result.key_exchange is not None:
            return result.key_exchange.bits
        return None

    def chunks_all(self, name: str) -> list[int]:
        return [code for chunk in self.chunks[name] for code in chunk]

    # -- certificate -----------------------------------------------------------------------

    async def chain_fallback(
        self, supported: dict[str, bool], retry_group: int | None
    ) -> ServerFlight | None:
        """A dedicated hello for the chain when the first one did not yield it."""
        if supported.get("TLSv1.3") and retry_group in CAN_SHARE:
            hello = self.hello("TLSv1.3", TLS13_SUITES, key_shares=(retry_group,))
            result = await self.attempt("TLSv1.3 certificate", hello, "chain")
            if isinstance(result, ServerFlight) and result.chain_der:
                return result
        for name in ("TLSv1.2", "TLSv1.1", "TLSv1.0", "SSLv3"):
            if supported.get(name):
                certified = [
                    s for s in self.chunks_all(name) if SUITES[s].auth in ("RSA", "ECDSA", "DSS")
                ]
                hello = self.hello(name, certified[:MAX_SUITES_PER_HELLO])
                result = await self.attempt(f"{name} certificate", hello, "chain")
                return result if isinstance(result, ServerFlight) else None
        return None


async def _const(value: int) -> int:
    return value


def _names(codes: Sequence[int], table: dict[int, Any]) -> tuple[str, ...]:
    return tuple(table[c].name if c in table else f"{c:#06x}" for c in codes)


async def scan_tls(
    connect: Callable[[], Awaitable[Channel]],
    *,
    sni: str,
    checks: frozenset[str],
    deadline: Deadline,
    alpn: str | None = None,
) -> TlsScanResult:
    """Scan one TLS endpoint for ``checks`` (a subset of ``TLS_SCAN_CHECKS``).

    ``connect`` opens a fresh connection positioned for the first TLS byte (after
    STARTTLS, or direct TLS); it may raise ``ProbeError``. ``sni`` is sent in every hello;
    ``alpn`` (e.g. ``xmpp-client`` for XEP-0368) too when given. Endpoint failures never
    raise: they end up in ``error``/``anomalies`` of the result.
    """
    unknown = checks - TLS_SCAN_CHECKS
    if unknown:
        raise ValueError(f"unknown TLS checks: {sorted(unknown)}")
    scan = _Scanner(connect, sni, deadline, alpn)
    want_chain = "certificate" in checks
    first = await scan.first_contact("chain" if want_chain else "hello")
    if isinstance(first, ProbeError) and not is_refusal(first):
        return TlsScanResult(
            connections=scan.connections, error_code=first.code, error=first.message, complete=False
        )
    highest = first.hello.version if isinstance(first, ServerFlight) else None
    supported: dict[str, bool] = {}
    if highest is not None:
        supported = {n: c == highest for n, c in VERSIONS.items() if c >= highest}
        if highest == TLS13:
            scan.first[("TLSv1.3", 0)] = first.hello.suite
        elif highest == TLS12:
            scan.first[("TLSv1.2", 0)] = first.hello.suite
    needs_versions = bool(
        checks & {"versions", "suites", "forward_secrecy", "compression", "groups"}
    )
    chain_flight = first if isinstance(first, ServerFlight) and first.chain_der else None

    # Each version's suite chains start as soon as that version is known to be accepted, and
    # the TLS 1.3 groups need nothing from the lower versions: no chain waits for the slowest
    # version probe.
    want_suites = bool(checks & {"suites", "forward_secrecy"})
    jobs: dict[str, asyncio.Future[Any]] = {}

    def start(key: str, job: Awaitable[Any]) -> None:
        jobs[key] = asyncio.ensure_future(job)

    async def ask_version(name: str) -> bool:
        ok = await scan.version_supported(name)
        if ok and want_suites:
            start(f"suites:{name}", scan.suites(name))
        return ok

    try:
        for name in (n for n, ok in supported.items() if ok and want_suites):
            start(f"suites:{name}", scan.suites(name))
        if "groups" in checks and highest == TLS13 and isinstance(first, ServerFlight):
            start("groups13", scan.tls13_groups(first.hello.selected_group))
        if needs_versions or (want_chain and chain_flight is None):
            lower = [n for n, c in VERSIONS.items() if n not in supported]
            answers = await asyncio.gather(*(ask_version(n) for n in lower))
            supported.update(zip(lower, answers, strict=True))
        accepted = [n for n in VERSIONS if supported.get(n)]
        legacy = [n for n in accepted if n != "TLSv1.3"]
        top_legacy = legacy[-1] if legacy else None
        if "groups" in checks and top_legacy:
            start("groups12", scan.tls12_groups(top_legacy))
            start("dh", scan.dh_bits(top_legacy))
        if want_chain and chain_flight is None and accepted:
            retry = first.hello.selected_group if isinstance(first, ServerFlight) else None
            start("chain", scan.chain_fallback(supported, retry))
        done = dict(zip(jobs, await asyncio.gather(*jobs.values()), strict=True))
    finally:
        for job in jobs.values():
            job.cancel()  # only those a failure or the deadline left running
        closing = scan.ahead.discard()
    await asyncio.gather(*closing)  # nothing the scan opened outlives it
    if not accepted:
        reason = first if isinstance(first, ProbeError) else None
        return TlsScanResult(
            versions=dict(sorted(supported.items(), key=lambda kv: VERSIONS[kv[0]])),
            connections=scan.connections,
            error_code=reason.code if reason else "tls-protocol",
            error=f"no TLS version was accepted ({reason or 'no answer'})",
            anomalies=tuple(scan.anomalies),
            complete=not scan.incomplete,
        )

    suites: dict[str, tuple[str, ...]] = {}
    preference: dict[str, bool | None] = {}
    all_suites: list[CipherSuite] = []
    for name in accepted:
        if f"suites:{name}" in done:
            codes, pref = done[f"suites:{name}"]
            suites[name], preference[name] = _names(codes, SUITES), pref
            all_suites += [SUITES[c] for c in codes]
    groups13 = tuple(done.get("groups13", ()))
    groups12 = tuple(done.get("groups12", ()))
    dh = done.get("dh")
    sizes = [GROUPS[g].bits for g in groups13 + groups12 if g in GROUPS] + ([dh] if dh else [])
    if chain_flight is None and done.get("chain") is not None:
        chain_flight = done["chain"]
    if want_chain and chain_flight is None:
        scan.anomalies.append("certificate: no handshake yielded the certificate chain")
    return TlsScanResult(
        versions=(
            dict(sorted(supported.items(), key=lambda kv: VERSIONS[kv[0]]))
            if "versions" in checks
            else {}
        ),
        suites=suites if "suites" in checks else {},
        server_preference=preference if "suites" in checks else {},
        groups=_names(groups13, GROUPS),
        groups_tls12=_names(groups12, GROUPS),
        dh_bits=dh,
        min_kex_bits=min(sizes) if sizes else None,
        forward_secrecy=(
            all(s.forward_secret for s in all_suites)
            if "forward_secrecy" in checks and all_suites
            else None
        ),
        compression=scan.compressed if "compression" in checks else None,
        downgrade=scan.downgrade,
        chain_der=(chain_flight.chain_der or ()) if chain_flight else (),
        certificate_version=chain_flight.hello.version_name if chain_flight else None,
        certificate_request=chain_flight.certificate_request if chain_flight else None,
        alpn=scan.selected_alpn,
        connections=scan.connections,
        anomalies=tuple(scan.anomalies),
        complete=not scan.incomplete,
    )


__all__ = ["MAX_SUITES_PER_HELLO", "TLS_SCAN_CHECKS", "VERSION_NAMES", "TlsScanResult", "scan_tls"]
