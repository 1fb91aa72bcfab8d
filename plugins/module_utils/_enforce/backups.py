"""Stage 2, any server kind: the backups one run of the enforce role took.

Each config-editing task (``prosody_config`` today) returns ``backup_files``, file to backup.
A file edited twice in a run is backed up twice; the first backup is the file as it was
before the run, which is what a rescue or ``enforce_undo`` must put back.
Pure functions: no network, no Ansible.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def task_results(results: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Each result, with a registered loop (one holding ``results``) opened into its items."""
    for result in results:
        loop = result.get("results")
        if isinstance(loop, list):
            yield from (item for item in loop if isinstance(item, Mapping))
        else:
            yield result


def run_backups(results: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """File -> the first backup of it among ``results``, in the order the tasks ran."""
    backups: dict[str, str] = {}
    for result in task_results(results):
        for file, backup in (result.get("backup_files") or {}).items():
            backups.setdefault(str(file), str(backup))
    return backups
