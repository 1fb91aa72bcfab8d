"""One endpoint, probed whole: features before TLS, the TLS scan, the certificate checks.

``probe_endpoint`` runs the features probe and the TLS scan concurrently, under one overall
deadline and a bound on concurrent connections to the server (HOSTILE 17), then checks the
certificate chain the scan brought back. Every failure of the endpoint ends up in the result
(``error`` when it could not be probed at all, ``problems`` for parts that failed): the only
exceptions are for the caller's own mistakes (``ValueError``, ``X509CheckError``).
The TLS scan and certificate modules guard their cryptography imports: a module fails with
``_common.dependencies.require_cryptography()`` before probing when it is missing or too old.

Once this probe has seen the server offer STARTTLS, further scan connections pipeline their
``<starttls/>`` with the stream header (XEP-0305, one round trip less each); the first
refusal turns that off for the rest of the endpoint and the attempt is made again plainly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Channel,
    Deadline,
    ProbeError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import (
    ProbeOptions,
    option,
    options_from,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.plaintext import (
    FeaturesResult,
    probe_features,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.stream import (
    STREAMS,
    TLS_MODES,
    PipelineRefused,
    open_channel,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.tls_scan import (
    TlsScanResult,
    scan_tls,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.domain import (
    domain_to_ascii,
    is_ip_address,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._x509.errors import X509CheckError

if TYPE_CHECKING:
    from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import (
        CertificateReport,
    )

# What each of our checks asks of the TLS scan.
SCAN_CHECKS: Mapping[str, frozenset[str]] = {
    "versions": frozenset({"versions", "compression"}),
    "suites": frozenset({"suites", "forward_secrecy"}),
    "groups": frozenset({"groups"}),
    "certificate": frozenset({"certificate"}),
}
DEFAULT_PORTS: Mapping[tuple[str, str], int] = {
    ("c2s", "starttls"): 5222,
    ("s2s", "starttls"): 5269,
    ("c2s", "direct"): 5223,
    ("s2s", "direct"): 5270,
}
ALPN = {"c2s": "xmpp-client", "s2s": "xmpp-server"}  # XEP-0368
# A refusal right after earlier connections worked looks like a rate limit: back off, retry.
RETRYABLE = frozenset({"connect-refused", "reset", "closed"})
MAX_RETRIES = 2
FIRST_BACKOFF = 0.5
GRACE = 1.0  # the whole probe gets this much past its deadline before it is cut off


@dataclass(frozen=True)
class EndpointTarget:
    host: str = option("str", required=True)
    port: int = option("int")
    domain: str = option("str")
    stream: str = option("str", "c2s", choices=list(STREAMS))
    tls_mode: str = option("str", "starttls", choices=list(TLS_MODES))

    def __post_init__(self) -> None:
        if self.stream not in STREAMS:
            raise ValueError(f"stream must be one of {STREAMS}, not {self.stream!r}")
        if self.tls_mode not in TLS_MODES:
            raise ValueError(f"tls_mode must be one of {TLS_MODES}, not {self.tls_mode!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1-65535, not {self.port}")
        if not self.host or not self.domain:
            raise ValueError("host and domain must not be empty")
        if not is_ip_address(self.domain):  # RFC 7622 allows an IP address as the domain
            domain_to_ascii(self.domain)  # a DomainError (ValueError) before any probing

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "domain": self.domain,
            "stream": self.stream,
            "tls_mode": self.tls_mode,
        }


@dataclass(frozen=True)
class EndpointResult:
    target: EndpointTarget
    features: FeaturesResult | None = None
    starttls_injection: bool | None = None
    tls: TlsScanResult | None = None
    certificate: CertificateReport | None = None
    handshakes: int = 0
    pipelined: int = 0
    retries: int = 0
    elapsed: float = 0.0
    error: ProbeError | None = None
    problems: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """The plain data ``tls_info`` returns (see its RETURN documentation)."""
        feats = self.features
        return {
            "endpoint": self.target.as_dict(),
            "features": _features_dict(feats) if feats else None,
            "plaintext_refused": feats.plaintext_refused if feats else None,
            "plaintext_evidence": feats.plaintext_evidence if feats else None,
            "starttls_injection": self.starttls_injection,
            "tls": _tls_dict(self.tls) if self.tls else None,
            "certificate": self.certificate.as_dict() if self.certificate else None,
            "handshakes": self.handshakes,
            "pipelined": self.pipelined,
            "retries": self.retries,
            "elapsed": round(self.elapsed, 3),
            "error": {"code": self.error.code, "message": self.error.message}
            if self.error
            else None,
            "problems": list(self.problems),
        }


def _features_dict(feats: FeaturesResult) -> dict[str, Any]:
    out = feats.as_dict()
    out.pop("plaintext_refused")
    out.pop("plaintext_evidence")
    return out


def _tls_dict(tls: TlsScanResult) -> dict[str, Any]:
    groups = list(dict.fromkeys(tls.groups + tls.groups_tls12))
    return {
        "versions": dict(tls.versions),
        "cipher_suites": {k: list(v) for k, v in tls.suites.items()},
        "server_preference": dict(tls.server_preference),
        "groups": groups,
        "groups_tls13": list(tls.groups),
        "groups_tls12": list(tls.groups_tls12),
        "min_dh_bits": tls.dh_bits,
        "min_kex_bits": tls.min_kex_bits,
        "forward_secrecy": tls.forward_secrecy,
        "compression": tls.compression,
        "downgrade": tls.downgrade,
        "certificate_version": tls.certificate_version,
        "certificate_request": tls.certificate_request,
        "alpn": tls.alpn,
        "complete": tls.complete,
        "anomalies": list(tls.anomalies),
    }


@dataclass(frozen=True)
class _LimitedChannel(Channel):
    """A channel that gives its connection slot back when it is closed."""

    on_close: Callable[[], None] = lambda: None

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self.on_close()


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    done = False

    def call() -> None:
        nonlocal done
        if not done:
            done = True
            fn()

    return call


class _Connections:
    """The connection factory handed to the TLS scan: bounded, counted, retried politely."""

    def __init__(
        self,
        target: EndpointTarget,
        options: ProbeOptions,
        deadline: Deadline,
        limiter: asyncio.Semaphore,
    ) -> None:
        self.target, self.options, self.deadline, self.limiter = target, options, deadline, limiter
        self.opened = 0
        self.retries = 0
        self.succeeded = 0
        self.injected: list[bytes] = []
        # Pipelining waits until this probe saw STARTTLS offered, and stops at a refusal.
        self.starttls_seen = False
        self.pipelined = 0
        self.pipeline_refused: PipelineRefused | None = None
        self.live: dict[int, _LimitedChannel] = {}

    async def slot(self) -> Callable[[], None]:
        if self.limiter.locked():  # a timer only for a wait that can happen
            await self.deadline.run(self.limiter.acquire(), "waiting for a connection slot")
        else:
            await self.limiter.acquire()
        return _once(self.limiter.release)

    def pipelining(self) -> bool:
        return (
            self.options.pipeline
            and self.target.tls_mode == "starttls"
            and self.starttls_seen
            and self.pipeline_refused is None
        )

    async def __call__(self) -> Channel:
        backoff = FIRST_BACKOFF
        while True:
            release = await self.slot()
            self.opened += 1
            t, o = self.target, self.options
            pipeline = self.pipelining()
            try:
                channel, features = await open_channel(
                    t.host,
                    t.port,
                    t.domain,
                    t.stream,
                    t.tls_mode,
                    deadline=self.deadline,
                    connect_timeout=o.connect_timeout,
                    phase_timeout=o.phase_timeout,
                    byte_cap=o.byte_cap,
                    pipeline=pipeline,
                )
            except PipelineRefused as exc:
                release()
                self.pipeline_refused = self.pipeline_refused or exc
                continue  # the same attempt again, the ordinary way
            except ProbeError as exc:
                release()
                polite = exc.code in RETRYABLE and self.succeeded and self.retries < MAX_RETRIES
                if not polite or self.deadline.remaining() <= backoff:
                    raise
                self.retries += 1
                await asyncio.sleep(backoff)
                backoff *= 2
                continue
            except BaseException:
                release()
                raise
            self.succeeded += 1
            self.pipelined += int(pipeline)
            self.starttls_seen = self.starttls_seen or features is not None
            if channel.injected:
                self.injected.append(channel.injected)
            return self._track(channel, release)

    def _track(self, channel: Channel, release: Callable[[], None]) -> _LimitedChannel:
        key = id(channel)

        def closed() -> None:
            release()
            self.live.pop(key, None)

        limited = _LimitedChannel(channel.reader, channel.writer, channel.injected, closed)
        self.live[key] = limited
        return limited

    async def close_all(self) -> None:
        for channel in list(self.live.values()):
            await channel.close()


async def probe_endpoint(
    target: EndpointTarget,
    options: ProbeOptions,
    *,
    limiter: asyncio.Semaphore | None = None,
) -> EndpointResult:
    """Probe one endpoint. ``limiter`` lets callers share one bound across a server's ports."""
    started = time.monotonic()
    deadline = Deadline.after(options.timeout)
    limiter = limiter or asyncio.Semaphore(options.max_connections)
    conns = _Connections(target, options, deadline, limiter)
    scan_checks = frozenset().union(*(SCAN_CHECKS[c] for c in options.checks if c in SCAN_CHECKS))
    want_features = "features" in options.checks and target.tls_mode == "starttls"
    problems: list[str] = []
    features_calls = 0

    async def features() -> FeaturesResult | ProbeError | None:
        nonlocal features_calls
        if not want_features:
            return None
        try:
            release = await conns.slot()
        except ProbeError as exc:
            return exc
        features_calls += 1
        try:
            result = await probe_features(
                target.host,
                target.port,
                target.domain,
                target.stream,
                deadline=deadline,
                connect_timeout=options.connect_timeout,
                phase_timeout=options.phase_timeout,
                byte_cap=options.byte_cap,
            )
        except ProbeError as exc:
            return exc
        finally:
            release()
        conns.starttls_seen = conns.starttls_seen or result.starttls_offered
        return result

    async def tls() -> TlsScanResult | None:
        if not scan_checks:
            return None
        return await scan_tls(
            conns,
            sni=target.domain,
            checks=scan_checks,
            deadline=deadline,
            alpn=ALPN[target.stream] if target.tls_mode == "direct" else None,
        )

    try:
        # asyncio.timeout, not wait_for: a probe cancelled from outside (a bad ca_path read
        # beside it) then leaves no gather whose cancellation nobody retrieved (3.11 logs it).
        async with asyncio.timeout(deadline.remaining() + GRACE):
            feats, scan = await asyncio.gather(features(), tls())
    except TimeoutError:
        feats, scan = ProbeError("deadline", "the probe did not finish in time"), None
        problems.append("the probe was cut off at its deadline")
    finally:
        await conns.close_all()

    error: ProbeError | None = None
    if isinstance(feats, ProbeError):
        problems.append(f"features: {feats}")
        if scan is None:
            error = feats  # nothing else was probed: the endpoint could not be probed
        feats = None
    if scan is not None:
        problems += [f"tls: {a}" for a in scan.anomalies]
        if scan.error_code:
            error = ProbeError(scan.error_code, scan.error or scan.error_code)
    if conns.pipeline_refused:
        problems.append(
            f"pipelining: {conns.pipeline_refused.message}; the endpoint's other connections"
            " waited for the features"
        )
    certificate = await _certificate(scan, target, options, deadline, problems)
    return EndpointResult(
        target=target,
        features=feats,
        starttls_injection=_injection(target, conns),
        tls=scan,
        certificate=certificate,
        handshakes=conns.opened + features_calls,
        pipelined=conns.pipelined,
        retries=conns.retries,
        elapsed=time.monotonic() - started,
        error=error,
        problems=tuple(problems),
    )


