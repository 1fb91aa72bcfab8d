"""Options written once: argument specs built from the dataclasses, params read one way."""

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.request import (
    ScanError,
    ScanOptions,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._fleet.run import scan_fleet
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.endpoint import (
    EndpointTarget,
    target_from,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.options import (
    ProbeOptions,
    argument_spec,
    options_from,
)

CHECKS = ["features", "versions", "suites", "groups", "certificate"]
STREAM = {"type": "str", "choices": ["c2s", "s2s"], "default": "c2s"}
TLS_MODE = {"type": "str", "choices": ["starttls", "direct"], "default": "starttls"}
CHECKS_SPEC = {"type": "list", "elements": "str", "choices": CHECKS, "default": CHECKS}


def test_tls_info_argument_spec_keeps_every_default():
    spec = {**argument_spec(EndpointTarget), **argument_spec(ProbeOptions)}
    assert spec == {
        "host": {"type": "str", "required": True},
        "port": {"type": "int"},
        "domain": {"type": "str"},
        "stream": STREAM,
        "tls_mode": TLS_MODE,
        "timeout": {"type": "float", "default": 60},
        "connect_timeout": {"type": "float", "default": 5},
        "ca_path": {"type": "path"},
        "max_connections": {"type": "int", "default": 5},
        "checks": CHECKS_SPEC,
        "pipelining": {"type": "bool", "default": True},
    }


def test_scan_argument_spec_keeps_every_default():
    assert argument_spec(EndpointTarget, required=("domain",)) == {
        "host": {"type": "str", "required": True},
        "port": {"type": "int"},
        "domain": {"type": "str", "required": True},
        "stream": STREAM,
        "tls_mode": TLS_MODE,
    }
    assert argument_spec(ScanOptions) == {
        "nameservers": {"type": "list", "elements": "str"},
        "dns_port": {"type": "int", "default": 53},
        "dns_timeout": {"type": "float", "default": 1.0},
        "trust_anchor": {"type": "path"},
        "ca_path": {"type": "path"},
        "timeout": {"type": "float", "default": 60},
        "connect_timeout": {"type": "float", "default": 5},
        "max_connections": {"type": "int", "default": 50},
        "max_connections_per_server": {"type": "int", "default": 5},
        "checks": CHECKS_SPEC,
        "renew_days": {"type": "int", "default": 30},
        "policy": {"type": "dict", "default": {}},
        "share_tls_scan": {"type": "bool", "default": True},
        "pipelining": {"type": "bool", "default": True},
        "address_families": {
            "type": "list",
            "elements": "str",
            "choices": ["ipv4", "ipv6"],
            "default": ["ipv4", "ipv6"],
        },
    }


def test_params_become_options_with_the_dataclass_defaults_for_the_rest():
    options = options_from(ProbeOptions, {"timeout": 5, "checks": ["features"], "ca_path": None})
    assert options == ProbeOptions(timeout=5.0, checks=frozenset({"features"}))
    scan = options_from(ScanOptions, {"address_families": ["ipv4"], "pipelining": False})
    assert scan.families == ("ipv4",)
    assert scan.probe() == ProbeOptions(pipeline=False)
    target = target_from({"host": "xmpp.example", "stream": "s2s", "tls_mode": None})
    assert target == EndpointTarget("xmpp.example", 5269, "xmpp.example", "s2s", "starttls")


async def test_scan_checks_probe_options_as_the_probe_does():
    with pytest.raises(ValueError, match="must be at least 1") as probe_error:
        ProbeOptions(max_connections=0)
    with pytest.raises(ScanError) as scan_error:
        await scan_fleet([], ScanOptions(nameservers=("127.0.0.1",), max_connections_per_server=0))
    assert str(scan_error.value) == str(probe_error.value)
