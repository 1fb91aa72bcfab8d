"""Throwaway Prosody containers, one per ``tls_profile``, for the accuracy test.

Each runs the lab's Prosody image (``xmpp-lab/prosody:bookworm``) under its own name
(``xmpp-lab-profile-<profile>``) on its own loopback address, with a self-signed certificate
for its own domain, and is removed afterwards. The lab's three servers are not touched:
these containers are not on the lab network and carry no ``xmpp-lab.role`` label, so
``lab/lab.sh down`` neither needs nor removes them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lab.throwaway import remove, remove_named, seed, start_seeded, wait_ready

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


def start(profile: str, address: str, workdir: Path) -> ProfileServer:
    domain = f"{profile}.profile.test"
    name = PREFIX + profile
    config = CONFIG.format(profile=profile, domain=domain)
    start_seeded(name, address, seed(workdir / profile, domain, config), PORTS)
    return ProfileServer(profile, name, address, domain)


@contextmanager
def profile_servers() -> Iterator[dict[str, ProfileServer]]:
    """All four profiles up at once (started together, so they boot in parallel)."""
    remove_named(PREFIX)
    with tempfile.TemporaryDirectory(prefix="xmpp-profiles-") as tmp:
        servers: dict[str, ProfileServer] = {}
        try:
            for i, profile in enumerate(PROFILES):
                address = f"127.0.0.{FIRST_ADDRESS + i}"
                servers[profile] = start(profile, address, Path(tmp))
            for server in servers.values():
                wait_ready(server.container, server.address, server.domain)
            yield servers
        finally:
            remove([server.container for server in servers.values()])
