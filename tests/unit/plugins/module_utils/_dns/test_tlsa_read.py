"""TLSA records read for republishing: each set with the DNSSEC verdict that vouches for it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_dns import FakeDns, ZoneKey, corrupt_signature, make_zone

from ansible_collections.xmpp.encryption.plugins.module_utils._dns.inspect import (
    DnsInspectError,
    read_tlsa,
)

REPO = Path(__file__).resolve().parents[3]
OLD = "ab" * 32


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeDns, Path]]:
    key = ZoneKey.new()
    signed = make_zone(
        "signed.test.",
        f"""_5222._tcp.xmpp TLSA 3 1 1 {OLD}
_5269._tcp.xmpp TLSA 3 1 1 {OLD}
""",
        key,
    )
    corrupt_signature(signed, "_5269._tcp.xmpp.signed.test.", "TLSA")
    plain = make_zone("plain.test.", f"_5222._tcp.xmpp TLSA 3 1 1 {OLD}\n")
    anchor = tmp_path_factory.mktemp("anchor") / "anchor"
    anchor.write_text(key.anchor_line("signed.test."))
    server = FakeDns([signed, plain])
    yield server, anchor
    server.close()


def read(zones, *names: str):
    server, anchor = zones
    return read_tlsa(
        names, nameservers=["127.0.0.1"], port=server.port, timeout=0.5, trust_anchor=str(anchor)
    )


def test_only_a_signed_answer_is_secure(zones) -> None:
    good, forged, absent, plain = read(
        zones,
        "_5222._tcp.xmpp.signed.test",
        "_5269._tcp.xmpp.signed.test",
        "_5270._tcp.xmpp.signed.test",
        "_5222._tcp.xmpp.plain.test",
    )
    assert good.dnssec.status == "secure"
    assert [r.as_text() for r in good.records] == [f"3 1 1 {OLD}"]
    assert forged.dnssec.status == "bogus"  # a record the zone's key did not sign
    assert absent.dnssec.status == "secure"  # a signed denial: nothing to keep, for sure
    assert absent.records == ()
    assert plain.dnssec.status != "secure"  # no anchor reaches it: nobody vouches for it


@pytest.mark.parametrize("name", ["xmpp.signed.test", "_99999._tcp.x.test", "_5222._tcp.a..b"])
def test_names_must_be_tlsa_owner_names(zones, name: str) -> None:
    with pytest.raises(DnsInspectError, match="TLSA owner name"):
        read(zones, name)


def test_module_returns_records_by_name(zones, tmp_path: Path) -> None:
    server, anchor = zones
    names = ["_5222._tcp.xmpp.signed.test", "_5269._tcp.xmpp.signed.test"]
    args = {
        "names": names,
        "nameservers": ["127.0.0.1"],
        "port": server.port,
        "trust_anchor": str(anchor),
        "timeout": 0.5,
        "_ansible_check_mode": True,
    }
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ansible_collections.xmpp.encryption.plugins.modules.tlsa_info",
            str(args_file),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO / ".build" / "collections"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    result = json.loads(proc.stdout)
    assert result["changed"] is False
    assert result["tlsa"][names[0]] == {
        "records": [f"3 1 1 {OLD}"],
        "dnssec": result["tlsa"][names[0]]["dnssec"],
        "secure": True,
    }
    assert result["tlsa"][names[0]]["dnssec"]["status"] == "secure"
    assert result["tlsa"][names[1]]["secure"] is False
