"""Throwaway Prosody containers, one per ``tls_profile``, for the accuracy test.

Each runs the lab's Prosody image (``xmpp-lab/prosody:bookworm``) under its own name
(``xmpp-lab-profile-<profile>``) on its own loopback address, with a self-signed certificate
for its own domain, and is removed afterwards. The lab's three servers are not touched:
these containers are not on the lab network and carry no ``xmpp-lab.role`` label, so
``lab/lab.sh down`` neither needs nor removes them.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

IMAGE = "xmpp-lab/prosody:bookworm"
PROFILES = ("modern", "intermediate", "old", "legacy")
FIRST_ADDRESS = 31  # 127.0.0.31 ...
PORTS = (5222, 5269)
PREFIX = "xmpp-lab-profile-"

CONFIG = """\
-- Throwaway server for the accuracy test: Prosody's tls_profile = "{profile}", nothing else.
pidfile = "/run/prosody/prosody.pid"
data_path = "/var/lib/prosody"
log = {{ info = "/var/log/prosody/prosody.log"; error = "/var/log/prosody/prosody.err" }}
modules_enabled = {{ "saslauth"; "tls"; "dialback"; "disco"; "admin_shell"; "posix" }}
interfaces = {{ "*" }}
c2s_ports = {{ 5222 }}
s2s_ports = {{ 5269 }}
authentication = "internal_hashed"
storage = "internal"
certificates = "certs"
tls_profile = "{profile}"
VirtualHost "{domain}"
"""


@dataclass(frozen=True)
class ProfileServer:
    profile: str
    container: str
    address: str
    domain: str


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def _seed(root: Path, profile: str, domain: str) -> Path:
    seed = root / "seed"
    certs = seed / "certs" / domain
    certs.mkdir(parents=True)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
            "-subj", f"/CN={domain}", "-addext", f"subjectAltName=DNS:{domain}",
            "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (seed / "ca").mkdir()
    shutil.copy(certs / "fullchain.pem", seed / "ca" / "profile.crt")  # lab-init wants one
    (seed / "users").write_text("")
    (seed / "prosody.cfg.lua").write_text(CONFIG.format(profile=profile, domain=domain))
    return seed


def _stream_answers(address: str, domain: str) -> bool:
    header = (
        f"<?xml version='1.0'?><stream:stream to='{domain}' xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
    )
    try:
        with socket.create_connection((address, 5222), timeout=2) as sock:
            sock.settimeout(2)
            sock.sendall(header.encode())
            return b"starttls" in sock.recv(4096)
    except OSError:
        return False


def remove_stale() -> None:
    names = docker("ps", "-a", "--filter", f"name=^{PREFIX}", "--format", "{{.Names}}").stdout
    for name in names.split():
        docker("rm", "-f", name, check=False)


def start(profile: str, address: str, workdir: Path) -> ProfileServer:
    domain = f"{profile}.profile.test"
    name = PREFIX + profile
    seed = _seed(workdir / profile, profile, domain)
    published = [arg for p in PORTS for arg in ("-p", f"{address}:{p}:{p}")]
    docker("create", "--name", name, "--hostname", name, *published, IMAGE)
    docker("cp", str(seed), f"{name}:/lab-seed")
    docker("start", name)
    return ProfileServer(profile, name, address, domain)


def wait_ready(server: ProfileServer, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if _stream_answers(server.address, server.domain):
            return
        time.sleep(0.5)
    logs = docker("exec", server.container, "cat", "/var/log/prosody/prosody.err", check=False)
    raise RuntimeError(f"{server.container} did not answer on 5222: {logs.stdout}{logs.stderr}")


@contextmanager
def profile_servers() -> Iterator[dict[str, ProfileServer]]:
    """All four profiles up at once (started together, so they boot in parallel)."""
    remove_stale()
    with tempfile.TemporaryDirectory(prefix="xmpp-profiles-") as tmp:
        servers: dict[str, ProfileServer] = {}
        try:
            for i, profile in enumerate(PROFILES):
                address = f"127.0.0.{FIRST_ADDRESS + i}"
                servers[profile] = start(profile, address, Path(tmp))
            for server in servers.values():
                wait_ready(server)
            yield servers
        finally:
            for server in servers.values():
                docker("rm", "-f", server.container, check=False)
