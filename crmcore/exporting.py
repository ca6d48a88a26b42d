"""CSV export of any filtered list: streamed page by page (keyset), safe to open in Excel.

A cell that starts like a formula (=, +, -, @, tab, carriage return) is prefixed with an apostrophe: the
values come from customers and imports, and must not run as formulas in the spreadsheet of whoever exports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.sql import Select

PAGE = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A value as CSV text that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)  # a number, even a negative one, is data, not a formula
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def stream_csv(db: Any, query: Select, model: Any, columns: Sequence[str]) -> Iterator[str]:
    """Yield the CSV (UTF-8 BOM first, so Excel shows any script) of ``query``, ``PAGE`` rows per query.

    Each page is read in its own short session, after the last id of the one before: memory and locks stay
    small for a million rows.
    """
    yield "\ufeff" + _line(columns)
    last_id = 0
    while True:
        with db.session() as session:
            rows = session.scalars(query.where(model.id > last_id).order_by(model.id).limit(PAGE)).unique().all()
            lines = [_line([safe_cell(getattr(row, column)) for column in columns]) for row in rows]
        if not rows:
            return
        last_id = rows[-1].id
        yield "".join(lines)
        if len(rows) < PAGE:
            return
