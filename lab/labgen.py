"""Render the lab's configuration files and its description (lab.json).

Called by lab.sh; standard library only, so it runs before any venv exists.
  python3 labgen.py render LAB_DIR  configuration for BIND, Prosody and Pebble, secrets, tsig.key
  python3 labgen.py roots LAB_DIR   fetch Pebble's current root (it changes on every start)
  python3 labgen.py json LAB_DIR    write lab.json once the trust files exist
The lab's topology lives here and nowhere else in Python; lab.sh keeps the same addresses.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ZONE = "lab.test"
PREFIX = os.environ.get("XMPP_LAB_SUBNET_PREFIX", "172.29.53")
NETWORK = "xmpp-lab"
TSIG_NAME = "xmpp-lab-update."
TSIG_ALGORITHM = "hmac-sha256"
BOGUS = f"bogus.{ZONE}"
PORTS = {"c2s": 5222, "c2s_direct_tls": 5223, "s2s": 5269, "s2s_direct_tls": 5270}
WEBROOT = "/var/www/acme"


@dataclass(frozen=True)
class Server:
    name: str
    user: str
    octet: int
    issuer: str  # "lab-ca" or "self-signed"
    summary: str
    settings: dict[str, bool]
    ssl: str  # extra Lua for the global ssl table ("" for Prosody's defaults)

    @property
    def domain(self) -> str:
        return f"{self.name}.{ZONE}"

    @property
    def muc(self) -> str:
        return f"conference.{self.domain}"

    @property
    def container(self) -> str:
        return f"xmpp-lab-{self.name}"

    @property
    def loopback(self) -> str:
        return f"127.0.0.{self.octet}"

    @property
    def lab_ip(self) -> str:
        return f"{PREFIX}.{self.octet}"


SERVERS = (
    Server(
        "a",
        "alice",
        11,
        "lab-ca",
        "plaintext c2s and s2s allowed, PLAIN authentication without TLS allowed, "
        "STARTTLS optional",
        {
            "c2s_require_encryption": False,
            "s2s_require_encryption": False,
            "s2s_secure_auth": False,
            "allow_unencrypted_plain_auth": True,
        },
        "",
    ),
    Server(
        "b",
        "bob",
        12,
        "lab-ca",
        "STARTTLS offered but not required, TLS 1.0 and every cipher suite accepted (SECLEVEL=0)",
        {
            "c2s_require_encryption": False,
            "s2s_require_encryption": False,
            "s2s_secure_auth": False,
            "allow_unencrypted_plain_auth": False,
        },
        'protocol = "tlsv1+"; ciphers = "ALL:@SECLEVEL=0";',
    ),
    Server(
        "c",
        "carol",
        13,
        "self-signed",
        "TLS required on c2s and s2s, but only a self-signed certificate",
        {
            "c2s_require_encryption": True,
            "s2s_require_encryption": True,
            "s2s_secure_auth": False,
            "allow_unencrypted_plain_auth": False,
        },
        "",
    ),
)
DNS_OCTET = 14
ACME_OCTET = 15
BOGUS_ADDRESS = "127.0.0.16"  # nothing listens there; the name only has to fail DNSSEC


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def load_secrets(lab: Path) -> dict[str, str]:
    """Passwords and the TSIG secret, made once per lab folder so they stay stable."""
    path = lab / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    import base64

    data = {s.name: secrets.token_urlsafe(12) for s in SERVERS}
    data["tsig"] = base64.b64encode(secrets.token_bytes(32)).decode()
    write(path, json.dumps(data, indent=2) + "\n", 0o600)
    return data


def zone_file() -> str:
    lines = [
        "$TTL 300",
        f"$ORIGIN {ZONE}.",
        f"@ SOA ns.{ZONE}. hostmaster.{ZONE}. {int(time.time())} 3600 600 86400 300",
        f"@ NS ns.{ZONE}.",
        f"ns A 127.0.0.{DNS_OCTET}",
        f"acme A 127.0.0.{ACME_OCTET}",
    ]
    for s in SERVERS:
        target = f"{s.domain}."
        lines += [
            f"{s.name} A {s.loopback}",
            f"conference.{s.name} A {s.loopback}",
            f"_xmpp-client._tcp.{s.name} SRV 0 5 {PORTS['c2s']} {target}",
            f"_xmpps-client._tcp.{s.name} SRV 0 5 {PORTS['c2s_direct_tls']} {target}",
            f"_xmpp-server._tcp.{s.name} SRV 0 5 {PORTS['s2s']} {target}",
            f"_xmpps-server._tcp.{s.name} SRV 0 5 {PORTS['s2s_direct_tls']} {target}",
            f"_xmpp-server._tcp.conference.{s.name} SRV 0 5 {PORTS['s2s']} {target}",
        ]
    lines.append(f"bogus NS ns.{ZONE}.")
    lines.append("; the DS of bogus.lab.test is appended by dns-init in the container")
    return "\n".join(lines) + "\n"


def bogus_zone() -> str:
    return (
        "$TTL 300\n"
        f"$ORIGIN {BOGUS}.\n"
        f"@ SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 300\n"
        f"@ NS ns.{ZONE}.\n"
        f"@ A {BOGUS_ADDRESS}\n"
        '@ TXT "this name carries a deliberately corrupted RRSIG"\n'
    )


def rpz_zone() -> str:
    """Inside the lab network the same names point at the containers' own addresses."""
    lines = ["$TTL 30", "@ SOA localhost. root.localhost. 1 3600 600 86400 30", "@ NS localhost."]
    lines.append(f"ns.{ZONE} A {PREFIX}.{DNS_OCTET}")
    lines.append(f"acme.{ZONE} A {PREFIX}.{ACME_OCTET}")
    for s in SERVERS:
        lines.append(f"{s.domain} A {s.lab_ip}")
        lines.append(f"{s.muc} A {s.lab_ip}")
    return "\n".join(lines) + "\n"


