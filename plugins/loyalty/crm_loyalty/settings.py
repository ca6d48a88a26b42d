"""Settings of the loyalty plugin (admin screen of plugins) and the programme's editable rules."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate


class LoyaltySettings(Schema):
    auto_enroll = fields.Boolean(load_default=True)
    card_prefix = fields.String(load_default="", validate=validate.Regexp(r"^\d{0,8}$", error="Up to 8 digits."))
    card_length = fields.Integer(load_default=16, validate=validate.Range(min=12, max=19))
    coupon_prefix = fields.String(load_default="", validate=validate.Regexp(r"^[A-Za-z]{0,10}$",
                                                                            error="Up to 10 letters."))
    active_days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3650))
    expiring_window_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))


class ProgrammeSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    points_per_unit = fields.Decimal(validate=validate.Range(min=0, max=10_000))
    unit_amount = fields.Decimal(validate=validate.Range(min=Decimal("0.01"), min_inclusive=True))
    rounding = fields.String(validate=validate.OneOf(["down", "half_up", "up"]))
    step = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))
    points_per_purchase = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))
    first_purchase_bonus = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))
    birthday_month_bonus = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))
    bonus_segment = fields.String(allow_none=True, validate=validate.Length(max=120))
    segment_multiplier = fields.Decimal(validate=validate.Range(min=0, max=100))
    validity_days = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=3650))
    point_value = fields.Decimal(validate=validate.Range(min=0))
    currency = fields.String(validate=validate.Length(equal=3))
