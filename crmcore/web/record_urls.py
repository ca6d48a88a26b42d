"""Links to records by id, built with one ``url_for`` per request and endpoint instead of one per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, url_for

# Stands in for the id while the URL is built once; the real id replaces it for each record.
_MARK = 9_123_456_789_012_345_678


def id_url(endpoint: str, name: str, **values: Any) -> Callable[[int], str]:
    """What ``url_for(endpoint, **{name: record_id}, **values)`` gives, as a function of ``record_id``."""
    key = (endpoint, name, tuple(sorted(values.items())))
    cache = g.setdefault("crm_id_urls", {})
    build = cache.get(key)
    if build is None:
        head, _, tail = url_for(endpoint, **{name: _MARK}, **values).partition(str(_MARK))
        build = cache[key] = lambda record_id: f"{head}{int(record_id)}{tail}"
    return build
