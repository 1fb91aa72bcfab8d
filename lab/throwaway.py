"""Throwaway Prosody containers beside the lab: what the accuracy test and `make bench` share.

Both start containers of their own from lab images (the test, one per ``tls_profile``; the
benchmark, copies of the lab's servers for its fleet), wait until each answers a client
stream with STARTTLS on its own loopback address, and remove them afterwards.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Sequence


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    # Our own docker commands on our own containers: no untrusted input reaches them.
    return subprocess.run(  # noqa: S603
        ["docker", *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def offers_starttls(address: str, domain: str, port: int = 5222) -> bool:
    """Whether a client stream to ``domain`` on ``address`` is offered STARTTLS now."""
    header = (
        f"<?xml version='1.0'?><stream:stream to='{domain}' xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
    )
    try:
        with socket.create_connection((address, port), timeout=2) as sock:
            sock.settimeout(2)
            sock.sendall(header.encode())
            return b"starttls" in sock.recv(4096)
    except OSError:
        return False


def wait_ready(container: str, address: str, domain: str, timeout: float = 90) -> None:
    """Wait until the container's Prosody offers STARTTLS; fail with its error log if not."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if offers_starttls(address, domain):
            return
        time.sleep(0.5)
    logs = docker("exec", container, "cat", "/var/log/prosody/prosody.err", check=False)
    raise RuntimeError(f"{container} did not answer on 5222: {logs.stdout}{logs.stderr}")


def remove(containers: Sequence[str]) -> None:
    for name in containers:
        docker("rm", "-f", name, check=False)


def remove_named(prefix: str) -> None:
    """Remove what an interrupted earlier run left: every container whose name starts so."""
    names = docker("ps", "-a", "--filter", f"name=^{prefix}", "--format", "{{.Names}}").stdout
    remove(names.split())
