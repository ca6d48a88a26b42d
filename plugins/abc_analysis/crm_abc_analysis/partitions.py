"""PostgreSQL: each run's customer classes are a partition of ``abc_customer_classes`` of their own.

A run loads its rows into a new table with ``CREATE TABLE ... AS`` (which, unlike ``INSERT ... SELECT``, may use
parallel workers), builds that table's keys and indexes in one sorted pass each, and attaches it as the run's
partition last, in the run's transaction: no foreign key is checked row by row, no index of earlier runs is
touched, and readers keep seeing the previous run until the run commits. The partitions live in the schema
``abc_snapshots``, out of sight of the tables the plugin's migrations describe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Table, column, table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from crm_abc_analysis.models import AbcCustomerClass, AbcRun

SCHEMA = "abc_snapshots"
PARENT: Table = AbcCustomerClass.__table__
ORPHANS = """
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = CAST(:parent AS regclass) AND c.relnamespace = CAST(:schema AS regnamespace)
  AND c.relname ~ '^run_[0-9]+$'
  AND NOT EXISTS (SELECT 1 FROM abc_runs r WHERE r.id = CAST(substr(c.relname, 5) AS INTEGER))
"""


def column_types() -> dict[str, str]:
    """The SQL type of each column of ``abc_customer_classes``: a partition must match them exactly."""
    dialect = postgresql.dialect()
    return {c.name: c.type.compile(dialect=dialect) for c in PARENT.columns}


def run_table(run_id: int) -> TableClause:
    """The run's partition, readable before it is attached."""
    return table(f"run_{int(run_id)}", *(column(c.name, c.type) for c in PARENT.columns), schema=SCHEMA)


def lock_runs(session: Session) -> None:
    """Let runs happen one at a time: attaching checks the run's id against ``abc_runs`` under a lock that two
    runs, each holding the row it inserted, would wait on each other for. Readers are not held up."""
    session.execute(text(f"LOCK TABLE {AbcRun.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))


def drop_orphans(session: Session) -> None:
    """Drop the partitions of runs that no longer exist, whose rows went with them.

    Emptied tables leave them behind, and a new run whose id starts again could not attach its own. Call it in a
    transaction of its own: dropping a partition keeps the table's readers waiting until the transaction ends.
    """
    lock_runs(session)
    orphans = session.scalars(text(ORPHANS), {"parent": PARENT.name, "schema": SCHEMA}).all()
    for name in orphans:
        session.execute(text(f"DROP TABLE {SCHEMA}.{name}"))


def load(session: Session, run_id: int, create_as: Callable[[str], Any], params: Mapping[str, Any]) -> TableClause:
    """Write the run's rows into its table with ``create_as(name)``, a ``CREATE TABLE name AS ...`` statement."""
    target = run_table(run_id)
    name = f"{SCHEMA}.{target.name}"
    session.execute(create_as(name), params)
    not_null = ", ".join(f"ALTER COLUMN {c.name} SET NOT NULL" for c in PARENT.columns if not c.nullable)
    key = ", ".join(c.name for c in PARENT.primary_key.columns)
    session.execute(text(
        f"ALTER TABLE {name} {not_null}, ADD CONSTRAINT {target.name}_bounds {_bounds(run_id)}, "
        f"ADD PRIMARY KEY ({key})"))
    for index in sorted(PARENT.indexes, key=lambda i: i.name):
        session.execute(text(f"CREATE INDEX ON {name} ({', '.join(c.name for c in index.columns)})"))
    session.execute(text(f"ANALYZE {name}"))
    return target


def attach(session: Session, run_id: int) -> None:
    """Make the run's table its partition. Do it last: the foreign key check it makes keeps other transactions
    from writing customers until the run commits."""
    name = f"{SCHEMA}.run_{int(run_id)}"
    session.execute(text(f"ALTER TABLE {PARENT.name} ATTACH PARTITION {name} "
                         f"FOR VALUES FROM ({int(run_id)}) TO ({int(run_id) + 1})"))
    session.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT run_{int(run_id)}_bounds"))


def _bounds(run_id: int) -> str:
    """The partition's bounds as a check, so that attaching it need not scan the table to prove them."""
    return f"CHECK (run_id >= {int(run_id)} AND run_id < {int(run_id) + 1})"
