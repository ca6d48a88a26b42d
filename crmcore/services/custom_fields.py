from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from crmcore.errors import ValidationFailed
from crmcore.models import CustomField
from crmcore.normalize import normalize_digits


def _coerce(definition: CustomField, value: Any) -> Any:
    if value is None or value == "":
        return None
    kind = definition.type
    if kind == "text":
        text = str(value).strip()
        if len(text) > 2000:
            raise ValueError("Longer than 2000 characters.")
        return text
    if kind in {"number", "integer"}:
        try:
            number = Decimal(normalize_digits(str(value)).replace(",", "."))
        except InvalidOperation:
            raise ValueError("Not a number.") from None
        if not number.is_finite():
            raise ValueError("Not a number.")
        if kind == "integer":
            if number != number.to_integral_value():
                raise ValueError("Not a whole number.")
            return int(number)
        return str(number)
    if kind == "date":
        try:
            return date.fromisoformat(normalize_digits(str(value))).isoformat()
        except ValueError:
            raise ValueError("Not a date (use YYYY-MM-DD).") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in {"1", "true", "yes", "y", "да", "бله", "بله"}:
            return True
        if lowered in {"0", "false", "no", "n", "нет", "خیر"}:
            return False
        raise ValueError("Not yes or no.")
    if kind == "choice":
        if str(value) not in definition.choices:
            raise ValueError(f"Must be one of: {', '.join(definition.choices)}.")
        return str(value)
    raise ValueError(f"Unknown field type {kind}.")


def validate_custom_fields(definitions: Iterable[CustomField], values: Mapping[str, Any]) -> dict[str, Any]:
    """Check values against the admin's definitions; unknown keys and bad values are refused by name."""
    by_key = {d.key: d for d in definitions}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        definition = by_key.get(key)
        if definition is None:
            errors[f"custom_fields.{key}"] = ["No such custom field; an admin can define it."]
            continue
        try:
            coerced = _coerce(definition, value)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = [str(exc)]
            continue
        if coerced is not None:
            clean[key] = coerced
    for key, definition in by_key.items():
        if definition.required and clean.get(key) is None:
            errors.setdefault(f"custom_fields.{key}", ["Missing data for required field."])
    if errors:
        raise ValidationFailed(errors)
    return clean
