from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from crmcore.db import Base, utcnow


class ImportJob(Base):
    """An import started on screen or through the API: the uploaded file, its progress and its report.

    The file is kept in the database (not on a local disk) so any worker on any host can run the job; both
    the file and the report are deferred columns, loaded only when read.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_user_id", "user_id", "id"),)

    STATUSES = ("queued", "running", "finished", "failed")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    on_duplicate: Mapped[str] = mapped_column(String(10), nullable=False, default="skip")
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    file_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    file_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    report_csv: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
