"""Background jobs of the loyalty plugin (run through crm.jobs; scheduled by the ``schedules`` hook)."""

from __future__ import annotations

from typing import Any

from crm_loyalty.services import LoyaltyService


def expire_points(crm: Any) -> int:
    """Post lapsed points, oldest first. Rerunning it the same day posts nothing more."""
    return LoyaltyService(crm).expire_due()


def review_tiers(crm: Any) -> int:
    """Move members up or down as spending enters or leaves the 12-month window."""
    return LoyaltyService(crm).review_tiers()
