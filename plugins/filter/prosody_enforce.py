"""Filters for the enforce role on Prosody: prosody_certificate_groups, prosody_global_edit,
prosody_host_edits, prosody_overrides, prosody_refusals, prosody_check_warnings (logic in
module_utils/_prosody/enforcement.py).

One file, six filters: each is documented in the YAML file of its name next to this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.enforcement import (
    PER_HOST_OPTIONS,
    EnforcementError,
    certificate_groups,
    check_warnings,
    enforced_settings,
    find_overrides,
    global_edit,
    host_edits,
    preflight_refusals,
)


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise AnsibleFilterError(f"{what} must be a dict, got {type(value).__name__}")
    return value


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise AnsibleFilterError(f"{what} must be a list of strings, got {value!r}")
    return list(value)


def _config(value: Any) -> Mapping[str, Any]:
    config = _mapping(value, "the configuration (prosody_config_info's config)")
    if "global" not in config:
        raise AnsibleFilterError("the configuration has no 'global' section: pass .config")
    return config


def _rc(result: Any, what: str) -> int:
    rc = _mapping(result, what).get("rc")
    if isinstance(rc, bool) or not isinstance(rc, int):
        raise AnsibleFilterError(f"{what} has no exit code (rc)")
    return rc


def _per_host(tls_profile: Any, s2s_secure_auth: Any) -> dict[str, Any]:
    """The enforced values of the options Prosody reads per host (no tls_profile when empty)."""
    enforced = enforced_settings(str(tls_profile or ""), s2s_secure_auth=bool(s2s_secure_auth))
    return {
        k: v for k, v in enforced.items() if k in PER_HOST_OPTIONS and (k != "tls_profile" or v)
    }


def prosody_certificate_groups(
    names: Any, directory: Any = "", existing: Any = (), files: Any = None
) -> list[dict[str, Any]]:
    """``names | xmpp.encryption.prosody_certificate_groups(directory, existing, files)``."""
    try:
        groups = certificate_groups(
            _strings(names, "names"),
            str(directory),
            _strings(list(existing), "existing"),
            _mapping(files or {}, "files"),
        )
    except EnforcementError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    return [g.as_dict() for g in groups]


def prosody_global_edit(
    options: Any,
    tls_profile: Any = "intermediate",
    certificate_dir: Any = "",
    c2s_direct_tls_ports: Any = (),
    s2s_direct_tls_ports: Any = (),
    s2s_secure_auth: Any = False,
    s2s_insecure_domains: Any = (),
    extra_settings: Any = None,
    weakening_keys: Any = (),
) -> dict[str, Any]:
    """``config.global.options | xmpp.encryption.prosody_global_edit(...)``."""
    try:
        enforced = enforced_settings(
            str(tls_profile),
            str(certificate_dir),
            list(c2s_direct_tls_ports),
            list(s2s_direct_tls_ports),
            bool(s2s_secure_auth),
            _strings(list(s2s_insecure_domains), "s2s_insecure_domains"),
        )
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"direct TLS ports must be numbers: {exc}") from exc
    return global_edit(
        _mapping(options, "options"),
        enforced,
        _mapping(extra_settings or {}, "extra_settings"),
        _strings(list(weakening_keys), "weakening_keys"),
    ).as_dict()


def prosody_host_edits(
    config: Any,
    names: Any = (),
    host_settings: Any = None,
    certificate_files: Any = None,
    weakening_keys: Any = (),
    tls_profile: Any = "",
    s2s_secure_auth: Any = False,
) -> list[dict[str, Any]]:
    """``config | xmpp.encryption.prosody_host_edits(names, host_settings, ...)``."""
    try:
        edits = host_edits(
            _config(config),
            _strings(list(names), "names"),
            _mapping(host_settings or {}, "host_settings"),
            _mapping(certificate_files or {}, "certificate_files"),
            _strings(list(weakening_keys), "weakening_keys"),
            _per_host(tls_profile, s2s_secure_auth),
        )
    except EnforcementError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    return [e.as_dict() for e in edits]


def prosody_overrides(
    config: Any, tls_profile: Any = "", s2s_secure_auth: Any = False, weakening_keys: Any = ()
) -> list[dict[str, Any]]:
    """``config | xmpp.encryption.prosody_overrides(tls_profile, s2s_secure_auth, ...)``."""
    found = find_overrides(
        _config(config),
        _per_host(tls_profile, s2s_secure_auth),
        _strings(list(weakening_keys), "weakening_keys"),
    )
    return [o.as_dict() for o in found]


def prosody_check_warnings(check: Any) -> list[str]:
    """``check_result | xmpp.encryption.prosody_check_warnings``."""
    return check_warnings(_strings(_mapping(check, "check").get("stdout_lines", []), "check"))


def prosody_refusals(
    config: Any,
    version: Any = "",
    about: Any = None,
    min_version: Any = "0.12",
    status: Any = None,
    check: Any = None,
    s2s_secure_auth: Any = False,
) -> list[str]:
    """``config | xmpp.encryption.prosody_refusals(version, about, min_version, status, check)``."""
    try:
        return preflight_refusals(
            _config(config),
            version=str(version or ""),
            about_lines=_strings(_mapping(about or {}, "about").get("stdout_lines", []), "about"),
            min_version=str(min_version),
            status_rc=_rc(status, "status"),
            check_rc=_rc(check, "check"),
            check_lines=_strings(_mapping(check, "check").get("stdout_lines", []), "check"),
            watched=list(_per_host("intermediate", s2s_secure_auth)),
        )
    except EnforcementError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "prosody_certificate_groups": prosody_certificate_groups,
            "prosody_global_edit": prosody_global_edit,
            "prosody_host_edits": prosody_host_edits,
            "prosody_overrides": prosody_overrides,
            "prosody_refusals": prosody_refusals,
            "prosody_check_warnings": prosody_check_warnings,
        }
