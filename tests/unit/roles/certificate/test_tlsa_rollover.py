"""tasks/tlsa_records.yml of the certificate role keeps old TLSA records only if DNSSEC-secure.

The task file runs in a real ansible-playbook against the fake DNS server of the DNS tests:
a TLSA record whose signature does not verify (forged on the way, or a broken zone) stops the
rollover before anything is published under the TSIG key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import (
    FakeDns,
    ZoneKey,
    corrupt_signature,
    make_zone,
)
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_playbook

REPO = Path(__file__).resolve().parents[4]

FORGED = "cd" * 32
OWNER = "_5222._tcp.xmpp.rollover.test"


@pytest.fixture(scope="module")
def dns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeDns, Path]]:
    key = ZoneKey.new()
    zone = make_zone("rollover.test.", f"_5222._tcp.xmpp TLSA 3 1 1 {FORGED}\n", key)
    corrupt_signature(zone, f"{OWNER}.", "TLSA")
    anchor = tmp_path_factory.mktemp("anchor") / "anchor"
    anchor.write_text(key.anchor_line("rollover.test."))
    server = FakeDns([zone])
    yield server, anchor
    server.close()


def test_a_record_dnssec_does_not_vouch_for_stops_the_rollover(dns_server, tmp_path: Path) -> None:
    server, anchor = dns_server
    play = [
        {
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {
                "certificate_item": {"name": "rollover.test", "dns_names": ["xmpp.rollover.test"]},
                "certificate_tlsa_targets": [{"host": "xmpp.rollover.test", "port": 5222}],
                "certificate_tlsa_spki": "ab" * 32,
                "certificate_tlsa_keep_old": True,
                "certificate_tlsa_ttl": 1,
                "certificate_dnssec_trust_anchor": str(anchor),
                # the fake server's port reaches the validated read through module_defaults
                "certificate_dnssec_nameservers": ["127.0.0.1"],
                "certificate_dns_server": "127.0.0.1",
                "certificate_dns_port": server.port,
                "certificate_dns_tsig_name": "k",
                "certificate_dns_tsig_secret": "c2VjcmV0",
                "certificate_dns_tsig_algorithm": "hmac-sha256",
            },
            "module_defaults": {"xmpp.encryption.tlsa_info": {"port": server.port}},
            "tasks": [
                {
                    "ansible.builtin.include_tasks": str(
                        REPO / "roles" / "certificate" / "tasks" / "tlsa_records.yml"
                    )
                }
            ],
        }
    ]
    proc = run_playbook(json.dumps(play), tmp_path)
    assert proc.returncode != 0
    out = json.loads(proc.stdout)
    tasks = {t["task"]["name"]: t["hosts"]["localhost"] for t in out["plays"][0]["tasks"]}
    read = tasks["Read the DNSSEC-validated TLSA records published now for rollover.test"]
    assert read["tlsa"][OWNER]["dnssec"]["status"] == "bogus"
    refused = tasks[
        "Refuse a rollover over TLSA records that cannot be validated for rollover.test"
    ]
    assert refused["failed"] is True
    assert OWNER in refused["msg"]
    assert "Publish the TLSA records for rollover.test" not in tasks
