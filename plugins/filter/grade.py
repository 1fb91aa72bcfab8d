"""Filters over probe results: grade, grade_domain, policy_breaches (logic in module_utils).

One file, three filters: each is documented in the YAML file of its name next to this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.grade import (
    DEFAULT_RENEW_DAYS,
    Grade,
    dns_for,
    grade_domain,
    grade_endpoint,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.policy import (
    PolicyError,
    evaluate_policies,
)


def _results(value: Any, name: str) -> list[Mapping[str, Any]]:
    items = [value] if isinstance(value, Mapping) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, Mapping) for i in items):
        raise AnsibleFilterError(
            f"{name} expects a probe result (a dict) or a list of them, got {type(value).__name__}"
        )
    return list(items)


def _days(renew_days: Any) -> int:
    try:
        return int(renew_days)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(
            f"renew_days must be a number of days, got {renew_days!r}"
        ) from exc


def _dns(dns: Any) -> Mapping[str, Any] | None:
    if dns is not None and not isinstance(dns, Mapping):
        raise AnsibleFilterError(f"dns must be a dict, got {type(dns).__name__}")
    return dns


def grade(result: Any, dns: Any = None, renew_days: Any = DEFAULT_RENEW_DAYS) -> dict[str, Any]:
    """``probe | xmpp.encryption.grade(dns=..., renew_days=...)``."""
    if not isinstance(result, Mapping):
        raise AnsibleFilterError(
            f"grade expects a probe result (a dict), got {type(result).__name__}"
        )
    return grade_endpoint(result, _dns(dns), renew_days=_days(renew_days)).as_dict()


def grade_domain_filter(
    items: Any, domain: str = "", dns: Any = None, renew_days: Any = DEFAULT_RENEW_DAYS
) -> dict[str, Any]:
    """``[probe, ...] | xmpp.encryption.grade_domain``: the worst endpoint, reasons merged."""
    days, evidence = _days(renew_days), _dns(dns)
    grades = [
        Grade.from_dict(item)
        if "grade" in item and "subscores" in item
        else grade_endpoint(item, dns_for(item, evidence), renew_days=days)
        for item in _results(items, "grade_domain")
    ]
    return grade_domain(grades, str(domain)).as_dict()


def policy_breaches(
    results: Any,
    policy: Any = None,
    dns: Any = None,
    renew_days: Any = DEFAULT_RENEW_DAYS,
) -> list[dict[str, str]]:
    """``probe(s) | xmpp.encryption.policy_breaches(policy)``: an empty list means it passes."""
    if policy is not None and not isinstance(policy, Mapping):
        raise AnsibleFilterError(f"policy must be a dict, got {type(policy).__name__}")
    try:
        breaches = evaluate_policies(
            _results(results, "policy_breaches"),
            policy,
            dns=_dns(dns),
            renew_days=_days(renew_days),
        )
    except PolicyError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    return [b.as_dict() for b in breaches]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "grade": grade,
            "grade_domain": grade_domain_filter,
            "policy_breaches": policy_breaches,
        }
