"""Measure a fleet scan of the lab: one domain vs 30 (aliases of the three lab servers).

Not a test: prints wall time, connections and peaks. The lab has three servers, each serving
one domain, so the 30 domains are 10 alias names per lab server, each with its four
endpoints (c2s/s2s, STARTTLS/direct), like a provider hosting many domains on few servers.
The lab's Prosody would answer host-unknown to a name it does not serve, so each alias's
probes carry the server's real domain (stream ``to`` and SNI) while the scan treats it as a
domain of its own: same connections, bounds, sharing and grading as 30 real domains.
Usage: python benchmarks/fleet_scan.py [LAB_JSON]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / ".build" / "collections"))

from dataclasses import replace  # noqa: E402

from ansible_collections.xmpp.encryption.plugins.module_utils._fleet import run as fleet_run  # noqa: E402
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.plan import (  # noqa: E402
    plan_explicit,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.request import (  # noqa: E402
    DomainRequest,
    ScanOptions,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.run import scan_fleet  # noqa: E402

REAL: dict[str, str] = {}  # alias -> the lab domain its probes name


async def _alias_plan(self: fleet_run._Run, request: DomainRequest) -> fleet_run.DomainPlan:
    plan = plan_explicit(REAL.get(request.domain, request.domain), request.endpoints)
    return replace(plan, domain=request.domain)


fleet_run._Run.plan = _alias_plan  # type: ignore[method-assign]

ENDPOINTS = (
    ("c2s", "starttls", 5222),
    ("s2s", "starttls", 5269),
    ("c2s", "direct", 5223),
    ("s2s", "direct", 5270),
)


def requests(lab: dict, per_server: int) -> list[DomainRequest]:
    out = []
    for server in lab["servers"]:
        for i in range(per_server):
            name = server["domain"] if i == 0 else f"alias{i}.{server['domain']}"
            REAL[name] = server["domain"]
            eps = tuple(
                {"host": server["address"], "port": port, "stream": s, "tls_mode": m}
                for s, m, port in ENDPOINTS
            )
            out.append(DomainRequest(name, endpoints=eps))
    return out


async def measure(reqs: list[DomainRequest], options: ScanOptions) -> dict:
    start = time.monotonic()
    result = await scan_fleet(reqs, options)
    wall = time.monotonic() - start
    errors = sum(1 for d in result.domains for e in d.endpoints if e["error"])
    return {
        "domains": len(result.domains),
        "endpoints": sum(len(d.endpoints) for d in result.domains),
        "wall_s": round(wall, 2),
        "connections": result.stats.connections,
        "peak": result.stats.peak_connections,
        "peak_per_server": result.stats.peak_per_server,
        "shared_tls_scans": result.stats.shared_tls_scans,
        "endpoint_errors": errors,
    }


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / ".lab" / "lab.json"
    lab = json.loads(path.read_text())
    base = {"ca_path": lab["trust"]["lab_ca"], "timeout": 60.0}
    one = [r for r in requests(lab, 1) if r.domain == "b.lab.test"]  # the slowest lab server
    rows = {
        "1 domain (b.lab.test)": asyncio.run(measure(one, ScanOptions(**base))),
        "30 domains, shared TLS scan": asyncio.run(measure(requests(lab, 10), ScanOptions(**base))),
        "30 domains, every domain scanned in full": asyncio.run(
            measure(requests(lab, 10), ScanOptions(**base, share_tls_scan=False))
        ),
    }
    for name, row in rows.items():
        print(f"{name}: {json.dumps(row)}")
    ratio = rows["30 domains, shared TLS scan"]["wall_s"] / rows["1 domain (b.lab.test)"]["wall_s"]
    print(f"30 domains / 1 domain wall time: {ratio:.2f}x (goal: under 3x)")


if __name__ == "__main__":
    main()
