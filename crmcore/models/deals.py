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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmcore.db import Base, TimestampMixin

Money = Numeric(18, 2)


class DealStatus(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Pipeline(Base):
    __tablename__ = "pipelines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="pipeline", order_by="Stage.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def __str__(self) -> str:
        return self.name


class Stage(Base):
    """A step of a pipeline, with its default win probability; won and lost stages close a deal."""

    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    probability: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_won: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_lost: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")

    def __str__(self) -> str:
        return self.name


class Deal(TimestampMixin, Base):
    """An opportunity or, created as won, a purchase; a refund is a won deal with a negative amount."""

    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_customer_status", "customer_id", "status", "closed_on"),
        Index("ix_deals_customer_id", "customer_id", "id"),
        Index("ix_deals_stage_id", "stage_id", "status"),
        Index("ix_deals_status_closed", "status", "closed_on"),
        Index("ix_deals_owner_id", "owner_id"),
        Index("ix_deals_external_ref", "external_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"), nullable=False)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    cost: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="USD")
    expected_close_on: Mapped[date | None] = mapped_column(Date)
    probability: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[DealStatus] = mapped_column(
        Enum(DealStatus, native_enum=False, length=10), nullable=False, default=DealStatus.OPEN
    )
    lost_reason: Mapped[str | None] = mapped_column(String(300))
    closed_on: Mapped[date | None] = mapped_column(Date)
    stage_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    external_ref: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    customer = relationship("Customer", lazy="raise_on_sql")
    stage: Mapped[Stage] = relationship(lazy="joined")
    pipeline: Mapped[Pipeline] = relationship(lazy="raise_on_sql")
    lines: Mapped[list[DealLine]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def effective_probability(self) -> int:
        if self.status is DealStatus.WON:
            return 100
        if self.status is DealStatus.LOST:
            return 0
        return self.probability if self.probability is not None else self.stage.probability

    def __str__(self) -> str:
        return self.title


class DealLine(Base):
    __tablename__ = "deal_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3), nullable=False, default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    unit_cost: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))

    deal: Mapped[Deal] = relationship(back_populates="lines")

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))
