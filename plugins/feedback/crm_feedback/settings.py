"""Settings of the feedback plugin: spam protection, priority weights, early-warning test."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class FeedbackSettings(Schema):
    min_fill_seconds = fields.Integer(load_default=3, validate=validate.Range(min=0, max=600))
    max_form_age_seconds = fields.Integer(load_default=24 * 3600, validate=validate.Range(min=60))
    rate_limit_per_hour = fields.Integer(load_default=5, validate=validate.Range(min=1, max=1000))
    weight_revenue = fields.Float(load_default=1.0, validate=validate.Range(min=0))
    weight_open_deals = fields.Float(load_default=0.5, validate=validate.Range(min=0))
    weight_per_request = fields.Float(load_default=0.0, validate=validate.Range(min=0))
    abc_weight_a = fields.Float(load_default=1.5, validate=validate.Range(min=0))
    abc_weight_b = fields.Float(load_default=1.2, validate=validate.Range(min=0))
    abc_weight_c = fields.Float(load_default=1.0, validate=validate.Range(min=0))
    abc_weight_d = fields.Float(load_default=0.8, validate=validate.Range(min=0))
    warning_p_value = fields.Float(load_default=0.01, validate=validate.Range(min=0, max=0.5))
    warning_min_count = fields.Integer(load_default=3, validate=validate.Range(min=1))