def named_conf(tsig_secret: str) -> str:
    gateway = f"{PREFIX}.1"
    subnet = f"{PREFIX}.0/24"
    return f"""// Rendered by lab/labgen.py. Two views of one signed zone:
// "outside" answers the host (its queries reach BIND from the network's gateway through the
// published port) with loopback addresses and takes TSIG-signed updates; "inside" answers the
// lab containers and shares the very same zones (in-view), rewriting only the A records of
// the lab hosts to their lab-network addresses with a response-policy zone.
options {{
  directory "/var/cache/bind";
  listen-on {{ any; }};
  listen-on-v6 {{ none; }};
  recursion no;
  dnssec-validation no;
  allow-transfer {{ none; }};
  notify no;
}};

key "{TSIG_NAME.rstrip(".")}" {{
  algorithm {TSIG_ALGORITHM};
  secret "{tsig_secret}";
}};

// One combined signing key (CSK): the trust anchor's key signs every record set.
dnssec-policy "xmpp-lab" {{
  keys {{ csk key-directory lifetime unlimited algorithm ecdsap256sha256; }};
}};

view "outside" {{
  match-clients {{ {gateway}; !{subnet}; any; }};
  zone "{ZONE}" {{
    type primary;
    file "/var/lib/bind/db.{ZONE}";
    key-directory "/var/lib/bind/keys";
    dnssec-policy "xmpp-lab";
    inline-signing yes;
    update-policy {{ grant {TSIG_NAME.rstrip(".")} zonesub ANY; }};
  }};
  zone "{BOGUS}" {{
    type primary;
    file "/var/lib/bind/db.{BOGUS}.bad";
  }};
}};

view "inside" {{
  match-clients {{ {subnet}; }};
  recursion yes;
  allow-recursion {{ {subnet}; }};
  allow-query-cache {{ {subnet}; }};
  response-policy {{ zone "rpz.xmpp-lab" policy given; }} break-dnssec yes qname-wait-recurse no;
  // An empty root of its own: recursion never leaves the lab.
  zone "." {{ type primary; file "/lab/db.root"; }};
  zone "rpz.xmpp-lab" {{ type primary; file "/lab/db.rpz"; }};
  zone "{ZONE}" {{ in-view "outside"; }};
  zone "{BOGUS}" {{ in-view "outside"; }};
}};
"""


