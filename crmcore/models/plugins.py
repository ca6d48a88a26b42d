from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crmcore.db import Base


class PluginState(Base):
    """Whether an installed plugin is enabled, and its settings. Installed is not enabled."""

    __tablename__ = "plugin_states"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StateCounter(Base):
    """Monotonic counters that tell every process a shared state changed (e.g. 'plugins')."""

    __tablename__ = "state_counters"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
