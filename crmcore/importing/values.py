"""Turn imported cells into typed values.

Every parser takes what the reader gives (text from CSV; from XLSX also numbers, dates and booleans), returns
None for an empty cell, and raises ValueError with a short reason fit for an error report, e.g.
``not a number: 'abc'``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from crmcore.importing.reader import CellValue
from crmcore.normalize import normalize_digits

_CURRENCIES = sorted(
    (
        "$", "€", "£", "¥", "₽", "₴", "₸", "₺", "₹", "﷼", "us$", "usd", "eur", "gbp", "rub", "uah", "irr",
        "irt", "kzt", "руб.", "руб", "р.", "грн.", "грн", "ریال", "تومان", "rial", "toman",
    ),
    key=len,
    reverse=True,
)
_GROUP_SPACE = re.compile(r"[\s'’]")
_SPACE_GROUPED = re.compile(r"\d{1,3}(?:[\s'’]\d{3})+(?:[.,]\d*)?")
_NUMBER = re.compile(r"(\d[\d.,]*|[.,]\d+)([eE][+-]?\d+)?")
_THOUSANDS_GROUPS = re.compile(r"\d{1,3}(?:x\d{3})*")
_MINUS = "-\u2212\u2013"
_PLAIN_NUMBER = re.compile(r"-?\d{1,18}(?:\.\d{1,18})?")

_TRUE = frozenset({"true", "t", "yes", "y", "1", "on", "да", "д", "так", "بله", "آری", "آره", "درست"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off", "нет", "н", "ні", "خیر", "نه", "نخیر", "غلط"})

_DATE_TIME = re.compile(
    r"""
    (?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})
    (?:
        (?:[T\s]+|\s*,\s*)
        (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6})\d*)?)?
        \s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?
        \s*(?P<tz>Z|[+-]\d{2}:?\d{2})?
    )?
    """,
    re.VERBOSE,
)


def parse_decimal(value: CellValue, *, decimal_separator: str | None = None) -> Decimal | None:
    """Read a number such as ``1 234,50``, ``$1,234.50``, ``(12.00)``, ``۱۲٬۵۰۰٫۷۵`` or ``1.5E+3``.

    With both '.' and ',' present the later one is the decimal separator. A lone ',' followed by exactly three
    digits ("1,234") is taken as a thousands separator; pass ``decimal_separator=","`` for files where it is
    not (a semicolon-separated CSV from a Russian Excel is a good sign of that).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {_show(value)}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"not a number: {_show(value)}")
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise ValueError(f"not a number: {_show(value)}")
    text = value.strip()
    if not text:
        return None
    if decimal_separator in (None, ".") and _PLAIN_NUMBER.fullmatch(text):
        return Decimal(text)  # the common case of machine-written files, read without the locale guessing
    number = _decimal_from_text(text, decimal_separator)
    if number is None:
        raise ValueError(f"not a number: {_show(text)}")
    return number


def parse_int(value: CellValue) -> int | None:
    """Read a whole number; ``6.0`` is accepted (spreadsheets store counts as floats), ``6.5`` is not."""
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number: {_show(value)}")
    return int(number)


def parse_bool(value: CellValue) -> bool | None:
    """Read yes/no, true/false, 1/0, да/нет, так/ні, بله/خیر."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = normalize_digits(value.strip()).casefold()
        if not text:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"not a yes/no value: {_show(value)}")


def parse_datetime(value: CellValue, *, day_first: bool = False) -> datetime | None:
    """Read a date with an optional time of day.

    Accepted: ISO (``2010-12-01 08:26:00``, ``2010-12-01T08:26Z``), ``Y/m/d``, ``d.m.Y`` and, for slashes or
    dashes with the year last, ``m/d/Y`` (as in ``12/1/2010 8:26``) or, with ``day_first``, ``d/m/Y``.
    Two-digit years and 12-hour times with AM/PM are understood. The result is naive unless the text names a
    UTC offset.
    """
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if not isinstance(value, str):
        raise ValueError(f"not a date: {_show(value)}")
    text = normalize_digits(value.strip())
    if not text:
        return None
    match = _DATE_TIME.fullmatch(text)
    if not match:
        raise ValueError(f"not a date: {_show(value)}")
    day = _date_from_match(match, day_first, value)
    if match["hour"] is None:
        return datetime.combine(day, time())
    return datetime.combine(day, _time_from_match(match, value))


def parse_date(value: CellValue, *, day_first: bool = False) -> date | None:
    """Read a date in the formats of ``parse_datetime``; a time of day, if present, is dropped."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    moment = parse_datetime(value, day_first=day_first)
    return moment.date() if moment else None