ROOT_ZONE = (
    "$TTL 300\n@ SOA localhost. root.localhost. 1 3600 600 86400 300\n"
    "@ NS localhost.\nlocalhost A 127.0.0.1\n"
)


def prosody_cfg(s: Server) -> str:
    settings = "\n".join(f"{k} = {'true' if v else 'false'}" for k, v in s.settings.items())
    ssl_line = f"ssl = {{ {s.ssl} }}\n" if s.ssl else ""
    return f"""-- Lab server {s.name}: {s.summary}.
-- Rendered by lab/labgen.py; a deliberately legacy starting point, not an example to follow.
admins = {{ }}
pidfile = "/run/prosody/prosody.pid"
data_path = "/var/lib/prosody"
log = {{ info = "/var/log/prosody/prosody.log"; error = "/var/log/prosody/prosody.err" }}
plugin_paths = {{ "/usr/local/lib/prosody/modules" }}

modules_enabled = {{
  "roster"; "saslauth"; "tls"; "dialback"; "disco"; "carbons"; "pep"; "private";
  "blocklist"; "vcard4"; "vcard_legacy"; "version"; "uptime"; "time"; "ping";
  "admin_shell"; "posix";
}}

interfaces = {{ "*" }}
c2s_ports = {{ {PORTS["c2s"]} }}
c2s_direct_tls_ports = {{ {PORTS["c2s_direct_tls"]} }}
s2s_ports = {{ {PORTS["s2s"]} }}
s2s_direct_tls_ports = {{ {PORTS["s2s_direct_tls"]} }}

authentication = "internal_hashed"
storage = "internal"
certificates = "certs"

{settings}
{ssl_line}
VirtualHost "{s.domain}"

Component "{s.muc}" "muc"
"""


def pebble_config() -> str:
    return json.dumps(
        {
            "pebble": {
                "listenAddress": "0.0.0.0:14000",
                "managementListenAddress": "0.0.0.0:15000",
                "certificate": "/lab/listener.pem",
                "privateKey": "/lab/listener.key",
                "httpPort": 80,
                "tlsPort": 443,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": False,
            }
        },
        indent=2,
    )


def render(lab: Path) -> None:
    sec = load_secrets(lab)
    write(
        lab / "tsig.key",
        f'key "{TSIG_NAME.rstrip(".")}" {{\n'
        f"  algorithm {TSIG_ALGORITHM};\n"
        f'  secret "{sec["tsig"]}";\n}};\n',
        0o600,
    )
    dns = lab / "dns"
    write(dns / "named.conf", named_conf(sec["tsig"]))
    write(dns / f"db.{ZONE}", zone_file())
    write(dns / f"db.{BOGUS}", bogus_zone())
    write(dns / "db.rpz", rpz_zone())
    write(dns / "db.root", ROOT_ZONE)
    for s in SERVERS:
        seed = lab / "prosody" / s.name / "seed"
        write(seed / "prosody.cfg.lua", prosody_cfg(s))
        write(seed / "users", f"{s.user} {s.domain} {sec[s.name]}\n", 0o600)
    write(lab / "acme" / "pebble-config.json", pebble_config() + "\n")


def fetch(url: str, cafile: Path) -> str:
    ctx = ssl.create_default_context(cafile=str(cafile))
    with urllib.request.urlopen(url, context=ctx, timeout=5) as resp:  # noqa: S310 (lab URL)
        return resp.read().decode()


def roots(lab: Path) -> None:
    """Pebble makes new roots on every start: keep the current one (and its intermediate)."""
    base = "https://127.0.0.15:15000"
    last: Exception | None = None
    for _attempt in range(60):
        try:
            write(lab / "pebble-root.pem", fetch(f"{base}/roots/0", lab / "pebble-minica.pem"))
            write(
                lab / "pebble-intermediate.pem",
                fetch(f"{base}/intermediates/0", lab / "pebble-minica.pem"),
            )
            return
        except OSError as exc:
            last = exc
            time.sleep(0.5)
    raise SystemExit(f"lab: Pebble's management port did not answer: {last}")


