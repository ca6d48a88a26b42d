"""Stored scores (one row per lead) and the trained models with their quality."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crmcore.db import Base, utcnow


class LeadScore(Base):
    """A lead's current score 0-100, its grade and the lines that explain it: ``[[label, points], ...]``."""

    __tablename__ = "leadscoring_scores"
    __table_args__ = (
        Index("ix_leadscoring_scores_score_customer", "score", "customer_id"),
        Index("ix_leadscoring_scores_grade_customer", "grade", "customer_id"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    grade: Mapped[str] = mapped_column(String(1), nullable=False)
    rule_score: Mapped[float] = mapped_column(Float, nullable=False)
    model_score: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class LeadModel(Base):
    """One training attempt. The newest row is the current state: a model, or ``too_little_history``."""

    __tablename__ = "leadscoring_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    auc: Mapped[float | None] = mapped_column(Float)
    n_leads: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    n_won: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    n_lost: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(String(500))
    model: Mapped[str | None] = mapped_column(Text)
