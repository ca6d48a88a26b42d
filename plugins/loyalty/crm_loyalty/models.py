"""Tables of the loyalty plugin. The ledger is append-only: the code never updates or deletes its rows."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crmcore.db import Base, utcnow


class TierBasis(enum.StrEnum):
    POINTS = "points"  # points earned over the last 12 months
    SPEND = "spend"  # net won deal amount over the last 12 months


class EntryKind(enum.StrEnum):
    EARN = "earn"
    REFUND = "refund"  # a won deal with a negative amount takes points back
    REVERSE = "reverse"  # a deleted deal takes its points back
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"


class RewardKind(enum.StrEnum):
    COUPON = "coupon"
    FREE_DELIVERY = "free_delivery"
    GIFT = "gift"


def _enum(kind: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Programme(Base):
    """Earning rules, point value and validity of one loyalty programme."""

    __tablename__ = "loyalty_programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    points_per_unit: Mapped[Decimal] = mapped_column(Numeric(12, 4), nullable=False, default=Decimal(1))
    unit_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=Decimal(1))
    rounding: Mapped[str] = mapped_column(String(10), nullable=False, default="down")
    step: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    points_per_purchase: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_purchase_bonus: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    birthday_month_bonus: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    bonus_segment: Mapped[str | None] = mapped_column(String(120))
    segment_multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 2), nullable=False, default=Decimal(1))
    validity_days: Mapped[int | None] = mapped_column(Integer, default=365)
    point_value: Mapped[Decimal] = mapped_column(Numeric(18, 4), nullable=False, default=Decimal("0.01"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="USD")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __str__(self) -> str:
        return self.name


class Tier(Base):
    """A level reached with ``threshold`` points or money over 12 months; ``multiplier`` scales earning."""

    __tablename__ = "loyalty_tiers"
    __table_args__ = (UniqueConstraint("programme_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    basis: Mapped[TierBasis] = mapped_column(_enum(TierBasis), nullable=False, default=TierBasis.POINTS)
    threshold: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=Decimal(0))
    multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 2), nullable=False, default=Decimal(1))
    benefits: Mapped[str] = mapped_column(Text, nullable=False, default="")

    def __str__(self) -> str:
        return self.name


class Member(Base):
    """A customer in the programme. ``balance`` caches SUM(ledger.points), written in the ledger's transaction."""

    __tablename__ = "loyalty_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id"), index=True)
    card_number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_tiers.id", ondelete="SET NULL"), index=True)
    balance: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lock_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class LedgerEntry(Base):
    """One immutable movement of points. (deal_id, kind) is unique, so a deal earns or reverses once."""

    __tablename__ = "loyalty_ledger"
    __table_args__ = (
        UniqueConstraint("deal_id", "kind", name="uq_loyalty_ledger_deal_kind"),
        Index("ix_loyalty_ledger_member_time", "member_id", "created_at", "id"),
        Index("ix_loyalty_ledger_kind_time", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    # A plain column, not a foreign key: a deleted deal must leave its ledger rows in place.
    deal_id: Mapped[int | None] = mapped_column(Integer)
    expires_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Lot(Base):
    """The points of one credit that are neither spent nor lapsed yet (a row disappears when none are left).

    Derived from the ledger and written with it under the member's lock: the open lots of a member always add
    up to their balance (or to zero while it is negative), so first-in-first-out spending, the nightly expiry
    and the expiring-points segment read a few indexed rows instead of replaying the ledger.
    """

    __tablename__ = "loyalty_lots"
    __table_args__ = (
        Index("ix_loyalty_lots_member", "member_id", "expires_on"),
        Index("ix_loyalty_lots_expiry", "expires_on", "member_id"),
    )

    ledger_id: Mapped[int] = mapped_column(ForeignKey("loyalty_ledger.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"), nullable=False)
    expires_on: Mapped[date | None] = mapped_column(Date)
    remaining: Mapped[int] = mapped_column(Integer, nullable=False)


class Reward(Base):
    __tablename__ = "loyalty_rewards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[RewardKind] = mapped_column(_enum(RewardKind), nullable=False, default=RewardKind.COUPON)
    cost_points: Mapped[int] = mapped_column(Integer, nullable=False)
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    discount_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __str__(self) -> str:
        return self.name


class Redemption(Base):
    """A reward taken for points, with its single-use code (stored normalised)."""

    __tablename__ = "loyalty_redemptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"), index=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("loyalty_rewards.id"), index=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("loyalty_ledger.id"), unique=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class TierChange(Base):
    """A member moved from one tier to another (up or down)."""

    __tablename__ = "loyalty_tier_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"), index=True)
    from_tier_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_tiers.id", ondelete="SET NULL"))
    to_tier_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_tiers.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(4), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
