"""Figures for the dashboard and the pipeline board, aggregated in SQL (never by loading rows into Python)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, distinct, exists, func, select
from sqlalchemy.orm import Session, aliased

from crmcore.models import Deal, DealStatus, Stage


def effective_probability() -> Any:
    """A deal's probability as SQL: 100 when won, 0 when lost, else its own or its stage's."""
    return case((Deal.status == DealStatus.WON, 100), (Deal.status == DealStatus.LOST, 0),
                else_=func.coalesce(Deal.probability, Stage.probability))


@dataclass(frozen=True)
class StageFigures:
    stage_id: int
    name: str
    count: int
    value: Decimal
    weighted: Decimal


def stage_figures(session: Session, pipeline_id: int, owner_id: int | None = None,
                  closed_since: date | None = None) -> dict[int, StageFigures]:
    """Count, value and weighted value (amount x probability) of the deals in each stage, in one query.

    Closed deals count only when closed on or after ``closed_since`` (the board shows recent wins and losses).
    """
    weighted = func.sum(Deal.amount * effective_probability() / 100)
    query = (select(Stage.id, Stage.name, func.count(Deal.id), func.coalesce(func.sum(Deal.amount), 0),
                    func.coalesce(weighted, 0))
             .select_from(Stage)
             .outerjoin(Deal, _deal_join(owner_id, closed_since))
             .where(Stage.pipeline_id == pipeline_id)
             .group_by(Stage.id, Stage.name, Stage.position)
             .order_by(Stage.position))
    return {row[0]: StageFigures(row[0], row[1], int(row[2]), _money(row[3]), _money(row[4]))
            for row in session.execute(query)}


def _deal_join(owner_id: int | None, closed_since: date | None) -> Any:
    from sqlalchemy import and_, or_

    clauses = [Deal.stage_id == Stage.id]
    if owner_id is not None:
        clauses.append(Deal.owner_id == owner_id)
    if closed_since is not None:
        clauses.append(or_(Deal.status == DealStatus.OPEN, Deal.closed_on >= closed_since))
    return and_(*clauses)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class RnvlPoint:
    """R = N x V x L for the 12 months ending ``month_end``."""

    month_end: date
    active: int
    value: Decimal
    loyalty: float

    @property
    def revenue(self) -> Decimal:
        return (self.value * self.active * Decimal(str(round(self.loyalty, 4)))).quantize(Decimal("0.01"))


def month_ends(today: date, months: int = 12) -> list[date]:
    """The last day of each of the ``months`` months up to and including the current one, oldest first."""
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        following = date(year + (month == 12), month % 12 + 1, 1)
        ends.append(following - timedelta(days=1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(ends))


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@cache
def _rnvl_statements() -> tuple[Any, Any]:
    """Built once with bound dates, so each month reuses SQLAlchemy's compiled statement."""
    start, end, previous_start = bindparam("start"), bindparam("end"), bindparam("previous_start")
    won = Deal.status == DealStatus.WON
    active = (select(func.count(distinct(Deal.customer_id)), func.coalesce(func.sum(Deal.amount), 0))
              .where(won, Deal.closed_on > start, Deal.closed_on <= end))
    earlier = aliased(Deal)
    previous = (select(earlier.customer_id).where(earlier.status == DealStatus.WON, earlier.closed_on > previous_start,
                                                  earlier.closed_on <= start)
                .group_by(earlier.customer_id).subquery())
    still = exists().where(Deal.customer_id == previous.c.customer_id, won, Deal.closed_on > start,
                           Deal.closed_on <= end)
    retention = select(func.count(), func.coalesce(func.sum(case((still, 1), else_=0)), 0)).select_from(previous)
    return active, retention


def rnvl_point(session: Session, month_end: date) -> RnvlPoint:
    """N: customers with a won deal in the trailing 12 months; V: their average net revenue (refunds count
    negative); L: the share of the previous 12 months' active customers who are still active."""
    start = _year_before(month_end)
    dates = {"start": start, "end": month_end, "previous_start": _year_before(start)}
    active, retention = _rnvl_statements()
    count, revenue = session.execute(active, dates).one()
    prev_count, kept = session.execute(retention, dates).one()
    value = _money(Decimal(str(revenue)) / count) if count else Decimal("0.00")
    loyalty = (int(kept) / int(prev_count)) if prev_count else 0.0
    return RnvlPoint(month_end, int(count), value, loyalty)


def rnvl_trend(session: Session, today: date, months: int = 12) -> list[RnvlPoint]:
    return [rnvl_point(session, end) for end in month_ends(today, months)]
