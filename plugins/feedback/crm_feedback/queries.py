"""Read side in SQL: segments, the early-warning run, the customer panel's rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from crm_feedback.models import Alert, Item, Kind, Survey
from crm_feedback.warning import Check, check
from crmcore.db import utcnow
from crmcore.models import Deal, DealLine, DealStatus


def complains_but_buys_query(days: int = 90) -> Select:
    """Customers with a complaint in the last ``days`` and a won purchase closed after it."""
    since = utcnow() - timedelta(days=days)
    later_purchase = exists().where(Deal.customer_id == Item.customer_id, Deal.status == DealStatus.WON,
                                    Deal.amount > 0, Deal.closed_on > func.date(Item.created_at))
    return (select(Item.customer_id).distinct()
            .where(Item.kind == Kind.COMPLAINT, Item.created_at >= since, Item.customer_id.is_not(None),
                   later_purchase))


def nps_query(low: int, high: int) -> Select:
    """Customers whose latest NPS answer lies in [low, high]."""
    later = aliased(Survey)
    newer = exists().where(later.customer_id == Survey.customer_id, later.answered_at.is_not(None),
                           (later.answered_at > Survey.answered_at)
                           | and_(later.answered_at == Survey.answered_at, later.id > Survey.id))
    return (select(Survey.customer_id).distinct()
            .where(Survey.answered_at.is_not(None), Survey.score.between(low, high), ~newer))


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def early_warning(session: Session, settings: dict[str, Any], today: date | None = None) -> list[tuple[int, Check]]:
    """Compare each product's complaints of the last 7 days with the 8 weeks before; record flagged ones.

    Safe to rerun: one alert per product and day.
    """
    today = today or date.today()
    recent_from, baseline_from = today - timedelta(days=7), today - timedelta(days=63)
    in_recent = Item.created_at >= _start(recent_from)
    complaints = session.execute(
        select(Item.product_id, func.count(case((in_recent, Item.id))), func.count(case((~in_recent, Item.id))))
        .where(Item.kind == Kind.COMPLAINT, Item.product_id.is_not(None), Item.created_at >= _start(baseline_from),
               Item.created_at < _start(today))
        .group_by(Item.product_id)).all()
    if not complaints:
        return []
    products = [row[0] for row in complaints]
    recent_sale = Deal.closed_on >= recent_from
    volumes = {pid: (recent, base) for pid, recent, base in session.execute(
        select(DealLine.product_id, func.count(case((recent_sale, DealLine.id))),
               func.count(case((~recent_sale, DealLine.id))))
        .join(Deal, Deal.id == DealLine.deal_id)
        .where(DealLine.product_id.in_(products), Deal.status == DealStatus.WON, Deal.amount > 0,
               Deal.closed_on >= baseline_from, Deal.closed_on < today)
        .group_by(DealLine.product_id))}
    flagged = []
    for product_id, recent, baseline in complaints:
        recent_volume, baseline_volume = volumes.get(product_id, (0, 0))
        result = check(recent, baseline, recent_volume, baseline_volume, threshold=settings["warning_p_value"],
                       min_count=settings["warning_min_count"])
        if not result.flagged:
            continue
        flagged.append((product_id, result))
        if session.scalar(select(Alert.id).where(Alert.product_id == product_id, Alert.day == today)) is None:
            session.add(Alert(product_id=product_id, day=today, complaints=result.complaints,
                              expected=result.expected, p_value=result.p_value))
    session.flush()
    return flagged


def customer_items(session: Session, customer_id: int, limit: int = 10) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.customer_id == customer_id)
                                .order_by(Item.created_at.desc(), Item.id.desc()).limit(limit)))


def latest_score(session: Session, customer_id: int) -> int | None:
    return session.scalar(select(Survey.score).where(Survey.customer_id == customer_id,
                                                     Survey.answered_at.is_not(None))
                          .order_by(Survey.answered_at.desc(), Survey.id.desc()).limit(1))
