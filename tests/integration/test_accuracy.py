"""Accuracy: the prober's versions, suites and groups equal sslyze's on the same endpoint.

Every lab server (each published port) and a throwaway Prosody per ``tls_profile`` are
scanned by the prober and by sslyze 6.3 (in ``.venv-sslyze``). The comparison is exact on
everything sslyze tried: per version, the suites the prober accepts among those sslyze
offered must equal the suites sslyze saw accepted; the same for elliptic curves. Suites the
prober finds that sslyze cannot offer are handed to ``openssl s_client``, which must
confirm each one. The comparison of each endpoint is written to ``.build/accuracy/``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from arbiter import can_arbitrate, openssl_accepts
from endpoints import REPO, Endpoint, lab_endpoints
from profiles import FIRST_ADDRESS, PROFILES, ProfileServer, profile_servers

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    EndpointTarget,
    probe_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import ProbeOptions
from benchmarks.peers import (
    SSLYZE_COMPARABLE,
    PeerError,
    SslyzeScan,
    parse_sslyze,
    run_sslyze,
)

OUT = REPO / ".build" / "accuracy"
VERSIONS = ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")

PROFILE_ENDPOINTS = [
    Endpoint(
        f"profile-{profile}-{stream}",
        f"127.0.0.{FIRST_ADDRESS + i}",
        5222 if stream == "c2s" else 5269,
        f"{profile}.profile.test",
        stream,
        "starttls",
    )
    for i, profile in enumerate(PROFILES)
    for stream in ("c2s", "s2s")
]


@pytest.fixture(scope="session")
def profiles() -> Iterator[dict[str, ProfileServer]]:
    with profile_servers() as servers:
        yield servers


def ours(ep: Endpoint) -> dict:
    target = EndpointTarget(ep.address, ep.port, ep.domain, ep.stream, ep.tls_mode)
    options = ProbeOptions(checks=frozenset({"versions", "suites", "groups"}), timeout=120)
    result = asyncio.run(probe_endpoint(target, options)).as_dict()
    assert result["error"] is None, f"the prober could not probe {ep}: {result['error']}"
    assert result["tls"]["complete"], f"the prober's scan of {ep} is incomplete: {result}"
    return result["tls"]


def sslyze(ep: Endpoint) -> SslyzeScan:
    last: Exception | None = None
    for _attempt in range(2):  # one retry: a peer's transient refusal is not our disagreement
        try:
            _run, doc = run_sslyze(
                ep.address, ep.port, ep.domain, ep.stream, ep.tls_mode, commands=SSLYZE_COMPARABLE
            )
            return parse_sslyze(doc)
        except PeerError as exc:
            last = exc
    raise AssertionError(f"sslyze could not scan {ep}: {last}")


def compare(ep: Endpoint) -> dict:
    tls = ours(ep)
    peer = sslyze(ep)
    record: dict = {"endpoint": ep.name, "versions": {}, "suites": {}, "groups": {}}
    problems: list[str] = []

    for v in VERSIONS:
        mine, theirs = tls["versions"][v], peer.versions[v]
        record["versions"][v] = {"prober": mine, "sslyze": theirs}
        if mine != theirs:
            problems.append(f"{v}: prober says {mine}, sslyze says {theirs}")

    for v in VERSIONS:
        mine = set(tls["cipher_suites"].get(v, ()))
        tried = peer.tried[v]
        only_mine = sorted((mine & tried) - peer.accepted[v])
        only_theirs = sorted(peer.accepted[v] - mine)
        beyond = sorted(mine - tried)  # sslyze could not have offered these
        confirmed, refuted, unarbitrated = [], [], []
        for suite in beyond:
            if not can_arbitrate(suite):
                unarbitrated.append(suite)
            elif openssl_accepts(ep.address, ep.port, ep.domain, ep.stream, ep.tls_mode, v, suite):
                confirmed.append(suite)
            else:
                refuted.append(suite)
        record["suites"][v] = {
            "prober": sorted(mine),
            "sslyze": sorted(peer.accepted[v]),
            "sslyze_tried": len(tried),
            "beyond_sslyze_confirmed_by_openssl": confirmed,
            "beyond_sslyze_unarbitrated": unarbitrated,
        }
        if only_mine:
            problems.append(f"{v}: only the prober accepts {only_mine}")
        if only_theirs:
            problems.append(f"{v}: only sslyze accepts {only_theirs}")
        if refuted:
            problems.append(f"{v}: the prober reports {refuted}, openssl s_client is refused")

    groups = set(tls["groups"])
    in_scope = groups & peer.curves_tried
    record["groups"] = {
        "prober": sorted(groups),
        "sslyze": sorted(peer.curves_accepted),
        "beyond_sslyze": sorted(groups - peer.curves_tried),
    }
    if in_scope != peer.curves_accepted:
        problems.append(
            f"groups: only the prober {sorted(in_scope - peer.curves_accepted)}, "
            f"only sslyze {sorted(peer.curves_accepted - in_scope)}"
        )
    if peer.unnamed & set().union(*peer.accepted.values()):
        problems.append(f"sslyze accepted suites with no IANA code point: {sorted(peer.unnamed)}")
    record["problems"] = problems
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{ep.name}.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def check(record: dict) -> None:
    assert not record["problems"], "\n".join([record["endpoint"], *record["problems"]])


@pytest.mark.parametrize("ep", lab_endpoints(), ids=str)
def test_lab_server_matches_sslyze(ep: Endpoint) -> None:
    record = compare(ep)
    check(record)
    assert any(record["versions"][v]["prober"] for v in VERSIONS)  # something was compared


@pytest.mark.parametrize("ep", PROFILE_ENDPOINTS, ids=str)
def test_tls_profile_matches_sslyze(ep: Endpoint, profiles: dict[str, ProfileServer]) -> None:
    assert ep.address in {s.address for s in profiles.values()}
    record = compare(ep)
    check(record)
    assert any(record["versions"][v]["prober"] for v in VERSIONS)


def test_outputs_are_where_the_report_reads_them() -> None:
    assert Path(OUT).parent == REPO / ".build"
