"""What the API returns. Input is validated by the services' own schemas (crmcore.schemas)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from crmcore.models import Channel, DealStatus, LifecycleStage


class UtcDateTime(fields.DateTime):
    """A moment in ISO 8601 with its offset; stored naive values (SQLite) are UTC."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def Money() -> fields.Decimal:  # noqa: N802 - reads as a field type in the schemas below
    """An exact amount, sent as a string ("1200.50") so no client turns it into a float."""
    return fields.Decimal(as_string=True, metadata={"type": "string", "format": "decimal"})


class Out(Schema):
    id = fields.Integer(required=True)


class CustomerOut(Out):
    kind = fields.String()
    name = fields.String()
    legal_name = fields.String(allow_none=True)
    registration_id = fields.String(allow_none=True)
    tax_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    sales_channel = fields.String(allow_none=True)
    lifecycle_stage = fields.String()
    churn_reason = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    external_ref = fields.String(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    tags = fields.Pluck("TagOut", "name", many=True)
    custom_fields = fields.Dict()
    marketing_consent = fields.Boolean()
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class TagOut(Schema):
    name = fields.String()


class ContactPointOut(Schema):
    kind = fields.String()
    value = fields.String()
    label = fields.String(allow_none=True)


class ContactOut(Out):
    customer_id = fields.Integer()
    first_name = fields.String()
    middle_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    birthday = fields.Date(allow_none=True)
    marketing_consent = fields.Boolean()
    points = fields.List(fields.Nested(ContactPointOut))
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class TouchpointOut(Out):
    customer_id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    deal_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    channel = fields.String()
    direction = fields.String()
    occurred_at = UtcDateTime()
    subject = fields.String()
    notes = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    created_at = UtcDateTime()


class DealLineOut(Schema):
    product_id = fields.Integer(allow_none=True)
    description = fields.String()
    quantity = Money()
    unit_price = Money()
    unit_cost = Money()


class DealOut(Out):
    customer_id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    pipeline_id = fields.Integer()
    stage_id = fields.Integer()
    title = fields.String()
    amount = Money()
    cost = Money()
    currency = fields.String()
    expected_close_on = fields.Date(allow_none=True)
    probability = fields.Integer(allow_none=True)
    status = fields.String()
    lost_reason = fields.String(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    external_ref = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(DealLineOut))
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class TaskOut(Out):
    title = fields.String()
    notes = fields.String(allow_none=True)
    due_on = fields.Date(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    deal_id = fields.Integer(allow_none=True)
    done_at = UtcDateTime(allow_none=True)
    source = fields.String(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class ProductOut(Out):
    sku = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    price = Money()
    cost = Money()
    currency = fields.String()
    active = fields.Boolean()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class StageOut(Out):
    name = fields.String()
    position = fields.Integer()
    probability = fields.Integer()
    is_won = fields.Boolean()
    is_lost = fields.Boolean()


class PipelineOut(Out):
    name = fields.String()
    is_default = fields.Boolean()
    stages = fields.List(fields.Nested(StageOut))


class UserOut(Out):
    email = fields.String()
    name = fields.String()
    role = fields.String()
    language = fields.String()
    active = fields.Boolean()
    last_login_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


#: The largest id a record can have (an SQL INTEGER): a larger one in a filter is invalid input, not a server error.
MAX_ID = 2**31 - 1


def RecordId() -> fields.Integer:  # noqa: N802 - reads as a field type in the schemas below
    """A filter by the id of a related record."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


def Prefix(description: str) -> fields.String:  # noqa: N802
    """The list's search box: what the text is matched against."""
    return fields.String(validate=validate.Length(min=1, max=200), metadata={"description": description})


def Sort(*keys: str, default: str = "id") -> fields.String:  # noqa: N802
    """The sort keys a list takes, each ascending or, with a leading "-", descending."""
    return fields.String(load_default=default, validate=validate.OneOf([f"{sign}{key}" for key in keys
                                                                        for sign in ("", "-")]))


class CustomerArgs(Schema):
    q = Prefix("name prefix, exact email or phone")
    lifecycle_stage = fields.Enum(LifecycleStage, by_value=True)
    country = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$"))
    owner_id = RecordId()
    segment = fields.String(validate=validate.Length(max=120), metadata={"description": "a segment key"})
    sort = Sort("id", "name", "created_at", "updated_at")


class ContactArgs(Schema):
    customer_id = RecordId()
    q = Prefix("first name prefix")
    sort = Sort("id", "first_name")


class TouchpointArgs(Schema):
    customer_id = RecordId()
    channel = fields.Enum(Channel, by_value=True)
    since = fields.AwareDateTime(default_timezone=None)
    sort = Sort("id", "occurred_at", default="-occurred_at")


class DealArgs(Schema):
    customer_id = RecordId()
    status = fields.Enum(DealStatus, by_value=True)
    stage_id = RecordId()
    owner_id = RecordId()
    q = Prefix("title prefix")
    sort = Sort("id", "amount", "created_at")


class TaskArgs(Schema):
    customer_id = RecordId()
    assignee_id = RecordId()
    open = fields.Boolean()
    sort = Sort("id", "created_at")


class ProductArgs(Schema):
    q = Prefix("SKU or name prefix")
    active = fields.Boolean()
    sort = Sort("id", "sku", "name")


class PipelineArgs(Schema):
    sort = Sort("id")


class UserArgs(Schema):
    sort = Sort("id", "email")


class DoneSchema(Schema):
    done = fields.Boolean(load_default=True)
