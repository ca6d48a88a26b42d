"""Figures for the dashboard and the model screen: churn per month, why customers left, R = N x V x L.

Every figure is an aggregate computed by the database, so the cost does not grow with page views.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select

from crm_clv.models import ClvScore
from crmcore.models import Customer, LifecycleStage, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.runtime import CRM

MERGE_FIELDS_BATCH = 5_000
BUYERS = (LifecycleStage.CUSTOMER, LifecycleStage.FORMER)


def month_starts(today: dt.date, months: int) -> list[dt.datetime]:
    """The first instants (UTC) of the last ``months`` months, the current one included, and of the next month."""
    current = today.year * 12 + today.month - 1
    return [dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)
            for index in range(current - months + 1, current + 2)]


def churn_rate_by_month(session: Session, today: dt.date | None = None, months: int = 12) -> list[dict[str, Any]]:
    """Per month: customers who left (by ``churned_at``) over customers active at the month's start.

    Active at the start of a month: a customer or former customer created before it who had not left
    by then (the core keeps no history of lifecycle stages, so a lead who became a customer later
    counts from the day they were created). One scan of the customers table answers every month.
    """
    starts = month_starts(today or dt.date.today(), months)
    buyer = Customer.lifecycle_stage.in_(BUYERS)
    left = Customer.lifecycle_stage == LifecycleStage.FORMER
    columns = []
    for begin, end in zip(starts[:-1], starts[1:], strict=True):
        columns.append(func.sum(case((left & (Customer.churned_at >= begin) & (Customer.churned_at < end), 1),
                                     else_=0)))
        columns.append(func.sum(case((buyer & (Customer.created_at < begin)
                                      & (Customer.churned_at.is_(None) | (Customer.churned_at >= begin)), 1),
                                     else_=0)))
    row = session.execute(select(*columns)).one()
    result = []
    for index, begin in enumerate(starts[:-1]):
        churned, active = int(row[2 * index] or 0), int(row[2 * index + 1] or 0)
        result.append({"month": begin.strftime("%Y-%m"), "churned": churned, "active_at_start": active,
                       "rate": churned / active if active else None})
    return result


def _counted(rows: list[tuple[Any, int]], empty_label: str) -> list[dict[str, Any]]:
    return [{"label": label if label else empty_label, "customers": int(count)} for label, count in rows]


def leavers_report(crm: CRM, since: dt.datetime | None = None, limit: int = 20) -> dict[str, Any]:
    """Former customers grouped by the reason given, by owner and (with abc_analysis enabled) by ABC class."""
    left = Customer.lifecycle_stage == LifecycleStage.FORMER
    conditions = [left] if since is None else [left, Customer.churned_at >= since]
    with crm.db.session() as session:
        total = session.scalar(select(func.count()).where(*conditions)) or 0
        by_reason = session.execute(
            select(Customer.churn_reason, func.count()).where(*conditions)
            .group_by(Customer.churn_reason).order_by(func.count().desc(), Customer.churn_reason).limit(limit)
        ).all()
        owner = func.coalesce(func.nullif(User.name, ""), User.email)
        by_owner = session.execute(
            select(owner, func.count()).select_from(Customer).outerjoin(User, User.id == Customer.owner_id)
            .where(*conditions).group_by(owner).order_by(func.count().desc(), owner).limit(limit)
        ).all()
    report: dict[str, Any] = {
        "total": total,
        "by_reason": _counted(by_reason, "(no reason)"),
        "by_owner": _counted(by_owner, "(no owner)"),
        "by_abc_class": None,
    }
    if crm.plugins.is_enabled("abc_analysis"):
        report["by_abc_class"] = _by_abc_class(crm, conditions)
    return report


def _by_abc_class(crm: CRM, conditions: list[Any]) -> list[dict[str, Any]]:
    """Count leavers per ABC class from the merge fields abc_analysis offers, a batch of ids at a time."""
    counts: Counter[str] = Counter()
    after = 0
    while True:
        with crm.db.session() as session:
            ids = list(session.scalars(select(Customer.id).where(*conditions, Customer.id > after)
                                       .order_by(Customer.id).limit(MERGE_FIELDS_BATCH)))
        if not ids:
            break
        for fields in crm.services.customers.merge_fields(ids).values():
            counts[str(fields.get("abc_class") or "")] += 1
        after = ids[-1]
    rows = sorted(counts.items(), key=lambda item: (item[0] == "", item[0]))
    return _counted(rows, "(no class)")


@dataclass(frozen=True)
class BaseValue:
    """R = N x V x L in the model's terms, over scored customers not marked former."""

    buyers: int
    expected_active: float
    value_per_active: float
    retention: float
    total_value: float

    def to_dict(self) -> dict[str, Any]:
        return {"buyers": self.buyers, "expected_active": self.expected_active,
                "value_per_active": self.value_per_active, "retention": self.retention,
                "total_value": self.total_value}


def base_value(session: Session, owner_id: int | None = None) -> BaseValue:
    """N = sum of P(active), V = sum of CLV / N, L = N / buyers, and the base's value = sum of CLV = N x V."""
    query = (select(func.count(), func.sum(ClvScore.p_alive), func.sum(ClvScore.clv))
             .select_from(ClvScore).join(Customer, Customer.id == ClvScore.customer_id)
             .where(Customer.lifecycle_stage != LifecycleStage.FORMER))
    if owner_id is not None:
        query = query.where(Customer.owner_id == owner_id)
    buyers, active, value = session.execute(query).one()
    buyers, active, value = int(buyers or 0), float(active or 0.0), float(value or 0.0)
    return BaseValue(buyers=buyers, expected_active=active, value_per_active=value / active if active else 0.0,
                     retention=active / buyers if buyers else 0.0, total_value=value)
