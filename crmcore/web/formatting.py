"""Dates, numbers and money shown in the user's language (flask-babel), in lists, pages and charts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal


def format_datetime_value(view: Any, context: Any, model: Any, name: str) -> str:
    """A Flask-Admin column formatter for dates and times."""
    return format_when(getattr(model, name))


def format_when(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "short")
    return format_date(value, "medium")


def format_number(value: Any, digits: int = 0) -> str:
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(Decimal(value), format=pattern)


def format_money(amount: Any, currency: str | None = None) -> str:
    if amount is None:
        return ""
    text = format_number(amount, 2)
    return f"{text} {currency}" if currency else text
