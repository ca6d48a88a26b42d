"""Running the analysis and reading its snapshots."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, Float, Integer, bindparam, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from crm_abc_analysis import partitions, queries
from crm_abc_analysis.models import AbcCustomerClass, AbcProductClass, AbcRun
from crmcore.errors import ValidationFailed
from crmcore.models import Customer, Deal, DealStatus

if TYPE_CHECKING:
    from crmcore.runtime import CRM

PLUGIN = "abc_analysis"
TOP_SHARE = 0.2


def months_between(start: date, end: date) -> int:
    """Calendar months touched by the period, both ends included (the denominator of XYZ)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def default_period(today: date, months: int) -> tuple[date, date]:
    """The trailing ``months`` months ending today: e.g. 2025-11-24 .. 2026-11-23 for 12 months."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, _month_length(year, month + 1))
    return date(year, month + 1, day) + timedelta(days=1), today


def _month_length(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@dataclass(frozen=True)
class RunRequest:
    """What to analyse; ``None`` takes the plugin's settings (and the trailing period)."""

    basis: str | None = None
    start: date | None = None
    end: date | None = None


def _checked(crm: CRM, request: RunRequest) -> tuple[str, date, date, float, float]:
    settings = crm.plugins.settings(PLUGIN)
    basis = request.basis or settings["basis"]
    errors: dict[str, list[str]] = {}
    if basis not in queries.BASES:
        errors["by"] = [f"Choose one of {', '.join(queries.BASES)}."]
    end = request.end or date.today()
    start = request.start or default_period(end, settings["months"])[0]
    if start > end:
        errors["start"] = ["The start must not be after the end."]
    if errors:
        raise ValidationFailed(errors)
    return basis, start, end, settings["a_share"] / 100.0, settings["b_share"] / 100.0


def _params(crm: CRM, run_id: int, start: date, end: date, a_share: float, b_share: float) -> dict[str, Any]:
    settings = crm.plugins.settings(PLUGIN)
    return {
        "run_id": run_id, "start": start, "end": end, "won": DealStatus.WON,
        "a_share": a_share, "ab_share": a_share + b_share,
        "months": months_between(start, end),
        "x2": settings["xyz_x_max"] ** 2, "y2": settings["xyz_y_max"] ** 2,
    }


def _statement(sql: str) -> Any:
    status_type = Deal.__table__.c.status.type
    return text(sql).bindparams(
        bindparam("start", type_=Date), bindparam("end", type_=Date), bindparam("won", type_=status_type),
        bindparam("a_share", type_=Float), bindparam("ab_share", type_=Float), bindparam("run_id", type_=Integer),
    )


@contextmanager
def _sort_memory(session: Session, megabytes: int) -> Iterator[None]:
    """Let the run's grouping and its window sorts happen in memory rather than in temporary files.

    PostgreSQL: ``work_mem`` for this transaction only (and ``maintenance_work_mem``, for building the snapshot's
    indexes and checking its foreign keys). SQLite: the page cache of this connection, which its sorter uses
    before spilling, set back afterwards since the connection returns to the pool.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{int(megabytes)}MB'"))
        session.execute(text(f"SET LOCAL maintenance_work_mem = '{int(megabytes)}MB'"))
        yield
        return
    before = session.execute(text("PRAGMA cache_size")).scalar()
    session.execute(text(f"PRAGMA cache_size = -{int(megabytes) * 1024}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size = {int(before)}"))


def run_analysis(crm: CRM, request: RunRequest = RunRequest()) -> AbcRun:
    """Classify every customer and product for the period and keep the result as a new dated snapshot.

    The whole run is one transaction: either the snapshot is complete or nothing is written.
    """
    basis, start, end, a_share, b_share = _checked(crm, request)
    dialect = crm.db.dialect
    if dialect == "postgresql":
        with crm.db.session() as session:
            partitions.drop_orphans(session)
    with crm.db.session() as session, _sort_memory(session, crm.plugins.settings(PLUGIN)["run_memory_mb"]):
        if dialect == "postgresql":
            partitions.lock_runs(session)
        run = AbcRun(period_start=start, period_end=end, basis=basis, a_share=a_share, b_share=b_share)
        session.add(run)
        session.flush()
        params = _params(crm, run.id, start, end, a_share, b_share)
        classes = _write_customer_classes(session, dialect, basis, params)
        product_params = {k: params[k] for k in ("run_id", "start", "end", "won", "a_share", "ab_share")}
        session.execute(_statement(queries.product_insert(basis)), product_params)
        _summarise(session, run, classes)
        if dialect == "postgresql":
            partitions.attach(session, run.id)
    return run


def _write_customer_classes(session: Session, dialect: str, basis: str, params: dict[str, Any]) -> TableClause:
    """Write the run's customer classes; returns the table that holds them (PostgreSQL: the run's partition,
    attached by the caller once everything else is written)."""
    if dialect != "postgresql":
        session.execute(_statement(queries.customer_insert(dialect, basis)), params)
        return AbcCustomerClass.__table__
    ctes, select = queries.customer_classes(dialect, basis, partitions.column_types())
    return partitions.load(session, params["run_id"],
                           lambda name: _statement(f"CREATE TABLE {name} AS {ctes}\n{select}"), params)


def _summarise(session: Session, run: AbcRun, classes: TableClause) -> None:
    c = classes.c
    rows = session.execute(
        select(c.abc_class, func.count(), func.coalesce(func.sum(c.value), 0))
        .where(c.run_id == run.id).group_by(c.abc_class)
    ).all()
    counts = {cls: 0 for cls in queries.ABC_CLASSES}
    values = {cls: Decimal("0") for cls in queries.ABC_CLASSES}
    for cls, count, value in rows:
        counts[cls], values[cls] = count, Decimal(value)
    customers = sum(counts.values())
    total = sum(values.values(), Decimal("0"))
    top_n = math.ceil(TOP_SHARE * customers)
    top_value = session.scalar(select(func.coalesce(func.sum(c.value), 0)).where(
        c.run_id == run.id, c.rank <= top_n)) or 0
    products = session.execute(
        select(AbcProductClass.abc_class, func.count(), func.coalesce(func.sum(AbcProductClass.value), 0))
        .where(AbcProductClass.run_id == run.id).group_by(AbcProductClass.abc_class)).all()
    product_total = sum((Decimal(v) for _, _, v in products), Decimal("0"))

    def share(value: Any, of: Decimal) -> float | None:
        return float(Decimal(value) / of) if of > 0 else None

    run.customers = customers
    run.products = sum(count for _, count, _ in products)
    run.total_value = total
    run.top20_share = share(top_value, total) if customers else None
    run.summary = {
        "classes": {cls: {"count": counts[cls], "value": str(values[cls]), "share": share(values[cls], total)}
                    for cls in queries.ABC_CLASSES},
        "products": {cls: {"count": count, "value": str(Decimal(value)), "share": share(value, product_total)}
                     for cls, count, value in products},
        "top_customers": top_n,
    }


def run_as_dict(run: AbcRun) -> dict[str, Any]:
    """The figures ``crm abc run --json`` prints."""
    return {
        "run_id": run.id,
        "ran_at": run.ran_at.isoformat(),
        "by": run.basis,
        "start": run.period_start.isoformat(),
        "end": run.period_end.isoformat(),
        "customers": run.customers,
        "products": run.products,
        "total_value": str(run.total_value),
        "classes": run.summary.get("classes", {}),
        "product_classes": run.summary.get("products", {}),
        "top20_share": run.top20_share,
    }


# -- reading -----------------------------------------------------------------------------------------------


def latest_run_id_query() -> Any:
    """A scalar subquery of the newest run's id: what segments and merge fields read."""
    return select(func.max(AbcRun.id)).scalar_subquery()


