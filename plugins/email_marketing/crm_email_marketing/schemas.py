"""Validation of what users type into a campaign."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

METRICS = ("opens", "clicks")


class CampaignSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    from_email = fields.Email(required=True, validate=validate.Length(max=254))
    from_name = fields.String(load_default="", validate=validate.Length(max=200))
    reply_to = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=998))
    subject_b = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=998))
    ab_sample_percent = fields.Integer(load_default=20, validate=validate.Range(min=2, max=50))
    ab_metric = fields.String(load_default="opens", validate=validate.OneOf(METRICS))
    ab_wait_minutes = fields.Integer(load_default=240, validate=validate.Range(min=1, max=7 * 24 * 60))
    html = fields.String(load_default="", validate=validate.Length(max=500_000))
    text = fields.String(load_default="", validate=validate.Length(max=500_000))
    segment_keys = fields.List(fields.String(validate=validate.Length(min=1, max=200)), required=True,
                               validate=validate.Length(min=1, max=50))
