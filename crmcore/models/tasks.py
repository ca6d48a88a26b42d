from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmcore.db import Base, TimestampMixin


class Task(TimestampMixin, Base):
    """Planned work: a follow-up with a due date and an assignee."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_assignee_due", "assignee_id", "done_at", "due_on"),
        Index("ix_tasks_customer_id", "customer_id"),
        Index("ix_tasks_due_open", "done_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(String(60))

    assignee = relationship("User", lazy="joined")
    customer = relationship("Customer", lazy="raise_on_sql")
