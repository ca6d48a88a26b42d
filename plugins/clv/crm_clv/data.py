"""Purchases as the models see them, read from the core's deals.

A purchase is a won deal; refunds are won deals with a negative amount. Per customer and day the
amounts are netted in SQL, so several purchases on one day count as one (Fader, Hardie & Lee 2005).
A day counts when its net amount is positive, or when it has no refund at all: a refunded purchase
disappears, while a free order (amount 0, as in the CDNOW data) is still a purchase occasion.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Float, Integer, Select, cast, func, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement

from crmcore.models import Deal, DealStatus

if TYPE_CHECKING:
    from crmcore.runtime import CRM

EPOCH = dt.date(1970, 1, 1)
CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class PurchaseDays:
    """One entry per customer and purchase day: customer id, day (numpy datetime64[D]) and net amount."""

    customer_ids: np.ndarray
    days: np.ndarray
    amounts: np.ndarray

    def __len__(self) -> int:
        return int(self.customer_ids.size)

    @property
    def last_day(self) -> dt.date | None:
        return None if not len(self) else self.days.max().astype(dt.date)


def _day_number(dialect: str) -> ColumnElement[int]:
    """Days since 1970-01-01 of ``closed_on``, computed by the database so no date objects cross the wire."""
    if dialect == "postgresql":
        return cast(Deal.closed_on - literal_column(f"DATE '{EPOCH.isoformat()}'"), Integer)
    return cast(func.julianday(Deal.closed_on) - 2440587.5, Integer)


def purchase_days_query(dialect: str, until: dt.date | None = None) -> Select:
    """SELECT customer_id, day number, net amount FROM won deals GROUP BY customer and day, purchase days only."""
    day = _day_number(dialect)
    net = func.sum(Deal.amount)
    query = (
        select(Deal.customer_id, day.label("day"), cast(net, Float).label("amount"))
        .where(Deal.status == DealStatus.WON, Deal.closed_on.is_not(None))
        .group_by(Deal.customer_id, Deal.closed_on)
        .having(or_(net > 0, func.min(Deal.amount) >= 0))
    )
    if until is not None:
        query = query.where(Deal.closed_on <= until)
    return query


def _copy_out(crm: CRM, query: Select) -> np.ndarray:
    """PostgreSQL: the query's rows through COPY ... TO STDOUT, parsed as CSV by pandas (no Python row objects).

    The statement is rendered with its values inline; they are a status and a date of ours, never user input.
    """
    sql = str(query.compile(dialect=crm.db.engine.dialect, compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()
    raw = crm.db.engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        raw.commit()
    finally:
        raw.close()
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return np.empty((0, 3))
    return pd.read_csv(buffer, header=None, dtype=float).to_numpy().reshape(-1, 3)


def load_purchase_days(crm: CRM, until: dt.date | None = None) -> PurchaseDays:
    """Every purchase day up to ``until`` (inclusive) as arrays, streamed in chunks (COPY on PostgreSQL)."""
    dialect = crm.db.engine.dialect.name
    if dialect == "postgresql":
        return _arrays(_copy_out(crm, purchase_days_query(dialect, until)))
    parts: list[np.ndarray] = []
    with crm.db.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(
            purchase_days_query(dialect, until)
        )
        for rows in result.partitions():
            # plain tuples: numpy probing Row objects for array attributes is many times slower
            parts.append(np.array([tuple(row) for row in rows], dtype=float).reshape(-1, 3))
    return _arrays(np.concatenate(parts) if parts else np.empty((0, 3)))


def _arrays(table: np.ndarray) -> PurchaseDays:
    return PurchaseDays(
        customer_ids=table[:, 0].astype(np.int64),
        days=table[:, 1].astype(np.int64).astype("datetime64[D]"),
        amounts=table[:, 2],
    )
