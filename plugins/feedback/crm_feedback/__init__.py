"""Customer feedback: items from every channel, NPS surveys, an ideas board ranked by revenue, early warnings."""

from __future__ import annotations

from pathlib import Path

from crm_feedback import hooks
from crm_feedback.settings import FeedbackSettings
from crmcore.plugins import Plugin

plugin = Plugin(
    name="feedback",
    title="Feedback",
    version="0.1.0",
    description="Feedback from every channel, NPS surveys, ideas ranked by the revenue behind them, "
                "early warning of rising complaints.",
    hooks=hooks,
    settings=FeedbackSettings,
    migrations=Path(__file__).parent / "migrations",
)
