"""Throw-away databases for a test session: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from crmcore.db import Base

DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def backend() -> str:
    name = os.environ.get("CRM_TEST_DATABASE", "sqlite")
    if name not in {"sqlite", "postgresql"}:
        raise RuntimeError(f"CRM_TEST_DATABASE must be sqlite or postgresql, not {name!r}")
    return name


@contextmanager
def temporary_database(tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of an empty database that is dropped afterwards."""
    if backend() == "sqlite":
        path = tmp_dir / f"crm-test-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin_url = os.environ.get("CRM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN_URL)
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_tables(engine) -> None:  # noqa: ANN001
    """Delete every row but the migration versions, so the next test starts from a clean, migrated schema."""
    with engine.begin() as connection:
        names = [n for n in inspect(connection).get_table_names() if not n.startswith("alembic_version")]
        if not names:
            return
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{n}"' for n in names)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            return
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        ordered = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in names]
        for name in ordered + [n for n in names if n not in ordered]:
            connection.execute(text(f'DELETE FROM "{name}"'))
        if "sqlite_sequence" in inspect(connection).get_table_names():
            connection.execute(text("DELETE FROM sqlite_sequence"))
        connection.execute(text("PRAGMA foreign_keys=ON"))
