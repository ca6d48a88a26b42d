from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from crmcore.models import Channel, ContactPoint, DealStatus, Direction, LifecycleStage, Role, SalesChannel
from crmcore.models.customers import SERVICE_KINDS
from crmcore.schemas.fields import Email, LocalizedDecimal, Phone, TrimmedString

CURRENCIES = ("USD", "EUR", "GBP", "IRR", "UAH", "RUB", "CHF", "PLN", "TRY", "AED", "CNY", "JPY")
MAX_MONEY = Decimal("9999999999999999.99")


class StrictSchema(Schema):
    """Refuses unknown fields by default so a typo in a field name is an error, not silently ignored."""


class CustomerSchema(StrictSchema):
    kind = fields.String(validate=validate.OneOf(["organisation", "person"]))
    name = TrimmedString(required=True, max_length=300)
    legal_name = TrimmedString(max_length=300, allow_none=True)
    registration_id = TrimmedString(max_length=64, allow_none=True)
    tax_id = TrimmedString(max_length=64, allow_none=True)
    email = Email(allow_none=True)
    phone = Phone(allow_none=True)
    website = TrimmedString(max_length=500, allow_none=True, validate=validate.URL(require_tld=False))
    address = TrimmedString(max_length=2000, allow_none=True)
    city = TrimmedString(max_length=120, allow_none=True)
    country = TrimmedString(max_length=2, allow_none=True, validate=validate.Regexp(r"^[A-Za-z]{2}$"))
    photo_url = TrimmedString(max_length=500, allow_none=True, validate=validate.URL())
    industry = TrimmedString(max_length=120, allow_none=True)
    sales_channel = fields.Enum(SalesChannel, by_value=True, allow_none=True)
    cooperation_type = TrimmedString(max_length=120, allow_none=True)
    services = fields.List(fields.String(validate=validate.OneOf(SERVICE_KINDS)), validate=validate.Length(max=10))
    lifecycle_stage = fields.Enum(LifecycleStage, by_value=True)
    churn_reason = TrimmedString(max_length=500, allow_none=True)
    source = TrimmedString(max_length=120, allow_none=True)
    external_ref = TrimmedString(max_length=120, allow_none=True)
    owner_id = fields.Integer(allow_none=True, strict=True)
    tags = fields.List(TrimmedString(max_length=80, required=True), validate=validate.Length(max=50))
    custom_fields = fields.Dict(keys=fields.String(validate=validate.Length(max=60)))
    marketing_consent = fields.Boolean()
    consent_source = TrimmedString(max_length=120, allow_none=True)

    @validates("country")
    def _upper_country(self, value: str | None, **_: Any) -> None:
        if value is not None and not value.isascii():
            raise ValidationError("Use the two-letter ISO country code, e.g. IR, UA, RU, GB.")

    @validates_schema
    def _former_needs_reason(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("lifecycle_stage") is LifecycleStage.FORMER and "churn_reason" in data \
                and not data.get("churn_reason"):
            raise ValidationError("Say why the customer left.", "churn_reason")


class ContactPointSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(ContactPoint.KINDS))
    value = TrimmedString(required=True, max_length=254)
    label = TrimmedString(max_length=60, allow_none=True)


class ContactSchema(StrictSchema):
    customer_id = fields.Integer(required=True, strict=True)
    first_name = TrimmedString(required=True, max_length=120)
    middle_name = TrimmedString(max_length=120, allow_none=True)
    last_name = TrimmedString(max_length=120, allow_none=True)
    position = TrimmedString(max_length=120, allow_none=True)
    photo_url = TrimmedString(max_length=500, allow_none=True, validate=validate.URL())
    birthday = fields.Date(allow_none=True)
    emails = fields.List(Email(required=True), validate=validate.Length(max=20))
    phones = fields.List(TrimmedString(max_length=40, required=True), validate=validate.Length(max=20))
    messengers = fields.List(fields.Nested(ContactPointSchema), validate=validate.Length(max=20))
    marketing_consent = fields.Boolean()
    country = TrimmedString(max_length=2, allow_none=True, load_only=True)


