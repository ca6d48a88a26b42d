"""Inputs for the custom fields an admin defined, added to a record's form when it is built."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Optional

from crmcore.models import CustomField

PREFIX = "cf_"


def definitions(crm: Any, entity: str) -> list[CustomField]:
    with crm.db.session() as session:
        return list(session.scalars(select(CustomField).where(CustomField.entity == entity)
                                    .order_by(CustomField.id)))


def _field(definition: CustomField) -> Any:
    label = definition.label + (" *" if definition.required else "")
    if definition.type == "boolean":
        return BooleanField(label)
    if definition.type == "choice":
        return SelectField(label, choices=[("", "—")] + [(c, c) for c in definition.choices],
                           validate_choice=False)
    render_kw = {"placeholder": "YYYY-MM-DD"} if definition.type == "date" else {}
    if definition.type in {"number", "integer"}:
        render_kw = {"inputmode": "decimal"}
    return StringField(label, validators=[Optional()], render_kw=render_kw)


def with_custom_fields(form_class: type, defined: list[CustomField]) -> type:
    """A subclass of ``form_class`` with one input per definition, named ``cf_<key>``."""
    if not defined:
        return form_class
    return type(form_class.__name__, (form_class,), {PREFIX + d.key: _field(d) for d in defined})


def digit_keys(defined: list[CustomField]) -> set[str]:
    return {PREFIX + d.key for d in defined if d.type in {"number", "integer", "date"}}


def prefill(form: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        field = form._fields.get(PREFIX + key)
        if field is not None and field.data in (None, "", False):
            field.data = value


def take(values: dict[str, Any]) -> dict[str, Any]:
    """Remove the ``cf_`` inputs from the form values and return them as ``custom_fields``."""
    taken = {}
    for name in [n for n in values if n.startswith(PREFIX)]:
        value = values.pop(name)
        taken[name[len(PREFIX):]] = None if value == "" else value
    return taken
