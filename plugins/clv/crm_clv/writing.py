"""Writing scores in bulk: an upsert per chunk of customers, never a statement per customer.

The rows go to the driver as plain tuples (no per-row work in SQLAlchemy): on PostgreSQL each chunk is
COPied into a temporary table and merged with one INSERT ... ON CONFLICT; elsewhere each chunk is one
executemany of INSERT ... ON CONFLICT.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crm_clv.models import ClvScore

if TYPE_CHECKING:
    from crmcore.runtime import CRM

CHUNK = 5_000
POSTGRES_CHUNK = 100_000
COLUMNS = ("customer_id", "model_id", "scored_on", "frequency", "recency_weeks", "age_weeks", "monetary_value",
           "revenue", "p_alive", "expected_purchases", "clv", "scored_at")
TABLE = ClvScore.__tablename__


def _upsert_sql(source: str) -> str:
    updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMNS if name != "customer_id")
    return f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) {source} ON CONFLICT (customer_id) DO UPDATE SET {updates}"


def score_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The per-customer columns of the score frame, rounded as stored."""
    return {
        "customer_id": frame.index.to_numpy(dtype=np.int64),
        "frequency": frame["frequency"].to_numpy(dtype=np.int64),
        "recency_weeks": frame["recency"].to_numpy(dtype=float).round(4),
        "age_weeks": frame["T"].to_numpy(dtype=float).round(4),
        "monetary_value": frame["monetary_value"].to_numpy(dtype=float).round(4),
        "revenue": frame["revenue"].to_numpy(dtype=float).round(2),
        "p_alive": frame["p_alive"].to_numpy(dtype=float),
        "expected_purchases": frame["expected_purchases"].to_numpy(dtype=float),
        "clv": frame["clv"].to_numpy(dtype=float).round(2),
    }


def _bound(crm: CRM, column: str, value: Any) -> Any:
    """``value`` as SQLAlchemy itself would bind it for ``column`` (SQLite keeps dates as text)."""
    dialect = crm.db.engine.dialect
    processor = ClvScore.__table__.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value


def _tuples(columns: dict[str, np.ndarray], constants: dict[str, Any], start: int, stop: int) -> list[tuple]:
    lists = {name: values[start:stop].tolist() for name, values in columns.items()}
    count = stop - start
    ordered = [lists[name] if name in lists else [constants[name]] * count for name in COLUMNS]
    return list(zip(*ordered, strict=True))


def _copy_chunk(raw: Any, columns: dict[str, np.ndarray], constants: dict[str, Any], start: int, stop: int) -> None:
    frame = pd.DataFrame({name: columns[name][start:stop] if name in columns else constants[name]
                          for name in COLUMNS})
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False, float_format="%.17g")
    with raw.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE clv_scores_incoming (LIKE {TABLE} INCLUDING DEFAULTS) "
                       "ON COMMIT DROP")
        with cursor.copy(f"COPY clv_scores_incoming ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(_upsert_sql(f"SELECT {', '.join(COLUMNS)} FROM clv_scores_incoming"))  # noqa: S608 - constant names
    raw.commit()


def upsert_scores(crm: CRM, frame: pd.DataFrame, *, model_id: int, scored_on: dt.date,
                  scored_at: dt.datetime, chunk: int | None = None) -> int:
    """Write one row per customer of ``frame`` in chunks, each chunk its own short transaction."""
    columns = score_columns(frame)
    total = len(frame)
    if crm.db.engine.dialect.name == "postgresql":
        chunk = chunk or POSTGRES_CHUNK
        constants = {"model_id": model_id, "scored_on": scored_on.isoformat(), "scored_at": scored_at.isoformat()}
        raw = crm.db.engine.raw_connection()
        try:
            for start in range(0, total, chunk):
                _copy_chunk(raw, columns, constants, start, min(start + chunk, total))
        finally:
            raw.close()
        return total
    chunk = chunk or CHUNK
    constants = {"model_id": model_id, "scored_on": _bound(crm, "scored_on", scored_on),
                 "scored_at": _bound(crm, "scored_at", scored_at)}
    statement = _upsert_sql(f"VALUES ({', '.join('?' for _ in COLUMNS)})")
    for start in range(0, total, chunk):
        rows = _tuples(columns, constants, start, min(start + chunk, total))
        with crm.db.engine.begin() as connection:
            connection.exec_driver_sql(statement, rows)
    return total