def _injection(target: EndpointTarget, conns: _Connections) -> bool | None:
    if target.tls_mode != "starttls" or not conns.succeeded:
        return None  # nothing was negotiated, so nothing could be injected
    return bool(conns.injected)


async def _certificate(
    scan: TlsScanResult | None,
    target: EndpointTarget,
    options: ProbeOptions,
    deadline: Deadline,
    problems: list[str],
) -> CertificateReport | None:
    if "certificate" not in options.checks or scan is None or not scan.chain_der:
        return None
    # Imported here, not before probing: an endpoint that sent no certificate (unreachable,
    # or a run without this check) never pays for compiling and loading the checks.
    from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import (
        check_certificate,
    )

    # Off the event loop: reading a trust store and verifying signatures is blocking work.
    # The check's cost is bounded by construction (MAX_CHAIN_CERTIFICATES); the wait is bounded
    # by the probe's deadline as well, so that no check holds a fleet scan's other probes.
    check = asyncio.to_thread(
        check_certificate,
        scan.chain_der,
        domain=target.domain,
        stream=target.stream,
        ca_path=options.ca_path,
        tls_mode=target.tls_mode,
    )
    try:
        return await asyncio.wait_for(check, deadline.remaining() + GRACE)
    except TimeoutError:
        problems.append("certificate: the check did not finish by the probe's deadline")
        return None


