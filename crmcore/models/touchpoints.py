from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmcore.db import Base, utcnow


class Channel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    MESSENGER = "messenger"
    SOCIAL = "social"
    FAX = "fax"
    POST = "post"
    MEETING = "meeting"
    STORE = "store"
    EVENT = "event"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Touchpoint(Base):
    """One interaction with a customer through one contact point: an entry of the customer's timeline."""

    __tablename__ = "touchpoints"
    __table_args__ = (
        Index("ix_touchpoints_customer_time", "customer_id", "occurred_at", "id"),
        Index("ix_touchpoints_time", "occurred_at"),
        Index("ix_touchpoints_deal_id", "deal_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=20), nullable=False)
    direction: Mapped[Direction] = mapped_column(
        Enum(Direction, native_enum=False, length=10), nullable=False, default=Direction.OUTBOUND
    )
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    subject: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    notes: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    customer = relationship("Customer", lazy="raise_on_sql")
    contact = relationship("Contact", lazy="raise_on_sql")
    user = relationship("User", lazy="raise_on_sql")
