"""Dated snapshots of the analysis: one run, the class of every customer and every product in it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from crmcore.db import Base, utcnow

Money = Numeric(18, 2)


class AbcRun(Base):
    """One run over ``period_start``..``period_end`` (both inclusive), by revenue or by gross profit.

    ``summary`` holds the figures of the run screen: per class its count and share of the net value, and the
    share of the top 20 % of customers (``top20_share``).
    """

    __tablename__ = "abc_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    basis: Mapped[str] = mapped_column(String(10), nullable=False)
    a_share: Mapped[float] = mapped_column(Float, nullable=False)
    b_share: Mapped[float] = mapped_column(Float, nullable=False)
    customers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    products: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_value: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    top20_share: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class AbcCustomerClass(Base):
    """A customer's place in one run: ABC(D) class, RFM scores and segment, XYZ class.

    On PostgreSQL the table is partitioned by run, one partition per run (``crm_abc_analysis.partitions``).
    """

    __tablename__ = "abc_customer_classes"
    __table_args__ = (
        Index("ix_abc_customer_classes_customer_run", "customer_id", "run_id"),
        Index("ix_abc_customer_classes_run_class", "run_id", "abc_class", "customer_id"),
        Index("ix_abc_customer_classes_run_rfm", "run_id", "rfm_segment", "customer_id"),
        Index("ix_abc_customer_classes_run_rank", "run_id", "rank"),
        {"postgresql_partition_by": "RANGE (run_id)"},
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("abc_runs.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Money, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    cum_share: Mapped[float] = mapped_column(Float, nullable=False)
    abc_class: Mapped[str] = mapped_column(String(1), nullable=False)
    purchases: Mapped[int] = mapped_column(Integer, nullable=False)
    recency_days: Mapped[int] = mapped_column(Integer, nullable=False)
    r_score: Mapped[int] = mapped_column(Integer, nullable=False)
    f_score: Mapped[int] = mapped_column(Integer, nullable=False)
    m_score: Mapped[int] = mapped_column(Integer, nullable=False)
    rfm_segment: Mapped[str] = mapped_column(String(30), nullable=False)
    xyz_class: Mapped[str] = mapped_column(String(1), nullable=False)


class AbcProductClass(Base):
    """A product's place in one run, by the won deal lines that name it."""

    __tablename__ = "abc_product_classes"
    __table_args__ = (Index("ix_abc_product_classes_product_run", "product_id", "run_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("abc_runs.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Money, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    cum_share: Mapped[float] = mapped_column(Float, nullable=False)
    abc_class: Mapped[str] = mapped_column(String(1), nullable=False)
