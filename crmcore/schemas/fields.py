from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from crmcore.normalize import normalize_digits, normalize_email, normalize_phone


class TrimmedString(fields.String):
    """A string stripped of surrounding white space, with a length limit; blank becomes None."""

    def __init__(self, *, max_length: int = 300, **kwargs: Any) -> None:
        given = kwargs.pop("validate", None)
        validators = [] if given is None else list(given) if isinstance(given, list | tuple) else [given]
        validators.append(validate.Length(max=max_length))
        super().__init__(validate=validators, **kwargs)
        self.max_length = max_length

    def _validate(self, value: Any) -> None:
        if value is not None:
            super()._validate(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if isinstance(value, str) and len(value) > self.max_length * 4 + 1024:
            raise ValidationError(f"Longer than maximum length {self.max_length}.")
        text = super()._deserialize(value, attr, data, **kwargs)
        text = text.strip() if text is not None else None
        if "\x00" in (text or ""):
            raise ValidationError("Contains a NUL character.")
        if not text:
            if self.required:
                raise ValidationError("Missing data for required field.")
            return None
        return text


class Email(TrimmedString):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=254, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        try:
            return normalize_email(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class Phone(TrimmedString):
    """A phone number stored as E.164; numbers without a country code are read in the record's country."""

    def __init__(self, region_field: str | None = "country", **kwargs: Any) -> None:
        super().__init__(max_length=40, **kwargs)
        self.region_field = region_field

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        region = None
        if self.region_field and isinstance(data, dict):
            region = data.get(self.region_field) or None
        try:
            return normalize_phone(text, region if isinstance(region, str) else None)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class LocalizedDecimal(fields.Decimal):
    """A decimal that also accepts Persian and Arabic digits; never a float."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(places=None, as_string=True, allow_nan=False, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, float):
            value = repr(value)
        if isinstance(value, str):
            value = normalize_digits(value).replace(" ", "").replace("\u00a0", "")
            if len(value) > 40:
                raise ValidationError("Not a valid number.")
        return super()._deserialize(value, attr, data, **kwargs)
