from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmcore.db import Base, TimestampMixin


class LifecycleStage(enum.StrEnum):
    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    FORMER = "former"


class SalesChannel(enum.StrEnum):
    DIRECT = "direct"
    ONLINE = "online"
    WHOLESALE = "wholesale"
    CUSTOM_ORDER = "custom_order"


SERVICE_KINDS = ("information", "advertising", "service", "marketing", "consulting")

customer_tags = Table(
    "customer_tags",
    Base.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)

    def __str__(self) -> str:
        return self.name


class Customer(TimestampMixin, Base):
    """An organisation or a person we sell to: the centre of the one view of the customer."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_name_id", "name", "id"),
        Index("ix_customers_lifecycle_id", "lifecycle_stage", "id"),
        Index("ix_customers_owner_id", "owner_id", "id"),
        Index("ix_customers_email", "email"),
        Index("ix_customers_phone", "phone"),
        Index("ix_customers_external_ref", "external_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False, default="organisation")
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    legal_name: Mapped[str | None] = mapped_column(String(300))
    registration_id: Mapped[str | None] = mapped_column(String(64))
    tax_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    photo_url: Mapped[str | None] = mapped_column(String(500))
    industry: Mapped[str | None] = mapped_column(String(120))
    sales_channel: Mapped[SalesChannel | None] = mapped_column(
        Enum(SalesChannel, native_enum=False, length=20)
    )
    cooperation_type: Mapped[str | None] = mapped_column(String(120))
    services: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        Enum(LifecycleStage, native_enum=False, length=20), nullable=False, default=LifecycleStage.LEAD
    )
    churn_reason: Mapped[str | None] = mapped_column(String(500))
    churned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(String(120))
    external_ref: Mapped[str | None] = mapped_column(String(120))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    marketing_consent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consent_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_source: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    owner = relationship("User", lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=customer_tags, lazy="selectin")
    contacts = relationship("Contact", back_populates="customer", cascade="all, delete-orphan",
                            passive_deletes=True, lazy="raise_on_sql")
    important_dates: Mapped[list[ImportantDate]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.name


class ImportantDate(Base):
    __tablename__ = "important_dates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    date: Mapped[date] = mapped_column(Date, nullable=False)
    recurring: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    customer: Mapped[Customer] = relationship(back_populates="important_dates")


class CustomField(Base):
    """An admin-defined field stored in the `custom_fields` JSON of a record, typed and validated."""

    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("entity", "key"),)

    TYPES = ("text", "number", "integer", "date", "boolean", "choice")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(40), nullable=False, default="customer")
    key: Mapped[str] = mapped_column(String(60), nullable=False)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False, default="text")
    choices: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
