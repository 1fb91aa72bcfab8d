"""The endpoints the accuracy test compares on: every lab server's ports, from lab.json."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_DIR = Path(os.environ.get("XMPP_LAB_DIR", REPO / ".lab"))
# port key in lab.json -> (stream, tls_mode)
PORT_KINDS = {
    "c2s": ("c2s", "starttls"),
    "s2s": ("s2s", "starttls"),
    "c2s_direct_tls": ("c2s", "direct"),
    "s2s_direct_tls": ("s2s", "direct"),
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    address: str
    port: int
    domain: str
    stream: str
    tls_mode: str

    def __str__(self) -> str:
        return self.name


def load_lab() -> dict:
    lab_json = LAB_DIR / "lab.json"
    if not lab_json.exists():
        raise RuntimeError(f"{lab_json} is missing: bring the lab up first (lab/lab.sh up)")
    return json.loads(lab_json.read_text())


def lab_endpoints() -> list[Endpoint]:
    out = []
    for server in load_lab()["servers"]:
        for key, (stream, mode) in PORT_KINDS.items():
            port = server["ports"].get(key)
            if port:
                out.append(
                    Endpoint(
                        f"{server['name']}-{key}",
                        server["address"],
                        port,
                        server["domain"],
                        stream,
                        mode,
                    )
                )
    return out
