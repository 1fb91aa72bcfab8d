"""Filter acme_failure: a failed ACME step in one clear sentence (logic in module_utils)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.xmpp.encryption.plugins.module_utils._certificate.acme_failure import (
    explain_acme_failure,
)


def acme_failure(
    result: Any, name: Any = "", directory: Any = "", step: Any = ""
) -> dict[str, str]:
    """``ansible_failed_result | xmpp.encryption.acme_failure(name=..., directory=...)``."""
    if not isinstance(result, Mapping):
        raise AnsibleFilterError(
            f"acme_failure expects a task result (a dict), got {type(result).__name__}"
        )
    return explain_acme_failure(
        result, name=str(name), directory=str(directory), step=str(step or "")
    ).as_dict()


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"acme_failure": acme_failure}
