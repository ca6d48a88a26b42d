"""Posting to the points ledger: lock the member, append a row, keep the cached balance and the lots in step.

Every change of points goes through ``post`` (or ``post_expiries``) inside a transaction that first locked the
member, so two simultaneous redemptions cannot both spend the same points: on PostgreSQL the member row is
locked with SELECT ... FOR UPDATE; SQLite has one writer at a time, and the lock's UPDATE makes this
transaction that writer before the balance is read.

Lots: a credit opens a lot of its points; a debit spends the oldest lots first, those still usable before
those already lapsed; the nightly expiry removes the lapsed ones. Points taken while the balance had none
(a refund after the points were spent) are a debt the next credits pay first, so the open lots of a member
always add up to ``max(balance, 0)``.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import DateTime, case, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from crm_loyalty.models import EntryKind, LedgerEntry, Lot, Member
from crmcore.db import utcnow
from crmcore.errors import NotFound


def lock_member(session: Session, member_id: int) -> Member:
    """The member row, locked until the end of the transaction."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Member).where(Member.id == member_id).values(lock_seq=Member.lock_seq + 1))
        member = session.get(Member, member_id, populate_existing=True)
    else:
        member = session.execute(
            select(Member).where(Member.id == member_id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one_or_none()
    if member is None:
        raise NotFound(f"No loyalty member with id {member_id}.")
    return member


def lock_members(session: Session, member_ids: list[int]) -> list[int]:
    """Lock several member rows in id order (so two batch jobs cannot deadlock); returns the ids found."""
    ids = sorted(set(member_ids))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Member).where(Member.id.in_(ids)).values(lock_seq=Member.lock_seq + 1)
                        .execution_options(synchronize_session=False))
        return list(session.scalars(select(Member.id).where(Member.id.in_(ids)).order_by(Member.id)))
    return list(session.scalars(select(Member.id).where(Member.id.in_(ids)).order_by(Member.id).with_for_update()))


def post(session: Session, member: Member, kind: EntryKind, points: int, *, reason: str = "",
         deal_id: int | None = None, user_id: int | None = None, validity_days: int | None = None,
         today: date | None = None) -> LedgerEntry:
    """Append one entry to a locked member's ledger; move the cached balance and the lots by the same amount."""
    if kind is EntryKind.EXPIRE:
        raise ValueError("expiries are posted by post_expiries, which knows the lapsed lots")
    today = today or date.today()
    expires_on = today + timedelta(days=validity_days) if points > 0 and validity_days else None
    entry = LedgerEntry(member_id=member.id, kind=kind, points=points, deal_id=deal_id, reason=reason[:300],
                        user_id=user_id, expires_on=expires_on)
    session.add(entry)
    before = member.balance
    member.balance = before + points
    member.last_activity_at = utcnow()
    session.flush()
    if points > 0:
        remaining = points - min(points, max(-before, 0))  # a debt is paid before a lot opens
        if remaining:
            session.add(Lot(ledger_id=entry.id, member_id=member.id, expires_on=expires_on, remaining=remaining))
            session.flush()
    elif points < 0 and before > 0:
        _spend(session, member.id, min(-points, before), today)
    return entry


def _spend(session: Session, member_id: int, points: int, today: date) -> None:
    """Take ``points`` from the member's lots: usable ones oldest first, then lapsed ones not yet expired."""
    lapsed = case((Lot.expires_on <= today, 1), else_=0)
    for lot in session.scalars(select(Lot).where(Lot.member_id == member_id).order_by(lapsed, Lot.ledger_id)).all():
        used = min(lot.remaining, points)
        if used == lot.remaining:
            session.delete(lot)
        else:
            lot.remaining -= used
        points -= used
        if not points:
            break
    session.flush()


def post_expiries(session: Session, member_ids: list[int], today: date) -> int:
    """Expire every lot of these members that lapsed by ``today``: one ledger row per member, all in SQL.

    The members must be locked. Their open lots add up to their balance, so what lapsed never exceeds it.
    """
    lapsed = Lot.member_id.in_(member_ids) & (Lot.expires_on <= today)
    total = int(session.scalar(select(func.coalesce(func.sum(Lot.remaining), 0)).where(lapsed)) or 0)
    if not total:
        return 0
    per_member = select(Lot.member_id, func.sum(Lot.remaining).label("points")).where(lapsed) \
        .group_by(Lot.member_id).order_by(Lot.member_id).subquery()
    session.execute(insert(LedgerEntry).from_select(
        ["member_id", "kind", "points", "reason", "created_at"],
        select(per_member.c.member_id, literal(EntryKind.EXPIRE.value), -per_member.c.points,
               literal("points expired"), literal(utcnow(), DateTime(timezone=True)))))
    due = select(func.sum(Lot.remaining)).where(Lot.member_id == Member.id, Lot.expires_on <= today)
    session.execute(update(Member).where(Member.id.in_(select(per_member.c.member_id)))
                    .values(balance=Member.balance - due.scalar_subquery())
                    .execution_options(synchronize_session=False))
    session.execute(delete(Lot).where(lapsed).execution_options(synchronize_session=False))
    return total


def ledger_balance(session: Session, member_id: int) -> int:
    """The balance derived from the ledger itself (the cached one must always equal it)."""
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                              .where(LedgerEntry.member_id == member_id)) or 0)


def open_points(session: Session, member_id: int) -> int:
    """The points of the member's open lots (always ``max(balance, 0)``)."""
    return int(session.scalar(select(func.coalesce(func.sum(Lot.remaining), 0))
                              .where(Lot.member_id == member_id)) or 0)
