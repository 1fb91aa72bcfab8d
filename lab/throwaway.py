"""Throwaway Prosody containers beside the lab: what the accuracy test and `make bench` share.

Both start containers of their own from lab images (the test, one per ``tls_profile``; the
benchmark, copies of the lab's servers for its fleet, and one server of its own for the
wall-time gap), wait until each answers a client stream with STARTTLS on its own loopback
address, and remove them afterwards.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

PROSODY_IMAGE = "xmpp-lab/prosody:bookworm"


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    # Our own docker commands on our own containers: no untrusted input reaches them.
    return subprocess.run(  # noqa: S603
        ["docker", *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def seed(root: Path, domain: str, config: str) -> Path:
    """What the image's lab-init installs on a first start (``/lab-seed``): ``config`` as
    ``prosody.cfg.lua``, a self-signed certificate for ``domain`` (also its only CA, at
    ``ca/self.crt``: lab-init wants one), no users."""
    seed_dir = root / "seed"
    certs = seed_dir / "certs" / domain
    certs.mkdir(parents=True)
    subprocess.run(  # noqa: S603 - our own arguments
        [  # noqa: S607 - openssl from PATH, as the lab's scripts use it
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
            "-subj", f"/CN={domain}", "-addext", f"subjectAltName=DNS:{domain}",
            "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (seed_dir / "ca").mkdir()
    shutil.copy(certs / "fullchain.pem", seed_dir / "ca" / "self.crt")
    (seed_dir / "users").write_text("")
    (seed_dir / "prosody.cfg.lua").write_text(config)
    return seed_dir


def start_seeded(name: str, address: str, seed_dir: Path, ports: Sequence[int]) -> None:
    """Start a Prosody container ``name`` from ``seed_dir``, its ``ports`` on ``address``."""
    published = [arg for p in ports for arg in ("-p", f"{address}:{p}:{p}")]
    docker("create", "--name", name, "--hostname", name, *published, PROSODY_IMAGE)
    docker("cp", str(seed_dir), f"{name}:/lab-seed")
    docker("start", name)


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
