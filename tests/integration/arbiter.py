"""openssl s_client as the arbiter where the prober and sslyze cannot be compared.

sslyze offers only what its bundled OpenSSL builds know. For a suite the prober reports
outside that set, the machine's own OpenSSL decides: one handshake offering that suite
alone, at that version, with the security level lowered so OpenSSL itself does not refuse
to offer it. Suites the local OpenSSL cannot offer either stay unarbitrated, and are
reported as such.
"""

from __future__ import annotations

import subprocess
from functools import cache

VERSION_FLAGS = {
    "SSLv3": "-ssl3",
    "TLSv1.0": "-tls1",
    "TLSv1.1": "-tls1_1",
    "TLSv1.2": "-tls1_2",
    "TLSv1.3": "-tls1_3",
}
STARTTLS = {"c2s": "xmpp", "s2s": "xmpp-server"}


@cache
def openssl_names() -> dict[str, str]:
    """IANA name -> the local OpenSSL's name, for every suite it can offer."""
    out = subprocess.run(
        ["openssl", "ciphers", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == "-":
            names[parts[0]] = parts[2]
    return names


def can_arbitrate(suite: str) -> bool:
    return suite in openssl_names()


def openssl_accepts(
    address: str, port: int, domain: str, stream: str, tls_mode: str, version: str, suite: str
) -> bool:
    """One handshake offering ``suite`` alone at ``version``: did the server take it?"""
    name = openssl_names()[suite]
    argv = ["openssl", "s_client", "-connect", f"{address}:{port}", "-servername", domain]
    argv.append(VERSION_FLAGS[version])
    if tls_mode == "starttls":
        argv += ["-starttls", STARTTLS[stream], "-xmpphost", domain]
    if version == "TLSv1.3":
        argv += ["-ciphersuites", name]
    else:
        argv += ["-cipher", f"{name}:@SECLEVEL=0"]
    proc = subprocess.run(argv, input="", capture_output=True, text=True, timeout=30, check=False)
    for line in proc.stdout.splitlines():
        if "Cipher is" in line:
            return not line.rstrip().endswith("(NONE)")
    return False
