"""Secrets in Prosody's configuration never reach a module's result, diff or changes."""

from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.secrets import (
    REDACTED,
    is_secret,
    redact_text,
)
from ansible_collections.xmpp.encryption.plugins.modules import prosody_config, prosody_config_info
from ansible_collections.xmpp.encryption.tests.unit.support.modules import run_module

SECRETS = (
    "compsecret-1",
    "sqlpass-2",
    "ldappass-3",
    "turnsecret-4",
    "keypass-5",
    "extsecret-6",
    "concat-7",
    "bracket-8",
)
CONFIG = """\
-- a config holding one of each kind of secret
admins = { "admin@example.org" }
sql = { driver = "PostgreSQL", database = "prosody", password = "sqlpass-2" }
ldap_password = 'ldappass-3' -- mod_auth_ldap
turn_external_secret = "turnsecret-4"
external_services = { { type = "turn", host = "turn.example.org", secret = "extsecret-6" } }
oauth_client_secret = "con" .. "cat-7"
storage_options = { ["password"] = [[bracket-8]], user = "prosody" }
ssl = { certificate = "/etc/prosody/certs/example.org.crt", password = "keypass-5" }

VirtualHost "example.org"

Component "gateway.example.org"
\tcomponent_secret = "compsecret-1"
"""


def sample(tmp_path: Path) -> Path:
    path = tmp_path / "prosody.cfg.lua"
    path.write_text(CONFIG)
    return path


def leaked(result: dict) -> list[str]:
    text = json.dumps(result)
    return [s for s in SECRETS if s in text or s.replace("-", "") in text]


def test_the_names_that_hold_secrets() -> None:
    for name in ("component_secret", "ldap_password", "turn_external_secret", "password"):
        assert is_secret(name)
    assert is_secret("some_module_secret")
    assert is_secret("Password")
    for name in ("key", "certificate", "admins", "secret_santa", "s2s_secure_auth"):
        assert not is_secret(name)


def test_info_redacts_by_default_and_keeps_the_rest(tmp_path: Path) -> None:
    result = run_module(prosody_config_info, {"path": str(sample(tmp_path))}).result
    assert leaked(result) == []
    options = result["config"]["global"]["options"]
    assert options["sql"] == {"driver": "PostgreSQL", "database": "prosody", "password": REDACTED}
    assert options["ssl"]["password"] == REDACTED
    assert options["ssl"]["certificate"] == "/etc/prosody/certs/example.org.crt"
    assert options["ldap_password"] == REDACTED
    assert options["external_services"][0]["secret"] == REDACTED
    assert options["external_services"][0]["host"] == "turn.example.org"
    assert options["storage_options"] == {"password": REDACTED, "user": "prosody"}
    assert result["config"]["global"]["expressions"]["oauth_client_secret"] == REDACTED
    component = result["config"]["components"]["gateway.example.org"]
    assert component["options"]["component_secret"] == REDACTED


def test_info_shows_secrets_only_when_asked(tmp_path: Path) -> None:
    args = {"path": str(sample(tmp_path)), "redact_secrets": False}
    result = run_module(prosody_config_info, args).result
    assert result["config"]["global"]["options"]["sql"]["password"] == "sqlpass-2"


def test_edit_hides_secrets_in_changes_diff_and_arguments(tmp_path: Path) -> None:
    path = sample(tmp_path)
    # As the enforce role does: the ssl table written back without its weakening keys.
    ssl = {"certificate": "/etc/prosody/certs/example.org.crt", "password": "keypass-5"}
    args = {
        "path": str(path),
        "settings": {"c2s_require_encryption": True, "ldap_password": "newldap-9", "ssl": ssl},
    }
    result = run_module(prosody_config, args, diff=True).result
    assert result["changed"] is True
    assert leaked(result) == []
    assert "newldap-9" not in json.dumps(result)
    changes = {c["option"]: c for c in result["changes"]}
    assert (changes["ldap_password"]["old"], changes["ldap_password"]["new"]) == (
        REDACTED,
        REDACTED,
    )
    [diff] = result["diff"]
    assert "c2s_require_encryption = true" in diff["after"]
    assert (
        f'sql = {{ driver = "PostgreSQL", database = "prosody", password = "{REDACTED}" }}'
        in (diff["before"])
    )
    assert "-- mod_auth_ldap" in diff["after"]  # only the values are hidden
    written = path.read_text()
    assert 'ldap_password = "newldap-9"' in written
    assert all(s in written for s in SECRETS if s not in ("ldappass-3", "concat-7"))


def test_redacted_text_keeps_every_line() -> None:
    hidden = redact_text(CONFIG, "t")
    assert hidden.count("\n") == CONFIG.count("\n")
    assert [s for s in SECRETS if s in hidden or s.replace("-", "") in hidden] == []
    assert 'database = "prosody"' in hidden
