"""The peers this prober is measured against: sslyze and testssl.sh, run as subprocesses.

sslyze lives in a venv of its own (``.venv-sslyze``: it pins its own cryptography and nassl).
Its JSON is read into a ``SslyzeScan``: per TLS version the suites it *accepted* and the
suites it *tried*, by IANA name, and the same for elliptic curves. Keeping what it tried
matters for an honest comparison: sslyze can only offer what its bundled OpenSSL builds
know, so a suite outside that set is something sslyze cannot have an opinion on, not a
disagreement.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SSLYZE = Path(os.environ.get("XMPP_SSLYZE", REPO / ".venv-sslyze" / "bin" / "sslyze"))
TESTSSL_NAMES = ("testssl", "testssl.sh")

# sslyze's JSON keys, by the version names the prober uses.
SSLYZE_VERSIONS: Mapping[str, str] = {
    "SSLv3": "ssl_3_0_cipher_suites",
    "TLSv1.0": "tls_1_0_cipher_suites",
    "TLSv1.1": "tls_1_1_cipher_suites",
    "TLSv1.2": "tls_1_2_cipher_suites",
    "TLSv1.3": "tls_1_3_cipher_suites",
}
# Only what the accuracy comparison needs (the full scan is sslyze's default set).
SSLYZE_COMPARABLE = (
    "--sslv3",
    "--tlsv1",
    "--tlsv1_1",
    "--tlsv1_2",
    "--tlsv1_3",
    "--elliptic_curves",
)
STARTTLS = {"c2s": ("xmpp", "xmpp"), "s2s": ("xmpp_server", "xmpp-server")}  # sslyze, testssl


class PeerError(RuntimeError):
    """A peer tool could not scan (its own error text is in the message)."""


@dataclass(frozen=True)
class SslyzeScan:
    accepted: Mapping[str, frozenset[str]]  # version -> IANA names
    tried: Mapping[str, frozenset[str]]
    unnamed: frozenset[str]  # sslyze names that map to no IANA code point we know
    curves_accepted: frozenset[str]  # lower-case, as the prober names groups
    curves_tried: frozenset[str]
    elapsed: float

    @property
    def versions(self) -> dict[str, bool]:
        return {v: bool(s) for v, s in self.accepted.items()}


@dataclass(frozen=True)
class ToolRun:
    elapsed: float
    returncode: int
    output: str


@cache
def openssl_codes() -> dict[str, int]:
    """The local OpenSSL's suite names (OpenSSL style) to their code points."""
    out = subprocess.run(
        ["openssl", "ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    codes: dict[str, int] = {}
    for line in out.splitlines():
        # "0xC0,0x30 - ECDHE-RSA-AES256-GCM-SHA384 TLSv1.2 Kx=ECDH ..."
        parts = line.split()
        if len(parts) > 2 and parts[1] == "-":
            hi, lo = (int(b, 16) for b in parts[0].split(","))
            codes[parts[2]] = hi << 8 | lo
    return codes


def iana_name(name: str, openssl_name: str | None) -> str | None:
    """sslyze's suite to the registry's IANA name: by name first, then by code point."""
    from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import (
        SUITES,
        SUITES_BY_NAME,
    )

    if name in SUITES_BY_NAME:
        return name
    code = openssl_codes().get(openssl_name or "")
    if code is not None and code in SUITES:
        return SUITES[code].name
    return None


def parse_sslyze(doc: Mapping[str, object], elapsed: float = 0.0) -> SslyzeScan:
    results = doc["server_scan_results"]
    if not isinstance(results, list) or len(results) != 1:
        raise PeerError(f"sslyze scanned {results!r}, expected one server")
    server = results[0]
    if server.get("scan_status") != "COMPLETED":
        raise PeerError(f"sslyze: {server.get('connectivity_error_trace') or server}")
    scan = server["scan_result"]
    accepted: dict[str, frozenset[str]] = {}
    tried: dict[str, frozenset[str]] = {}
    unnamed: set[str] = set()
    for version, key in SSLYZE_VERSIONS.items():
        attempt = scan.get(key)
        if not attempt or attempt.get("status") != "COMPLETED":
            raise PeerError(
                f"sslyze did not complete {key}: {attempt and attempt.get('error_trace')}"
            )
        res = attempt["result"]

        def names(rows: Sequence[Mapping[str, Mapping[str, str]]]) -> frozenset[str]:
            out = set()
            for row in rows:
                suite = row["cipher_suite"]
                iana = iana_name(suite["name"], suite.get("openssl_name"))
                if iana is None:
                    unnamed.add(suite["name"])
                else:
                    out.add(iana)
            return frozenset(out)

        accepted[version] = names(res["accepted_cipher_suites"])
        tried[version] = accepted[version] | names(res["rejected_cipher_suites"])
    curves = scan.get("elliptic_curves") or {}
    if curves.get("status") != "COMPLETED":
        raise PeerError(f"sslyze did not complete elliptic_curves: {curves.get('error_trace')}")
    cres = curves["result"]
    ok = frozenset(c["name"].lower() for c in cres["supported_curves"] or ())
    no = frozenset(c["name"].lower() for c in cres["rejected_curves"] or ())
    return SslyzeScan(accepted, tried, frozenset(unnamed), ok, ok | no, elapsed)


def sslyze_target(address: str, port: int, domain: str) -> str:
    # name{ip}: connect to the address, send the domain as SNI (as the prober does).
    return f"{domain}:{port}{{{address}}}"


def run_sslyze(
    address: str,
    port: int,
    domain: str,
    stream: str,
    tls_mode: str = "starttls",
    *,
    commands: Sequence[str] = (),
    timeout: float = 600,
) -> tuple[ToolRun, dict[str, object]]:
    """One sslyze scan; ``commands`` empty means sslyze's default (full) scan."""
    starttls = ["--starttls", STARTTLS[stream][0], "--xmpp_to", domain]
    if not SSLYZE.exists():
        raise PeerError(f"{SSLYZE} is missing: make the venv with scripts/venv.sh")
    with tempfile.TemporaryDirectory(prefix="bench-sslyze-") as tmp:
        out = Path(tmp) / "scan.json"
        argv = [
            str(SSLYZE),
            "--quiet",
            *(starttls if tls_mode == "starttls" else []),
            "--json_out",
            str(out),
            *commands,
            sslyze_target(address, port, domain),
        ]
        started = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        elapsed = time.monotonic() - started
        if not out.exists():
            raise PeerError(f"sslyze wrote no JSON: {proc.stderr[-2000:]}")
        doc = json.loads(out.read_text())
    return ToolRun(elapsed, proc.returncode, proc.stdout + proc.stderr), doc


def testssl_binary() -> str:
    for name in TESTSSL_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PeerError("testssl.sh is not installed (Debian package testssl.sh)")


def run_testssl(
    address: str,
    port: int,
    domain: str,
    stream: str,
    tls_mode: str = "starttls",
    *,
    checks: Sequence[str] = ("--protocols", "--cipher-per-proto", "--server-defaults", "--fs"),
    timeout: float = 1200,
) -> ToolRun:
    """testssl.sh on one endpoint: protocols, every suite per protocol, certificate, FS."""
    starttls = ["--starttls", STARTTLS[stream][1], "--xmpphost", domain]
    with tempfile.TemporaryDirectory(prefix="bench-testssl-") as tmp:
        argv = [
            testssl_binary(),
            "--quiet",
            "--warnings",
            "off",
            "--color",
            "0",
            "--ip",
            address,
            *(starttls if tls_mode == "starttls" else []),
            "--jsonfile",
            str(Path(tmp) / "scan.json"),
            *checks,
            f"{domain}:{port}",
        ]
        started = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        return ToolRun(time.monotonic() - started, proc.returncode, proc.stdout + proc.stderr)
