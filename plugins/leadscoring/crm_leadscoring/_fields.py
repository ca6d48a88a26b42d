"""Reading a field from a lead record, including custom fields behind a dotted path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MISSING = object()


def field_value(record: Mapping[str, Any], path: str) -> Any:
    """Value of ``path`` in ``record``, or ``None`` when absent.

    An exact key wins (``"custom.budget"`` stored flat); otherwise the dots walk nested
    mappings, so ``"custom_fields.budget"`` reads ``record["custom_fields"]["budget"]``.
    """
    value = record.get(path, _MISSING)
    if value is not _MISSING:
        return value
    if "." not in path:
        return None
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part, _MISSING)
        if current is _MISSING:
            return None
    return current
