"""Custom field definitions: the typed fields an admin adds to customers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from crmcore import policy
from crmcore.errors import ValidationFailed
from crmcore.models import CustomField
from crmcore.schemas import TrimmedString
from crmcore.services.base import Service, apply_changes, audit

if TYPE_CHECKING:
    from crmcore.models import User


class CustomFieldSchema(Schema):
    entity = fields.String(load_default="customer", validate=validate.OneOf(["customer"]))
    key = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{0,59}$", error="Use lower-case letters, digits and _, starting with a letter."))
    label = TrimmedString(required=True, max_length=120)
    type = fields.String(load_default="text", validate=validate.OneOf(CustomField.TYPES))
    choices = fields.List(TrimmedString(max_length=120, required=True), load_default=list,
                          validate=validate.Length(max=200))
    required = fields.Boolean(load_default=False)

    @validates_schema
    def _choices_for_choice_fields(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("type") == "choice" and not data.get("choices"):
            raise ValidationError("A choice field needs at least one choice.", "choices")


class CustomFieldService(Service):
    """Keys and types are fixed once created: stored values were validated against them."""

    schema = CustomFieldSchema()

    def create(self, data: Mapping[str, Any], actor: User | None = None) -> CustomField:
        policy.require(actor, "settings")
        values = self.validate(self.schema, data)
        with self.transaction() as t:
            exists = t.session.scalar(select(CustomField.id).where(
                CustomField.entity == values["entity"], CustomField.key == values["key"]))
            if exists:
                raise ValidationFailed({"key": ["A custom field with this key exists."]})
            definition = CustomField(**values)
            t.session.add(definition)
            t.session.flush()
            audit(t.session, actor, "custom_field", definition.id, "create",
                  {k: [None, v] for k, v in values.items()})
        return definition

    def update(self, field_id: int, data: Mapping[str, Any], actor: User | None = None) -> CustomField:
        policy.require(actor, "settings")
        values = self.validate(self.schema, data, partial=True)
        with self.transaction() as t:
            definition = self.fetch(t.session, CustomField, field_id, "custom field")
            for fixed in ("entity", "key", "type"):
                if fixed in values and values[fixed] != getattr(definition, fixed):
                    raise ValidationFailed({fixed: ["Cannot be changed; add a new field instead."]})
            if definition.type == "choice" and values.get("choices") == []:
                raise ValidationFailed({"choices": ["A choice field needs at least one choice."]})
            changes = apply_changes(definition, values)
            if changes:
                audit(t.session, actor, "custom_field", definition.id, "update", changes)
        return definition

    def delete(self, field_id: int, actor: User | None = None) -> None:
        """Removes the definition; values already stored stay in the records' data but are no longer shown."""
        policy.require(actor, "settings")
        with self.transaction() as t:
            definition = self.fetch(t.session, CustomField, field_id, "custom field")
            t.session.delete(definition)
            audit(t.session, actor, "custom_field", field_id, "delete", {"key": [definition.key, None]})
