"""Posting to the points ledger: lock the member, append a row, keep the cached balance in step.

Every change of points goes through ``post`` inside a transaction that first called ``lock_member``, so
two simultaneous redemptions cannot both spend the same points: on PostgreSQL the member row is locked
with SELECT ... FOR UPDATE; SQLite has one writer at a time, and the lock's UPDATE makes this
transaction that writer before the balance is read.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm_loyalty.models import EntryKind, LedgerEntry, Member
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


def lock_members(session: Session, member_ids: list[int]) -> dict[int, Member]:
    """Several member rows, locked in id order (so two batch jobs cannot deadlock)."""
    ids = sorted(set(member_ids))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Member).where(Member.id.in_(ids)).values(lock_seq=Member.lock_seq + 1))
        query = select(Member).where(Member.id.in_(ids))
    else:
        query = select(Member).where(Member.id.in_(ids)).order_by(Member.id).with_for_update()
    members = session.scalars(query.execution_options(populate_existing=True)).all()
    return {member.id: member for member in members}


def post(session: Session, member: Member, kind: EntryKind, points: int, *, reason: str = "",
         deal_id: int | None = None, user_id: int | None = None, validity_days: int | None = None,
         today: date | None = None, flush: bool = True) -> LedgerEntry:
    """Append one entry to a locked member's ledger and move the cached balance by the same amount."""
    expires_on = None
    if points > 0 and validity_days:
        expires_on = (today or date.today()) + timedelta(days=validity_days)
    entry = LedgerEntry(member_id=member.id, kind=kind, points=points, deal_id=deal_id, reason=reason[:300],
                        user_id=user_id, expires_on=expires_on)
    session.add(entry)
    member.balance = member.balance + points
    if kind is not EntryKind.EXPIRE:  # lapsing is not something the member did
        member.last_activity_at = utcnow()
    if flush:
        session.flush()
    return entry


def ledger_balance(session: Session, member_id: int) -> int:
    """The balance derived from the ledger itself (the cached one must always equal it)."""
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                              .where(LedgerEntry.member_id == member_id)) or 0)
