"""_dns/client.py: which nameservers a lookup asks."""

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._dns import client
from ansible_collections.xmpp.encryption.plugins.module_utils._dns.errors import DnsError


def test_given_nameservers_win_over_the_system(monkeypatch):
    monkeypatch.setattr(client, "system_nameservers", lambda: ["127.0.0.54"])
    assert client.lookup_nameservers(["127.0.0.14"]) == ["127.0.0.14"]


def test_without_any_the_system_resolvers_are_asked(monkeypatch):
    monkeypatch.setattr(client, "system_nameservers", lambda: ["127.0.0.53"])
    assert client.lookup_nameservers(None) == ["127.0.0.53"]
    assert client.lookup_nameservers([]) == ["127.0.0.53"]


def test_no_nameserver_anywhere_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(client, "system_nameservers", list)
    with pytest.raises(DnsError, match="no nameservers given and none configured"):
        client.lookup_nameservers(None)
