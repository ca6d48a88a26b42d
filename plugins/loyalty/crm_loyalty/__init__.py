"""Loyalty programme: points ledger, tiers, rewards and coupon codes, cards with QR codes, a counter screen."""

from __future__ import annotations

from pathlib import Path

from crm_loyalty import hooks
from crm_loyalty.settings import LoyaltySettings
from crmcore.plugins import Plugin

plugin = Plugin(
    name="loyalty",
    title="Loyalty",
    version="0.1.0",
    description="Points for purchases, tiers, rewards with single-use codes, cards with QR codes.",
    hooks=hooks,
    settings=LoyaltySettings,
    migrations=Path(__file__).parent / "migrations",
)
