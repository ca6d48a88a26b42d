"""Tables of the feedback plugin."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crmcore.db import Base, utcnow


class Kind(enum.StrEnum):
    IDEA = "idea"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    QUESTION = "question"


class Sentiment(enum.StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Source(enum.StrEnum):
    SCREEN = "screen"
    TOUCHPOINT = "touchpoint"
    API = "api"
    PUBLIC_FORM = "public_form"


class IdeaStatus(enum.StrEnum):
    OPEN = "open"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"


def _enum(kind: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Idea(Base):
    """A product idea that requests are merged into; its value comes from the customers who asked."""

    __tablename__ = "feedback_ideas"
    __table_args__ = (Index("ix_feedback_ideas_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    status: Mapped[IdeaStatus] = mapped_column(_enum(IdeaStatus), nullable=False, default=IdeaStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdeaDeal(Base):
    """An open deal that depends on an idea being built."""

    __tablename__ = "feedback_idea_deals"

    idea_id: Mapped[int] = mapped_column(ForeignKey("feedback_ideas.id", ondelete="CASCADE"), primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True, index=True)


class Item(Base):
    """One piece of feedback from any channel."""

    __tablename__ = "feedback_items"
    __table_args__ = (
        Index("ix_feedback_items_product_kind_time", "product_id", "kind", "created_at"),
        Index("ix_feedback_items_customer_time", "customer_id", "created_at"),
        Index("ix_feedback_items_kind_time", "kind", "created_at"),
        Index("ix_feedback_items_source_hash_time", "source_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    feature: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[Kind] = mapped_column(_enum(Kind), nullable=False)
    sentiment: Mapped[Sentiment] = mapped_column(_enum(Sentiment), nullable=False, default=Sentiment.NEUTRAL)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[Source] = mapped_column(_enum(Source), nullable=False, default=Source.SCREEN)
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="SET NULL"), index=True)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_ideas.id", ondelete="SET NULL"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # A keyed hash of the sender's address, only for the public form's rate limit.
    source_hash: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Survey(Base):
    """An NPS question sent to a customer and, once answered, the 0-10 score."""

    __tablename__ = "feedback_surveys"
    __table_args__ = (Index("ix_feedback_surveys_customer_answered", "customer_id", "answered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class Alert(Base):
    """A significant rise of a product's complaints found by the daily early-warning job."""

    __tablename__ = "feedback_alerts"
    __table_args__ = (UniqueConstraint("product_id", "day", name="uq_feedback_alerts_product_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    complaints: Mapped[int] = mapped_column(Integer, nullable=False)
    expected: Mapped[float] = mapped_column(Float, nullable=False)
    p_value: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
