"""Tables of the email marketing plugin: campaigns, one delivery per recipient, tracking events, suppressions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crmcore.db import Base, utcnow


def _enum(cls: type[enum.Enum], length: int) -> Enum:
    """Stored as the lower-case values, so bulk SQL can compare with plain strings."""
    return Enum(cls, native_enum=False, length=length, values_callable=lambda members: [m.value for m in members])

#: Primary keys of deliveries and events grow with every recipient of every campaign.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    TESTING = "testing"  # A/B sample sent, waiting for the winner
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


class DeliveryStatus(enum.StrEnum):
    HELD = "held"  # waiting for the A/B winner
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    CANCELLED = "cancelled"  # consent withdrawn, unsubscribed or campaign cancelled before sending


PENDING = (DeliveryStatus.HELD, DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


class Campaign(Base):
    __tablename__ = "email_marketing_campaigns"
    __table_args__ = (Index("ix_email_marketing_campaigns_status", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    from_email: Mapped[str] = mapped_column(String(254), nullable=False)
    from_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(998), nullable=False)
    subject_b: Mapped[str | None] = mapped_column(String(998))
    ab_sample_percent: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    ab_metric: Mapped[str] = mapped_column(String(10), nullable=False, default="opens")
    ab_wait_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=240)
    ab_winner: Mapped[str | None] = mapped_column(String(1))
    ab_decide_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    segment_keys: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    links: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[CampaignStatus] = mapped_column(
        _enum(CampaignStatus, 20), nullable=False, default=CampaignStatus.DRAFT
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow,
                                                 onupdate=utcnow)

    def __str__(self) -> str:
        return self.name

    def subject_for(self, variant: str | None) -> str:
        return self.subject_b if variant == "b" and self.subject_b else self.subject


class Delivery(Base):
    """One message to one recipient. Campaign deliveries are created in bulk when sending starts;
    transactional ones (``campaign_id`` NULL) carry their own rendered content."""

    __tablename__ = "email_marketing_deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", name="uq_email_marketing_deliveries_campaign_customer"),
        Index("ix_email_marketing_deliveries_claim", "campaign_id", "status", "id"),
        Index("ix_email_marketing_deliveries_customer", "customer_id", "id"),
        Index("ix_email_marketing_deliveries_stale", "status", "claimed_at"),
        Index("ix_email_marketing_deliveries_token", "claim_token"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_marketing_campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    variant: Mapped[str | None] = mapped_column(String(1))
    kind: Mapped[str] = mapped_column(String(40), nullable=False, default="campaign")
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, 12), nullable=False, default=DeliveryStatus.QUEUED
    )
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(500))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str | None] = mapped_column(String(998))
    html: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)


class EventKind(enum.StrEnum):
    OPEN = "open"
    CLICK = "click"
    UNSUBSCRIBE = "unsubscribe"


class Event(Base):
    """An open, click or unsubscribe of a delivery, for engagement scores and the stats over time."""

    __tablename__ = "email_marketing_events"
    __table_args__ = (
        Index("ix_email_marketing_events_customer_time", "customer_id", "occurred_at"),
        Index("ix_email_marketing_events_delivery", "delivery_id", "kind"),
        Index("ix_email_marketing_events_campaign", "campaign_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("email_marketing_deliveries.id", ondelete="CASCADE"), nullable=False)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, 12), nullable=False)
    link_index: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Suppression(Base):
    """An address that must not be mailed again: it unsubscribed or hard-bounced."""

    __tablename__ = "email_marketing_suppressions"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"email": self.email, "reason": self.reason, "created_at": self.created_at.isoformat()}
