"""Filters for the enforce role, any server kind: certificate_findings, certificate_refusals,
run_backups (logic in module_utils/_enforce/).

One file, three filters: each is documented in the YAML file of its name next to this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.xmpp.encryption.plugins.module_utils._enforce import (
    backups,
    preflight,
)


def _dicts(value: Any, what: str) -> list[Mapping[str, Any]]:
    items = [value] if isinstance(value, Mapping) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, Mapping) for i in items):
        raise AnsibleFilterError(f"{what} must be a list of dicts, got {type(value).__name__}")
    return list(items)


def certificate_findings(results: Any, items: Any) -> list[dict[str, Any]]:
    """``checked.results | xmpp.encryption.certificate_findings(items)``."""
    try:
        findings = preflight.check_findings(_dicts(results, "results"), list(items))
    except preflight.PreflightError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    return [f.as_dict() for f in findings]


def certificate_refusals(groups: Any, existing: Any = (), checks: Any = ()) -> list[str]:
    """``groups | xmpp.encryption.certificate_refusals(existing, checks)``."""
    try:
        return preflight.certificate_refusals(
            _dicts(groups, "groups"), [str(e) for e in existing], _dicts(list(checks), "checks")
        )
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError(
            f"certificate_refusals needs groups and check items with certificate, names and"
            f" files: {exc}"
        ) from exc


def run_backups(results: Any) -> dict[str, str]:
    """``[edit_global, edit_hosts] | xmpp.encryption.run_backups``."""
    return backups.run_backups(_dicts(results, "results"))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "certificate_findings": certificate_findings,
            "certificate_refusals": certificate_refusals,
            "run_backups": run_backups,
        }
