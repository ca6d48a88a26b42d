"""The clv plugin's tables: fitted models and each customer's latest scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from crmcore.db import Base, utcnow


class ClvModel(Base):
    """One fit of BG/NBD and Gamma-Gamma; the newest row is the model in use.

    ``tracking`` holds the hold-out check (totals, the per-frequency table and the weekly cumulative
    series of actual and predicted repeat purchases) when the data went on after ``calibration_end``.
    """

    __tablename__ = "clv_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    calibration_end: Mapped[date] = mapped_column(Date, nullable=False)
    holdout_end: Mapped[date | None] = mapped_column(Date)
    r: Mapped[float] = mapped_column(Float, nullable=False)
    alpha: Mapped[float] = mapped_column(Float, nullable=False)
    a: Mapped[float] = mapped_column(Float, nullable=False)
    b: Mapped[float] = mapped_column(Float, nullable=False)
    bgnbd_log_likelihood: Mapped[float] = mapped_column(Float, nullable=False)
    p: Mapped[float] = mapped_column(Float, nullable=False)
    q: Mapped[float] = mapped_column(Float, nullable=False)
    gamma: Mapped[float] = mapped_column(Float, nullable=False)
    gamma_gamma_log_likelihood: Mapped[float] = mapped_column(Float, nullable=False)
    customers: Mapped[int] = mapped_column(Integer, nullable=False)
    sample_size: Mapped[int] = mapped_column(Integer, nullable=False)
    repeat_buyers: Mapped[int] = mapped_column(Integer, nullable=False)
    seconds: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    tracking: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ClvScore(Base):
    """A customer's latest scores (one row per customer who ever bought), rewritten by each scoring run."""

    __tablename__ = "clv_scores"
    __table_args__ = (
        Index("ix_clv_scores_p_alive", "p_alive", "customer_id"),
        Index("ix_clv_scores_clv", "clv", "customer_id"),
        Index("ix_clv_scores_revenue", "revenue"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("clv_models.id", ondelete="CASCADE"), nullable=False, index=True)
    scored_on: Mapped[date] = mapped_column(Date, nullable=False)
    frequency: Mapped[int] = mapped_column(Integer, nullable=False)
    recency_weeks: Mapped[float] = mapped_column(Float, nullable=False)
    age_weeks: Mapped[float] = mapped_column(Float, nullable=False)
    monetary_value: Mapped[float] = mapped_column(Float, nullable=False)
    revenue: Mapped[float] = mapped_column(Float, nullable=False)
    p_alive: Mapped[float] = mapped_column(Float, nullable=False)
    expected_purchases: Mapped[float] = mapped_column(Float, nullable=False)
    clv: Mapped[float] = mapped_column(Float, nullable=False)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
