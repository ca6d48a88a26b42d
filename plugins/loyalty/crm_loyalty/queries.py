"""Read side in SQL: segments, merge fields, the customer panel's figures and the programme report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.orm import Session

from crm_loyalty.models import EntryKind, LedgerEntry, Lot, Member, Programme, Tier
from crmcore.db import utcnow
from crmcore.models import Deal, DealStatus


def tier_segment_query(tier_name: str) -> Select:
    return (select(Member.customer_id).join(Tier, Tier.id == Member.tier_id).where(Tier.name == tier_name))


def expiring_query(days: int = 30, today: date | None = None) -> Select:
    """Members with unspent points in a lot that lapses within ``days`` (a range of the lots' expiry index)."""
    today = today or date.today()
    return (select(Member.customer_id).distinct().join(Lot, Lot.member_id == Member.id)
            .where(Lot.expires_on >= today, Lot.expires_on < today + timedelta(days=days)))


def merge_fields(session: Session, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(select(Member.customer_id, Member.balance, Member.card_number, Tier.name)
                           .outerjoin(Tier, Tier.id == Member.tier_id)
                           .where(Member.customer_id.in_(customer_ids))).all()
    return {customer_id: {"loyalty_balance": balance, "loyalty_tier": tier or "", "loyalty_card": card}
            for customer_id, balance, card, tier in rows}


def history(session: Session, member_id: int, limit: int = 20) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member_id)
                                .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Report:
    members: int
    active_members: int
    points_outstanding: int
    liability: Decimal
    currency: str
    points_earned: int
    points_redeemed: int
    redemption_rate: float | None
    repeat_rate_members: float | None
    repeat_rate_others: float | None


def report(session: Session, active_days: int = 90) -> Report:
    """The programme in figures, each computed by the database."""
    since = utcnow() - timedelta(days=active_days)
    members, active, outstanding = session.execute(select(
        func.count(Member.id),
        func.count(case((Member.last_activity_at >= since, Member.id))),
        func.coalesce(func.sum(case((Member.balance > 0, Member.balance), else_=0)), 0),
    )).one()
    earned, redeemed = session.execute(select(
        func.coalesce(func.sum(case((LedgerEntry.kind.in_([EntryKind.EARN, EntryKind.ADJUST])
                                     & (LedgerEntry.points > 0), LedgerEntry.points), else_=0)), 0),
        func.coalesce(func.sum(case((LedgerEntry.kind == EntryKind.REDEEM, -LedgerEntry.points), else_=0)), 0),
    )).one()
    programme = session.execute(select(Programme.point_value, Programme.currency)
                                .where(Programme.active.is_(True)).order_by(Programme.id)).first()
    point_value, currency = programme if programme else (Decimal(0), "USD")
    purchases = (select(Deal.customer_id, func.count(Deal.id).label("n"))
                 .where(Deal.status == DealStatus.WON, Deal.amount > 0)
                 .group_by(Deal.customer_id).subquery())
    member_flag = case((Member.id.is_not(None), literal(1)), else_=literal(0)).label("member")
    rates = session.execute(
        select(member_flag, func.count(), func.count(case((purchases.c.n >= 2, literal(1)))))
        .select_from(purchases).outerjoin(Member, and_(Member.customer_id == purchases.c.customer_id))
        .group_by(member_flag)).all()
    by_flag = {int(flag): (buyers, repeat) for flag, buyers, repeat in rates}

    def rate(flag: int) -> float | None:
        buyers, repeat = by_flag.get(flag, (0, 0))
        return repeat / buyers if buyers else None

    return Report(members=members, active_members=active, points_outstanding=int(outstanding),
                  liability=(Decimal(int(outstanding)) * Decimal(point_value)).quantize(Decimal("0.01")),
                  currency=currency, points_earned=int(earned), points_redeemed=int(redeemed),
                  redemption_rate=(int(redeemed) / int(earned)) if earned else None,
                  repeat_rate_members=rate(1), repeat_rate_others=rate(0))
