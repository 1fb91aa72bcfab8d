"""Stage 2, any server kind: what the certificate checks of the preflight found.

The enforce role checks each certificate group (``certificate``, ``key``, ``names``,
``files``) with ``certificate_check``, on the server or on the controller. These functions
keep the findings without anything else the task results carry (on the controller the loop
item holds the private key) and turn missing files and failed checks into refusals.
Pure functions: no network, no Ansible.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class PreflightError(ValueError):
    """Task results that do not fit the items they are said to be about."""


@dataclass(frozen=True)
class CheckFinding:
    """One certificate check: the item it was about and what it found, nothing more."""

    item: Any
    valid: bool
    problems: tuple[Any, ...]
    msg: str  # the module's message when the check itself failed, else ''
    days_left: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "valid": self.valid,
            "problems": list(self.problems),
            "msg": self.msg,
            "days_left": self.days_left,
        }


def skipped(result: Mapping[str, Any]) -> bool:
    """A loop result whose item was skipped (Ansible's ``skipped`` test)."""
    return bool(result.get("skipped", False))


def check_findings(
    results: Sequence[Mapping[str, Any]], items: Sequence[Any]
) -> list[CheckFinding]:
    """The findings of a looped ``certificate_check``, each paired with ``items[i]``.

    A loop registers one result per item, in order, so the i-th result is about the i-th
    item; pairing by position lets the caller drop the loop item, whatever it held.
    """
    if len(results) != len(items):
        raise PreflightError(f"{len(results)} check results for {len(items)} items")
    return [
        CheckFinding(
            item=item,
            valid=result.get("valid", False),
            problems=tuple(result.get("problems", [])),
            msg=str(result.get("msg", "")) if result.get("failed", False) else "",
            days_left=result.get("days_left"),
        )
        for result, item in zip(results, items, strict=True)
        if not skipped(result)
    ]


def certificate_refusals(
    groups: Sequence[Mapping[str, Any]],
    existing: Collection[str],
    checks: Sequence[Mapping[str, Any]],
) -> list[str]:
    """A sentence per missing certificate file, then one per failed check.

    ``checks`` are certificate_check results (or findings) whose ``item`` is the group; a
    check that found no problem but failed says the module's message instead.
    """
    present = frozenset(existing)
    refusals = [
        f"missing {file} (for {', '.join(group['names'])})"
        for group in groups
        for file in group["files"]
        if file not in present
    ]
    for check in checks:
        if skipped(check) or check.get("valid", False):
            continue
        problems = [problem["message"] for problem in check.get("problems", [])]
        reason = ", ".join(problems) if problems else check.get("msg", "certificate check failed")
        item = check["item"]
        refusals.append(f"{item['certificate']} (for {', '.join(item['names'])}): {reason}")
    return refusals