def latest_runs(session: Session, limit: int = 2) -> list[AbcRun]:
    return list(session.scalars(select(AbcRun).order_by(AbcRun.id.desc()).limit(limit)))


def customer_history(session: Session, customer_id: int, limit: int = 12) -> list[tuple[AbcRun, AbcCustomerClass]]:
    """The customer's class in the latest runs, newest first (one query)."""
    rows = session.execute(
        select(AbcRun, AbcCustomerClass).join(AbcCustomerClass, AbcCustomerClass.run_id == AbcRun.id)
        .where(AbcCustomerClass.customer_id == customer_id).order_by(AbcRun.id.desc()).limit(limit)
    ).all()
    return [(run, row) for run, row in rows]


@dataclass(frozen=True)
class Movement:
    customer_id: int
    name: str
    before: str
    after: str
    value: Decimal


def moved_down(session: Session, run: AbcRun, previous: AbcRun, after_customer: int = 0,
               limit: int = 50) -> list[Movement]:
    """Customers whose class got worse (A to B, B to C, C to D, ...) from ``previous`` to ``run``.

    Keyset-paginated by customer id: pass the last ``customer_id`` seen as ``after_customer``.
    """
    old = AbcCustomerClass.__table__.alias("old")
    new = AbcCustomerClass.__table__.alias("new")
    rows = session.execute(
        select(new.c.customer_id, Customer.name, old.c.abc_class, new.c.abc_class, new.c.value)
        .join(old, (old.c.customer_id == new.c.customer_id) & (old.c.run_id == previous.id))
        .join(Customer, Customer.id == new.c.customer_id)
        .where(new.c.run_id == run.id, new.c.abc_class > old.c.abc_class, new.c.customer_id > after_customer)
        .order_by(new.c.customer_id).limit(limit)
    ).all()
    return [Movement(cid, name, before, after, Decimal(value)) for cid, name, before, after, value in rows]


def rfm_counts(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(select(AbcCustomerClass.rfm_segment, func.count()).where(
        AbcCustomerClass.run_id == run_id).group_by(AbcCustomerClass.rfm_segment)).all()
    return dict(rows)


def abc_xyz_matrix(session: Session, run_id: int) -> dict[tuple[str, str], int]:
    rows = session.execute(select(AbcCustomerClass.abc_class, AbcCustomerClass.xyz_class, func.count()).where(
        AbcCustomerClass.run_id == run_id).group_by(AbcCustomerClass.abc_class, AbcCustomerClass.xyz_class)).all()
    return {(abc, xyz): count for abc, xyz, count in rows}


def pareto_points(session: Session, run: AbcRun, points: int = 100) -> list[tuple[float, float]]:
    """About ``points`` (customer share, cumulative value share) pairs of the Pareto curve, from (0, 0)."""
    if not run.customers:
        return [(0.0, 0.0)]
    step = max(1, run.customers // points)
    rows = session.execute(
        select(AbcCustomerClass.rank, AbcCustomerClass.cum_share)
        .where(AbcCustomerClass.run_id == run.id,
               (AbcCustomerClass.rank % step == 0) | (AbcCustomerClass.rank == run.customers))
        .order_by(AbcCustomerClass.rank)
    ).all()
    return [(0.0, 0.0)] + [(rank / run.customers, float(share)) for rank, share in rows]
