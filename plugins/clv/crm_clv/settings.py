"""The clv plugin's settings, with their defaults."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class ClvSettings(Schema):
    """What an admin can tune: thresholds of the churn segments, the CLV horizon and the schedules."""

    at_risk_threshold = fields.Float(load_default=0.3, validate=validate.Range(min=0.0, max=1.0))
    """A repeat buyer whose P(active) falls below this is at risk."""
    win_back_threshold = fields.Float(load_default=0.1, validate=validate.Range(min=0.0, max=1.0))
    """P(active) under which a customer counts as gone for the win-back segment."""
    win_back_min_revenue = fields.Float(load_default=1000.0, validate=validate.Range(min=0.0))
    """Past revenue (net of refunds) a former or gone customer needs to be worth winning back."""
    create_tasks = fields.Boolean(load_default=False)
    """After scoring, give each at-risk customer's owner a follow-up task (once while it is open)."""
    task_due_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=365))
    purchase_horizon_days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3650))
    clv_horizon_months = fields.Integer(load_default=12, validate=validate.Range(min=1, max=120))
    annual_discount_rate = fields.Float(load_default=0.1, validate=validate.Range(min=0.0, max=1.0))
    margin = fields.Float(load_default=1.0, validate=validate.Range(min=0.0, max=1.0))
    """Share of revenue that is profit; CLV is revenue times this."""
    holdout_weeks = fields.Integer(load_default=26, validate=validate.Range(min=0, max=260))
    """The scheduled fit ends this many weeks ago and is checked on what happened since (0: no check)."""
    fit_sample_size = fields.Integer(load_default=200_000, validate=validate.Range(min=100, max=100_000_000))
    """Customers drawn at random to estimate the parameters; every customer is scored."""
    fit_cron = fields.String(load_default="0 2 * * 0", validate=validate.Length(min=9, max=100))
    score_cron = fields.String(load_default="0 3 * * *", validate=validate.Length(min=9, max=100))