def description(lab: Path) -> dict[str, object]:
    sec = load_secrets(lab)
    trust = {
        "lab_ca": str(lab / "lab-ca.pem"),
        "lab_ca_key": str(lab / "lab-ca.key"),
        "pebble_root": str(lab / "pebble-root.pem"),
        "pebble_intermediate": str(lab / "pebble-intermediate.pem"),
        "pebble_minica": str(lab / "pebble-minica.pem"),
        "dnssec_trust_anchor": str(lab / "dnssec-trust-anchor"),
        "tsig_key": str(lab / "tsig.key"),
    }
    servers = []
    for s in SERVERS:
        servers.append(
            {
                "name": s.name,
                "software": "prosody",
                "container": s.container,
                "domain": s.domain,
                "components": [{"domain": s.muc, "type": "muc"}],
                "address": s.loopback,
                "lab_address": s.lab_ip,
                "ports": PORTS,
                "certificate": {
                    "issuer": s.issuer,
                    "fullchain": f"/etc/prosody/certs/{s.domain}/fullchain.pem",
                    "privkey": f"/etc/prosody/certs/{s.domain}/privkey.pem",
                },
                "legacy_state": {"summary": s.summary, **s.settings, "tls_1_0": bool(s.ssl)},
                "user": {"jid": f"{s.user}@{s.domain}", "password": sec[s.name]},
                "http01_webroot": WEBROOT,
            }
        )
    ds = (
        (lab / "dnssec-trust-anchor.ds").read_text().split("\n")
        if (lab / "dnssec-trust-anchor.ds").exists()
        else []
    )
    return {
        "version": 1,
        "lab_dir": str(lab),
        "network": {"name": NETWORK, "subnet": f"{PREFIX}.0/24", "gateway": f"{PREFIX}.1"},
        "inventory": str(Path(__file__).resolve().parent / "inventory.yml"),
        "servers": servers,
        "dns": {
            "container": "xmpp-lab-dns",
            "address": f"127.0.0.{DNS_OCTET}",
            "port": 53,
            "lab_address": f"{PREFIX}.{DNS_OCTET}",
            "zone": ZONE,
            "bogus_name": BOGUS,
            "trust_anchor": trust["dnssec_trust_anchor"],
            "ds": [line for line in ds if line.strip()],
        },
        "tsig": {
            "name": TSIG_NAME,
            "algorithm": TSIG_ALGORITHM,
            "secret": sec["tsig"],
            "file": trust["tsig_key"],
        },
        "acme": {
            "container": "xmpp-lab-acme",
            "address": f"127.0.0.{ACME_OCTET}",
            "lab_address": f"{PREFIX}.{ACME_OCTET}",
            "directory": f"https://127.0.0.{ACME_OCTET}:14000/dir",
            "directory_inside": f"https://acme.{ZONE}:14000/dir",
            "directory_rate_limited": f"https://127.0.0.{ACME_OCTET}:14001/dir",
            "directory_rate_limited_inside": f"https://acme.{ZONE}:14001/dir",
            "management": f"https://127.0.0.{ACME_OCTET}:15000",
            "challtestsrv": f"http://127.0.0.{ACME_OCTET}:8055",
            "root": trust["pebble_root"],
            "listener_ca": trust["pebble_minica"],
        },
        "trust": trust,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in {"render", "roots", "json"}:
        print("usage: labgen.py render|roots|json LAB_DIR", file=sys.stderr)
        return 2
    lab = Path(argv[2]).resolve()
    if argv[1] == "render":
        render(lab)
    elif argv[1] == "roots":
        roots(lab)
    else:
        write(lab / "lab.json", json.dumps(description(lab), indent=2) + "\n", 0o600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