def parse_text(value: CellValue) -> str | None:
    """A cell as text: numbers without a spurious ``.0`` (an XLSX id 17850 is read as 17850.0), ISO dates."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _decimal_from_text(text: str, decimal_separator: str | None) -> Decimal | None:
    body = normalize_digits(text)
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1]
    body = _strip_currency(body)
    if body[:1] and body[0] in _MINUS + "+":
        negative ^= body[0] in _MINUS
        body = _strip_currency(body[1:])
    elif body[-1:] and body[-1] in _MINUS:
        negative, body = not negative, body[:-1].strip()
    if _GROUP_SPACE.search(body):
        if not _SPACE_GROUPED.fullmatch(body):
            return None
        body = _GROUP_SPACE.sub("", body)
    match = _NUMBER.fullmatch(body)
    if not match:
        return None
    digits = _plain_digits(match[1], decimal_separator)
    if digits is None:
        return None
    try:
        number = Decimal(digits + (match[2] or ""))
    except InvalidOperation:
        return None
    return -number if negative else number


def _plain_digits(body: str, decimal_separator: str | None) -> str | None:
    """``1.234,5`` -> ``1234.5``: decide which separator is the decimal one and check the digit grouping."""
    dots, commas = body.count("."), body.count(",")
    decimal: str | None
    if decimal_separator in (".", ","):
        decimal = decimal_separator
    elif dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
    elif dots > 1 or commas > 1:
        decimal = None
    elif commas == 1:
        whole, fraction = body.split(",")
        decimal = None if len(fraction) == 3 and len(whole) <= 3 and whole.strip("0") else ","
    else:
        decimal = "."
    if decimal is None:
        thousands = "," if commas else "."
        whole, fraction = body, ""
    else:
        thousands = "," if decimal == "." else "."
        whole, _, fraction = body.partition(decimal)
    if fraction and not fraction.isdigit():
        return None
    if thousands in whole:
        if not _THOUSANDS_GROUPS.fullmatch(whole.replace(thousands, "x")):
            return None
        whole = whole.replace(thousands, "")
    if whole and not whole.isdigit():
        return None
    if fraction:
        return f"{whole or '0'}.{fraction}"
    return whole or None


def _strip_currency(text: str) -> str:
    """Remove currency symbols and codes, and the spaces around them, from both ends."""
    changed = True
    while changed and text:
        changed = False
        text = text.strip()
        lowered = text.casefold()
        for symbol in _CURRENCIES:
            if lowered.startswith(symbol):
                text, changed = text[len(symbol) :], True
                break
            if lowered.endswith(symbol):
                text, changed = text[: -len(symbol)], True
                break
    return text


def _date_from_match(match: re.Match[str], day_first: bool, original: CellValue) -> date:
    a, b, c = match["a"], match["b"], match["c"]
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif len(a) <= 2 and len(c) in (2, 4):
        year = int(c) if len(c) == 4 else _century(int(c))
        if match["sep"] == "." or day_first:
            day, month = int(a), int(b)
        else:
            month, day = int(a), int(b)
    else:
        raise ValueError(f"not a date: {_show(original)}")
    if 1300 <= year < 1500:
        raise ValueError(f"a Solar Hijri date? convert it to the Gregorian calendar: {_show(original)}")
    if not 1800 <= year <= 2200:
        raise ValueError(f"not a date: {_show(original)}")
    try:
        return date(year, month, day)
    except ValueError:
        order = "day/month" if match["sep"] == "." or day_first or len(a) == 4 else "month/day"
        raise ValueError(f"not a date ({order}): {_show(original)}") from None


def _time_from_match(match: re.Match[str], original: CellValue) -> time:
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    micro = int((match["fraction"] or "0").ljust(6, "0"))
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"not a time: {_show(original)}")
        hour = hour % 12 + (12 if match["ampm"][0] in "Pp" else 0)
    tzinfo = None
    if match["tz"]:
        tzinfo = UTC
        if match["tz"] != "Z":
            sign = -1 if match["tz"][0] == "-" else 1
            digits = match["tz"][1:].replace(":", "")
            tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return time(hour, minute, second, micro, tzinfo=tzinfo)
    except ValueError:
        raise ValueError(f"not a time: {_show(original)}") from None


def _century(year: int) -> int:
    return year + (2000 if year < 69 else 1900)


def _show(value: object, limit: int = 40) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text)