def default_port(stream: str, tls_mode: str) -> int:
    try:
        return DEFAULT_PORTS[(stream, tls_mode)]
    except KeyError:
        raise ValueError(f"no default port for stream {stream!r} with {tls_mode!r}") from None


def target_from(params: Mapping[str, Any], **given: Any) -> EndpointTarget:
    """An endpoint from module parameters: the port by stream and TLS mode, and the domain
    the host's name, unless given (``given`` overrides ``params``)."""
    params = {**params, **given}
    stream = params.get("stream") or EndpointTarget.stream
    tls_mode = params.get("tls_mode") or EndpointTarget.tls_mode
    host = str(params.get("host") or "")
    port = params.get("port")
    return options_from(
        EndpointTarget,
        {**params, "stream": stream, "tls_mode": tls_mode, "host": host},
        port=default_port(stream, tls_mode) if port is None else int(port),
        domain=params.get("domain") or host,
    )


def run_probe(params: Mapping[str, Any]) -> dict[str, Any]:
    """What ``tls_info`` does with its parameters: one blocking probe.

    Raises ``ValueError`` or ``X509CheckError`` for bad input only.
    """
    target = target_from(params)
    options = options_from(ProbeOptions, params)
    return asyncio.run(_probe_checking_trust(target, options)).as_dict()


async def _probe_checking_trust(target: EndpointTarget, options: ProbeOptions) -> EndpointResult:
    """The probe, with ``ca_path`` read meanwhile, in a thread.

    Reading it imports the certificate checks (some 0.05 s from an AnsiballZ payload, which
    caches no bytecode): before the probe, that was wall time outside its ``elapsed``; now it
    runs while the first connections wait on the network. A bad ``ca_path`` still fails the
    run, its probe cut off within that time, not minutes later.
    """
    probe = asyncio.ensure_future(probe_endpoint(target, options))
    try:
        await asyncio.to_thread(options.check_trust_store)
    except BaseException:
        probe.cancel()
        await asyncio.wait([probe])  # its connections closed; its outcome no longer matters
        raise
    return await probe


__all__ = [
    "DEFAULT_PORTS",
    "EndpointResult",
    "EndpointTarget",
    "X509CheckError",
    "default_port",
    "probe_endpoint",
    "run_probe",
    "target_from",
]
