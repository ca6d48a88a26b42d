"""Keyset ("seek") paging for the admin lists.

Flask-Admin pages with OFFSET, which reads and throws away every row before the page: page 10,000 of a million
customers costs seconds. Here the "next" link carries the sort value and id of the last row shown
(``?after=<cursor>``) and the query asks for rows beyond it, which an index answers as fast at row 1,000,000 as
at row 1. "Previous" carries the first row (``?before=<cursor>``) and reads backwards.

Keyset paging needs a total order on a column that is never NULL; a list sorted by anything else (a related
record's name, a nullable date) keeps Flask-Admin's numbered pages.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.orm import InstrumentedAttribute

MAX_CURSOR_LENGTH = 1_000


@dataclass(frozen=True)
class Cursor:
    """A position in a sorted list: the sort value and id of a row, and which way to read from it."""

    value: Any
    id: int
    backwards: bool = False

    def encode(self) -> str:
        raw = json.dumps([_plain(self.value), self.id], ensure_ascii=False, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str | None, column: InstrumentedAttribute, *, backwards: bool) -> Cursor | None:
    """The cursor a link carried, or None when it is missing or not one of ours (the list starts over)."""
    if not text or len(text) > MAX_CURSOR_LENGTH:
        return None
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 <= row_id < 2**63:
            return None
        return Cursor(_typed(value, column), row_id, backwards)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def sortable_column(model: type, attribute: Any) -> InstrumentedAttribute | None:
    """``attribute`` when it is a column of ``model`` itself that is never NULL (so it can carry a cursor)."""
    if not isinstance(attribute, InstrumentedAttribute) or attribute.class_ is not model:
        return None
    columns = getattr(attribute.property, "columns", None)
    if not columns or len(columns) != 1:
        return None
    column = columns[0]
    return attribute if (column.primary_key or not column.nullable) else None


def seek(column: InstrumentedAttribute, id_column: InstrumentedAttribute, cursor: Cursor,
         descending: bool) -> ColumnElement[bool]:
    """Rows after ``cursor`` in the order (column, id), ascending or descending."""
    if column is id_column:
        return id_column < cursor.id if descending else id_column > cursor.id
    if descending:
        return tuple_(column, id_column) < tuple_(cursor.value, cursor.id)
    return tuple_(column, id_column) > tuple_(cursor.value, cursor.id)


def order(column: InstrumentedAttribute, id_column: InstrumentedAttribute, descending: bool) -> list[Any]:
    keys = [column] if column is id_column else [column, id_column]
    return [key.desc() if descending else key.asc() for key in keys]


def row_cursor(row: Any, column: InstrumentedAttribute, *, backwards: bool = False) -> Cursor:
    return Cursor(getattr(row, column.key), row.id, backwards)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _typed(value: Any, column: InstrumentedAttribute) -> Any:
    """Turn a cursor's JSON value back into what the column holds; anything else raises ValueError."""
    sql_type = column.property.columns[0].type
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
    if python_type is bool or not isinstance(value, python_type):
        raise ValueError("the cursor does not fit the column")
    return value
