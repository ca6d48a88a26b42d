"""Marshmallow schemas that validate every write going through the services."""

from crmcore.schemas.fields import Email, Phone, TrimmedString
from crmcore.schemas.records import (
    ContactSchema,
    CustomerSchema,
    DealLineSchema,
    DealSchema,
    PipelineSchema,
    ProductSchema,
    StageSchema,
    TaskSchema,
    TouchpointSchema,
    UserSchema,
)

__all__ = [
    "ContactSchema",
    "CustomerSchema",
    "DealLineSchema",
    "DealSchema",
    "Email",
    "Phone",
    "PipelineSchema",
    "ProductSchema",
    "StageSchema",
    "TaskSchema",
    "TouchpointSchema",
    "TrimmedString",
    "UserSchema",
]
