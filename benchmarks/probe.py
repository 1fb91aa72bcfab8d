"""Run the prober's core on endpoints given on the command line, all at once; print JSON.

The benchmark runs this as a process of its own, so the prober's time includes Python's
start-up and imports, as sslyze's and testssl.sh's do::

    python benchmarks/probe.py --ca lab-ca.pem 127.0.0.12:5222:b.lab.test:c2s ...

Each endpoint is ``HOST:PORT:DOMAIN:STREAM[:TLS_MODE]``; each gets its own connection bound
(``max_connections``, default 5), as separate servers would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / ".build" / "collections"))

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (  # noqa: E402
    EndpointTarget,
    probe_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import ProbeOptions  # noqa: E402


def parse_target(text: str) -> EndpointTarget:
    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise ValueError(f"endpoint must be HOST:PORT:DOMAIN:STREAM[:TLS_MODE], not {text!r}")
    mode = parts[4] if len(parts) == 5 else "starttls"
    return EndpointTarget(parts[0], int(parts[1]), parts[2], parts[3], mode)


async def probe_all(targets: Sequence[EndpointTarget], options: ProbeOptions) -> list[dict]:
    results = await asyncio.gather(*(probe_endpoint(t, options) for t in targets))
    return [r.as_dict() for r in results]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ca", help="trust anchors (PEM) for the certificate check")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--max-connections", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="print every result in full")
    parser.add_argument("endpoints", nargs="+")
    args = parser.parse_args(argv)
    options = ProbeOptions(
        timeout=args.timeout, ca_path=args.ca, max_connections=args.max_connections
    )
    started = time.monotonic()
    results = asyncio.run(probe_all([parse_target(e) for e in args.endpoints], options))
    summary = [
        {
            "endpoint": r["endpoint"],
            "handshakes": r["handshakes"],
            "elapsed": r["elapsed"],
            "error": r["error"],
            "complete": bool(r["tls"] and r["tls"]["complete"]),
        }
        for r in results
    ]
    out = {"elapsed": time.monotonic() - started, "results": results if args.full else summary}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
