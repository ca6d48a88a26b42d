"""Engine, sessions and the declarative base shared by the core and every plugin's models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )


#: A pooled connection returned this recently is handed out as it is; an older one is tested first.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Test a pooled connection before use only when it sat idle, not on every checkout as ``pool_pre_ping`` does.

    A server restart or a dropped idle connection is still found before a request meets it, and the pool is renewed
    as ``pool_pre_ping`` would; a connection in steady use is not sent a round trip per checkout.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")  # absent on a new connection
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise InvalidatePoolError(str(exc)) from exc


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


class Database:
    """One engine and its session factory; every process (web, worker, CLI) has one."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A connection for reads, each statement committing on its own: on PostgreSQL no BEGIN and COMMIT round trips.

        Under READ COMMITTED every statement reads its own snapshot, so a read gains nothing from a transaction
        (SQLite takes none for a read anyway). The level is set on the connection, not with an engine of its own
        options, so the engine's event listeners stay cheap and see these statements too.
        """
        with self.engine.connect() as connection:
            if self.dialect != "sqlite":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session on a ``read_connection()``; a single-statement write in it commits on its own."""
        with self.read_connection() as connection:
            session = Session(bind=connection, expire_on_commit=False)
            try:
                yield session
                session.commit()
            finally:
                session.close()

    def dispose(self) -> None:
        self.engine.dispose()
