from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmcore.db import Base, TimestampMixin


class Contact(TimestampMixin, Base):
    """A person at a customer."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_customer_id", "customer_id", "id"),
        Index("ix_contacts_last_name", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    first_name: Mapped[str] = mapped_column(String(120), nullable=False)
    middle_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[str | None] = mapped_column(String(120))
    photo_url: Mapped[str | None] = mapped_column(String(500))
    birthday: Mapped[date | None] = mapped_column(Date)
    marketing_consent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consent_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    customer = relationship("Customer", back_populates="contacts")
    points: Mapped[list[ContactPoint]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin",
        order_by="ContactPoint.id",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)

    def values(self, kind: str) -> list[str]:
        return [point.value for point in self.points if point.kind == kind]

    @property
    def emails(self) -> list[str]:
        return self.values("email")

    @property
    def phones(self) -> list[str]:
        return self.values("phone")

    def __str__(self) -> str:
        return self.full_name


class ContactPoint(Base):
    """One address a contact is reached at: an email, a phone (E.164) or a messenger handle."""

    __tablename__ = "contact_points"
    __table_args__ = (Index("ix_contact_points_kind_value", "kind", "value"),)

    KINDS = ("email", "phone", "telegram", "whatsapp", "viber", "signal", "other")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    value: Mapped[str] = mapped_column(String(254), nullable=False)
    label: Mapped[str | None] = mapped_column(String(60))

    contact: Mapped[Contact] = relationship(back_populates="points")
