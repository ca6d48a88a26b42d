"""The import's bulk writer (COPY on PostgreSQL, executemany elsewhere) stores rows as the ORM does, under ids that
no one else gets, in the caller's transaction; a refused write fails as a database error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from crmcore.models import Customer, LifecycleStage, SalesChannel
from crmcore.services.bulk import CUSTOMER_COLUMNS, CUSTOMER_DEFAULTS
from crmcore.services.bulk_insert import insert_rows, reserve_ids

VALUES = {"kind": "person", "name": "Олена Коваленко", "email": "olena@example.com", "country": "UA",
          "services": ["consulting", "service"], "custom_fields": {"size": 42, "note": "tab\there, new\nline \\"},
          "lifecycle_stage": LifecycleStage.CUSTOMER, "sales_channel": SalesChannel.ONLINE,
          "marketing_consent": True, "consent_changed_at": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
          "address": None}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def row(customer_id: int, values: dict) -> tuple:
    merged = {**CUSTOMER_DEFAULTS, **values}
    return (customer_id, values["name"], *(merged[key] for key in CUSTOMER_DEFAULTS), 1, NOW, NOW)


def stored(crm, customer_id: int) -> dict:
    with crm.db.session() as session:
        customer = session.get(Customer, customer_id)
        return {column: getattr(customer, column) for column in CUSTOMER_COLUMNS if column != "id"}


def test_rows_written_in_bulk_read_back_as_the_orm_stores_them(crm):
    by_orm = Customer(**VALUES, version=1, created_at=NOW, updated_at=NOW)
    with crm.db.session() as session:
        session.add(by_orm)
    with crm.db.session() as session:
        (customer_id,) = reserve_ids(session.connection(), Customer.__table__, 1)
        insert_rows(session.connection(), Customer.__table__, CUSTOMER_COLUMNS, [row(customer_id, VALUES)])

    assert stored(crm, customer_id) == stored(crm, by_orm.id)


def test_reserved_ids_follow_the_existing_ones_and_are_never_handed_out_twice(crm):
    existing = crm.services.customers.create({"name": "Acme"}).id
    with crm.db.session() as session:
        first = reserve_ids(session.connection(), Customer.__table__, 3)
        insert_rows(session.connection(), Customer.__table__, CUSTOMER_COLUMNS,
                    [row(customer_id, {"name": f"C{customer_id}"}) for customer_id in first])
    with crm.db.session() as session:
        second = reserve_ids(session.connection(), Customer.__table__, 2)

    assert first == sorted(first) and len(set(first + second)) == 5
    assert min(first) > existing and min(second) > max(first)
    assert crm.services.customers.create({"name": "Later"}).id not in first


def test_rows_of_a_transaction_rolled_back_are_not_kept(crm):
    with pytest.raises(RuntimeError), crm.db.session() as session:
        ids = reserve_ids(session.connection(), Customer.__table__, 2)
        insert_rows(session.connection(), Customer.__table__, CUSTOMER_COLUMNS,
                    [row(customer_id, {"name": "Gone"}) for customer_id in ids])
        raise RuntimeError("the batch failed")

    with crm.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_a_refused_bulk_write_fails_as_a_database_error_and_writes_nothing(crm):
    with pytest.raises(DBAPIError), crm.db.session() as session:
        ids = reserve_ids(session.connection(), Customer.__table__, 2)
        insert_rows(session.connection(), Customer.__table__, CUSTOMER_COLUMNS,
                    [row(ids[0], {"name": "Fine"}), row(ids[1], {"name": None})])

    with crm.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
