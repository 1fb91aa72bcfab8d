"""The report as one JSON document (schema in _report.schema; docs/report.schema.json)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def render_json(document: Mapping[str, Any]) -> str:
    # ensure_ascii=False keeps names readable; JSON escapes what must be escaped either way.
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
