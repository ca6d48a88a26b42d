"""Writing thousands of rows of one table in the caller's transaction without an INSERT statement built per batch.

A multi-row ``INSERT ... RETURNING`` of 2,000 rows has 60,000 placeholders, and the driver parses that text
again for every batch: on PostgreSQL it cost more than everything else an import does. Here PostgreSQL gets
``COPY ... FROM STDIN`` and other databases one prepared INSERT run for every row (``executemany``). Ids the
caller needs (to attach tags, contact points and audit entries) are reserved first with ``reserve_ids``.
Values are converted by the columns' own types, as an ORM insert would store them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.exc import DBAPIError

Converter = tuple[int, Callable[[Any], Any]]


def reserve_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """``count`` new ids of ``table`` in increasing order, for rows the caller then inserts with them.

    PostgreSQL takes them from the id column's sequence, so concurrent writers never get the same one. SQLite
    has one writer at a time and gives the id after the largest; a transaction that read the largest before
    another one committed cannot write any more (SQLITE_BUSY), so it never uses an id twice either.
    """
    if count <= 0:
        return []
    (key,) = table.primary_key.columns
    if connection.dialect.name == "postgresql":
        sequence = connection.scalar(select(func.pg_get_serial_sequence(table.name, key.name)))
        ids = connection.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count)))
        return sorted(ids)
    last = connection.scalar(select(func.max(key))) or 0
    return list(range(last + 1, last + count + 1))


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows``, each a sequence of values in the order of ``columns``, into ``table``."""
    if not rows:
        return
    dialect = connection.dialect
    converters = _converters(connection, table, columns)
    if converters:
        rows = _converted(rows, converters)
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    target = preparer.format_table(table)
    if dialect.name == "postgresql":
        _copy(connection, f"COPY {target} ({names}) FROM STDIN", rows)
        return
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
    statement = f"INSERT INTO {target} ({names}) VALUES ({marks})"  # noqa: S608 - quoted names of the table
    connection.exec_driver_sql(statement, [tuple(row) for row in rows])


def _converters(connection: Connection, table: Table, columns: Sequence[str]) -> list[Converter]:
    dialect = connection.dialect
    found = []
    for index, name in enumerate(columns):
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            found.append((index, processor))
    return found


def _converted(rows: Sequence[Sequence[Any]], converters: list[Converter]) -> list[list[Any]]:
    """The rows with their values converted. A batch repeats the same objects (its timestamp, the defaults), so
    a value that is the very object of the row before is not converted again."""
    done: list[list[Any]] = []
    last: dict[int, tuple[Any, Any]] = {}
    for row in rows:
        values = list(row)
        for index, convert in converters:
            value = values[index]
            seen = last.get(index)
            if seen is not None and seen[0] is value:
                values[index] = seen[1]
            else:
                values[index] = converted = convert(value)
                last[index] = (value, converted)
        done.append(values)
    return done


def _copy(connection: Connection, statement: str, rows: Sequence[Sequence[Any]]) -> None:
    """COPY on the connection's own driver connection (the same transaction), failing as an SQLAlchemy error."""
    dbapi_error = connection.dialect.loaded_dbapi.Error
    raw = connection.connection.dbapi_connection
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi_error as exc:
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc
