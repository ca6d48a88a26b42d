"""Connections: tested before use only after sitting idle, and reads without a transaction around them."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from crmcore.db import ping_when_idle
from crmcore.models import User


def _engine(url: str, idle_seconds: float, pings: list[object], monkeypatch: pytest.MonkeyPatch):
    engine = create_engine(url, pool_size=1, max_overflow=0)
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or real(connection))
    ping_when_idle(engine, idle_seconds)
    return engine


def _use(engine) -> int | None:  # noqa: ANN001
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        connection.execute(text("SELECT 1"))
        return None


def test_a_connection_in_steady_use_is_not_pinged(crm, monkeypatch):
    pings: list[object] = []
    engine = _engine(crm.db.url, 60, pings, monkeypatch)
    for _ in range(3):
        _use(engine)
    engine.dispose()

    assert pings == []


def test_a_connection_returned_longer_ago_than_the_limit_is_pinged_and_a_new_one_is_not(crm, monkeypatch):
    pings: list[object] = []
    engine = _engine(crm.db.url, 0, pings, monkeypatch)
    _use(engine)
    assert pings == []
    _use(engine)
    engine.dispose()

    assert len(pings) == 1


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(crm, monkeypatch):
    if crm.db.dialect != "postgresql":
        pytest.skip("needs a server that can drop a client's connection")
    engine = _engine(crm.db.url, 0, [], monkeypatch)
    dropped = _use(engine)
    with crm.db.engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})

    assert _use(engine) != dropped
    engine.dispose()


def test_a_lone_write_in_a_read_session_is_kept(crm, make_user):
    user = make_user("staff")
    with crm.db.read_session() as session:
        session.scalar(select(User).where(User.id == user.id)).name = "Renamed"

    with crm.db.session() as session:
        assert session.get(User, user.id).name == "Renamed"


def test_reads_take_no_transaction_and_writes_still_do_on_postgresql(crm):
    if crm.db.dialect != "postgresql":
        pytest.skip("SQLite begins no transaction for a read")
    with crm.db.read_session() as session:
        assert session.connection().connection.dbapi_connection.autocommit
    with crm.db.session() as session:
        assert not session.connection().connection.dbapi_connection.autocommit
    with crm.db.read_connection() as connection:
        assert connection.connection.dbapi_connection.autocommit