class TouchpointSchema(StrictSchema):
    customer_id = fields.Integer(required=True, strict=True)
    contact_id = fields.Integer(allow_none=True, strict=True)
    deal_id = fields.Integer(allow_none=True, strict=True)
    channel = fields.Enum(Channel, by_value=True, required=True)
    direction = fields.Enum(Direction, by_value=True)
    occurred_at = fields.AwareDateTime(default_timezone=None)
    subject = TrimmedString(max_length=300, allow_none=True)
    notes = TrimmedString(max_length=20000, allow_none=True)
    outcome = TrimmedString(max_length=120, allow_none=True)
    source = TrimmedString(max_length=60, allow_none=True)


class DealLineSchema(StrictSchema):
    product_id = fields.Integer(allow_none=True, strict=True)
    description = TrimmedString(max_length=300, allow_none=True)
    quantity = LocalizedDecimal(load_default=Decimal("1"), validate=validate.Range(min=-10**9, max=10**9))
    unit_price = LocalizedDecimal(load_default=Decimal("0"), validate=validate.Range(min=0, max=MAX_MONEY))
    unit_cost = LocalizedDecimal(load_default=Decimal("0"), validate=validate.Range(min=0, max=MAX_MONEY))


class DealSchema(StrictSchema):
    customer_id = fields.Integer(required=True, strict=True)
    contact_id = fields.Integer(allow_none=True, strict=True)
    owner_id = fields.Integer(allow_none=True, strict=True)
    pipeline_id = fields.Integer(strict=True)
    stage_id = fields.Integer(strict=True)
    title = TrimmedString(required=True, max_length=300)
    amount = LocalizedDecimal(validate=validate.Range(min=-MAX_MONEY, max=MAX_MONEY))
    cost = LocalizedDecimal(validate=validate.Range(min=-MAX_MONEY, max=MAX_MONEY))
    currency = fields.String(validate=validate.OneOf(CURRENCIES))
    expected_close_on = fields.Date(allow_none=True)
    probability = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=100))
    status = fields.Enum(DealStatus, by_value=True)
    lost_reason = TrimmedString(max_length=300, allow_none=True)
    closed_on = fields.Date(allow_none=True)
    external_ref = TrimmedString(max_length=120, allow_none=True)
    lines = fields.List(fields.Nested(DealLineSchema), validate=validate.Length(max=1000))


class TaskSchema(StrictSchema):
    title = TrimmedString(required=True, max_length=300)
    notes = TrimmedString(max_length=20000, allow_none=True)
    due_on = fields.Date(allow_none=True)
    assignee_id = fields.Integer(allow_none=True, strict=True)
    customer_id = fields.Integer(allow_none=True, strict=True)
    deal_id = fields.Integer(allow_none=True, strict=True)
    source = TrimmedString(max_length=60, allow_none=True)


class ProductSchema(StrictSchema):
    sku = TrimmedString(required=True, max_length=64)
    name = TrimmedString(required=True, max_length=300)
    description = TrimmedString(max_length=20000, allow_none=True)
    price = LocalizedDecimal(validate=validate.Range(min=0, max=MAX_MONEY))
    cost = LocalizedDecimal(validate=validate.Range(min=0, max=MAX_MONEY))
    currency = fields.String(validate=validate.OneOf(CURRENCIES))
    active = fields.Boolean()


class StageSchema(StrictSchema):
    name = TrimmedString(required=True, max_length=120)
    probability = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    is_won = fields.Boolean()
    is_lost = fields.Boolean()

    @validates_schema
    def _not_both(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("is_won") and data.get("is_lost"):
            raise ValidationError("A stage cannot be both won and lost.", "is_lost")


class PipelineSchema(StrictSchema):
    name = TrimmedString(required=True, max_length=120)
    is_default = fields.Boolean()
    stages = fields.List(fields.Nested(StageSchema), validate=validate.Length(min=1, max=50))


class UserSchema(StrictSchema):
    email = Email(required=True)
    name = TrimmedString(max_length=200, allow_none=True)
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    role = fields.Enum(Role, by_value=True, required=True)
    language = fields.String(validate=validate.OneOf(["en", "fa", "ru", "uk"]))
    active = fields.Boolean()
