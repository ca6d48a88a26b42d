"""Keyset ("seek") paging, shared by the API and the admin lists.

A page ends with a cursor that carries the sort value and id of its last row; the next page asks for rows beyond
it, which an index on (sort column, id) answers as fast at row 1,000,000 as at row 1. OFFSET, by contrast, reads
and throws away every row before the page. Cursors are opaque to clients: URL-safe base64 of a JSON list.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.orm import InstrumentedAttribute

MAX_CURSOR_LENGTH = 1_000


class BadCursor(ValueError):
    """The text is not a cursor this application gave out (tampered, truncated, or for another column)."""


def encode(values: list[Any]) -> str:
    raw = json.dumps([_plain(value) for value in values], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(text: str, length: int) -> list[Any]:
    """The ``length`` values a cursor carries; BadCursor when it is not one of ours."""
    if len(text) > MAX_CURSOR_LENGTH:
        raise BadCursor(text[:20])
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor(text[:20]) from None
    if not isinstance(values, list) or len(values) != length:
        raise BadCursor(text[:20])
    return values


def row_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise BadCursor(str(value)[:20])
    return value


def typed(column: Any, value: Any) -> Any:
    """A cursor's JSON value as the column holds it; BadCursor when it cannot be one."""
    if value is None:
        raise BadCursor("null")
    sql_type = column.type
    try:
        enum_class = getattr(sql_type, "enum_class", None)
        if enum_class is not None:
            return enum_class(value)
        python_type = sql_type.python_type
        if python_type is datetime:
            return datetime.fromisoformat(value)
        if python_type is date:
            return date.fromisoformat(value)
        if python_type is Decimal:
            return Decimal(str(value))
        if python_type is int:
            return row_id(value) if isinstance(value, int) else int("not a number")
        if python_type is str and isinstance(value, str):
            return value
    except (ValueError, TypeError, InvalidOperation):
        raise BadCursor(str(value)[:20]) from None
    raise BadCursor(str(value)[:20])


def sortable_column(model: type, attribute: Any) -> InstrumentedAttribute | None:
    """``attribute`` when it is a column of ``model`` itself that is never NULL (so it can carry a cursor)."""
    if not isinstance(attribute, InstrumentedAttribute) or attribute.class_ is not model:
        return None
    columns = getattr(attribute.property, "columns", None)
    if not columns or len(columns) != 1:
        return None
    return attribute if (columns[0].primary_key or not columns[0].nullable) else None


def seek(column: Any, id_column: Any, value: Any, last_id: int, descending: bool) -> ColumnElement[bool]:
    """Rows after (value, last_id) in the order (column, id), ascending or descending."""
    if column is id_column:
        return id_column < last_id if descending else id_column > last_id
    if descending:
        return tuple_(column, id_column) < tuple_(value, last_id)
    return tuple_(column, id_column) > tuple_(value, last_id)


def order(column: Any, id_column: Any, descending: bool) -> list[Any]:
    keys = [column] if column is id_column else [column, id_column]
    return [key.desc() if descending else key.asc() for key in keys]


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
