"""Which of Prosody's options and table keys hold secrets, and their values hidden.

One list for every place that shows configuration: ``prosody_config_info``'s result and
``prosody_config``'s ``changes`` and diff. A name counts when it is listed here or ends like
one (``*_secret``, ``*_password``, ``*_passphrase``), as an option or as a key at any depth
of a table (``sql = { password = ... }``, ``ssl = { password = ... }``, an entry of
``external_services`` with a ``secret``).
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.lua import (
    Assignment,
    Unevaluated,
    parse_chunk,
)

REDACTED = "<redacted>"
SECRET_NAMES = frozenset(
    {
        "component_secret",  # external components (XEP-0114)
        "dialback_secret",
        "ldap_password",  # mod_auth_ldap
        "turn_external_secret",  # mod_turn_external, mod_external_services
        "turncredentials_secret",
        "http_upload_external_secret",
        "oauth2_registration_key",
        "password",  # sql, ssl (the key's passphrase), ldap tables
        "secret",  # external_services entries
        "passphrase",
    }
)
_SECRET_ENDINGS = ("_secret", "_password", "_passphrase")
# A table field "name = value" or '["name"] = value' inside an expression's source.
_FIELD = re.compile(
    r"""(?:\b(?P<name>[A-Za-z_]\w*)|\[\s*(?P<q>["'])(?P<quoted>[^"'\\]*)(?P=q)\s*\])\s*=(?!=)\s*"""
    r"""(?P<value>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\[(?P<eq>=*)\[.*?\](?P=eq)\]|[^,;}\s]+)""",
    re.DOTALL,
)


def is_secret(name: object) -> bool:
    if not isinstance(name, str):
        return False
    lowered = name.lower()
    return lowered in SECRET_NAMES or lowered.endswith(_SECRET_ENDINGS)


def redact(value: Any, secret: bool = False) -> Any:
    """VALUE with every secret part replaced; all of it when SECRET."""
    if secret:
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, is_secret(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def mentions_secret(source: str) -> bool:
    """Whether Lua SOURCE (an expression not evaluated) sets a field with a secret name."""
    return any(is_secret(m.group("name") or m.group("quoted")) for m in _FIELD.finditer(source))


def secret_strings(value: Any, secret: bool = False) -> set[str]:
    """The strings VALUE holds under secret names: what must not appear anywhere else."""
    if isinstance(value, dict):
        return {s for k, v in value.items() for s in secret_strings(v, secret or is_secret(k))}
    if isinstance(value, list | tuple):
        return {s for v in value for s in secret_strings(v, secret)}
    if secret and isinstance(value, str | int | float) and not isinstance(value, bool):
        return {str(value)} if str(value) else set()
    return set()


def redact_text(text: str, path: str) -> str:
    """A configuration file's text with the value of every secret option and field replaced;
    everything else, comments and layout included, as it was."""
    chunk = parse_chunk(text, path, tolerant=True)
    hidden = f'"{REDACTED}"'
    spans: list[tuple[int, int]] = []
    for block in chunk.blocks:
        for statement in block.statements:
            if isinstance(statement, Unevaluated):
                # Code is not taken apart: hidden whole when it mentions a secret.
                if mentions_secret(text[statement.start : statement.end]):
                    spans.append((statement.start, statement.end))
                continue
            if not isinstance(statement, Assignment):
                continue
            value = statement.value
            if is_secret(statement.name):
                spans.append((value.start, value.end))
                continue
            for match in _FIELD.finditer(text, value.start, value.end):
                if is_secret(match.group("name") or match.group("quoted")):
                    spans.append((match.start("value"), match.end("value")))
    out, pos = [], 0
    for start, end in sorted(spans):
        if start >= pos:
            out += [text[pos:start], hidden]
            pos = end
    out.append(text[pos:])
    return "".join(out)
