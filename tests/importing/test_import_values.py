"""Parsing cells into numbers, dates and yes/no values the way users in four languages type them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crmcore.importing import parse_bool, parse_date, parse_datetime, parse_decimal, parse_int, parse_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.5"),
        ("-7", "-7"),
        ("\u22127", "-7"),
        (".5", "0.5"),
        ("2,55", "2.55"),
        ("0,125", "0.125"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234\u00a0567,5", "1234567.5"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1,234", "1234"),
        ("$1,234.50", "1234.50"),
        ("€ 12,5", "12.5"),
        ("12,5 €", "12.5"),
        ("-$5.00", "-5.00"),
        ("1 500 руб.", "1500"),
        ("250 грн", "250"),
        ("(1,234.00)", "-1234.00"),
        ("۱۲٬۵۰۰٫۷۵", "12500.75"),
        ("٣٤٥", "345"),
        ("۱۲۰۰۰ تومان", "12000"),
        ("1.5E+3", "1500"),
    ],
)
def test_decimal_from_text(text, expected):
    assert parse_decimal(text) == Decimal(expected)


def test_decimal_separator_can_be_fixed_for_a_comma_decimal_file():
    assert parse_decimal("1,234", decimal_separator=",") == Decimal("1.234")
    assert parse_decimal("1.234", decimal_separator=",") == Decimal("1234")


def test_decimal_from_spreadsheet_numbers():
    assert parse_decimal(2.55) == Decimal("2.55")
    assert parse_decimal(6) == Decimal(6)
    assert parse_decimal(Decimal("1.10")) == Decimal("1.10")


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_cell_is_none(empty):
    assert parse_decimal(empty) is None
    assert parse_int(empty) is None
    assert parse_bool(empty) is None
    assert parse_datetime(empty) is None
    assert parse_date(empty) is None
    assert parse_text(empty) is None


@pytest.mark.parametrize("text", ["abc", "12abc", "1,2,3", "1..2", "--5", "12,34,5.6", "nan", "1 2 3 4"])
def test_not_a_number(text):
    with pytest.raises(ValueError, match=r"^not a number: "):
        parse_decimal(text)


def test_error_quotes_the_value():
    with pytest.raises(ValueError) as caught:
        parse_decimal("abc")
    assert str(caught.value) == "not a number: 'abc'"


def test_error_truncates_a_long_value():
    with pytest.raises(ValueError) as caught:
        parse_decimal("x" * 1000)
    assert len(str(caught.value)) < 60


def test_integers():
    assert parse_int("42") == 42
    assert parse_int("6.0") == 6
    assert parse_int(17850.0) == 17850
    assert parse_int("1 000") == 1000
    assert parse_int("۴۲") == 42
    with pytest.raises(ValueError, match=r"^not a whole number: '6.5'$"):
        parse_int("6.5")


@pytest.mark.parametrize("text", ["yes", "Y", "TRUE", "1", "да", "Так", "بله", "آری", "۱", "on"])
def test_yes(text):
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["no", "N", "false", "0", "Нет", "ні", "خیر", "نه", "۰", "off"])
def test_no(text):
    assert parse_bool(text) is False


def test_not_a_yes_no_value():
    with pytest.raises(ValueError, match=r"^not a yes/no value: 'maybe'$"):
        parse_bool("maybe")
    assert parse_bool(True) is True
    assert parse_bool(0) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-12-01", datetime(2010, 12, 1)),
        ("2010-12-01 08:26:00", datetime(2010, 12, 1, 8, 26)),
        ("2010-12-01T08:26:30.250", datetime(2010, 12, 1, 8, 26, 30, 250000)),
        ("12/1/2010 8:26", datetime(2010, 12, 1, 8, 26)),
        ("3/4/2024 2:15 PM", datetime(2024, 3, 4, 14, 15)),
        ("3/4/2024 12:05 am", datetime(2024, 3, 4, 0, 5)),
        ("01.12.2010", datetime(2010, 12, 1)),
        ("01.12.2010 08:26", datetime(2010, 12, 1, 8, 26)),
        ("1.2.24", datetime(2024, 2, 1)),
        ("2010/12/01", datetime(2010, 12, 1)),
        ("۲۰۲۴-۰۳-۰۵", datetime(2024, 3, 5)),
    ],
)
def test_datetimes(text, expected):
    assert parse_datetime(text) == expected


def test_day_first_reads_slashes_as_day_month_year():
    assert parse_datetime("12/1/2010 8:26", day_first=True) == datetime(2010, 1, 12, 8, 26)
    assert parse_date("01/02/2024", day_first=True) == date(2024, 2, 1)


def test_dots_are_always_day_first():
    assert parse_date("05.03.2024") == date(2024, 3, 5)


def test_utc_offsets_give_aware_datetimes():
    assert parse_datetime("2024-03-05T14:30:00Z") == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    tehran = timezone(timedelta(hours=3, minutes=30))
    assert parse_datetime("2024-03-05 14:30+03:30") == datetime(2024, 3, 5, 14, 30, tzinfo=tehran)


@pytest.mark.parametrize("text", ["13/1/2010", "31.02.2024", "2024-13-01", "yesterday", "12/1", "25:00 1/1/2024"])
def test_not_a_date(text):
    with pytest.raises(ValueError, match=r"^not a date"):
        parse_datetime(text)


def test_impossible_time():
    with pytest.raises(ValueError, match=r"^not a time: "):
        parse_datetime("2024-01-01 25:00")


def test_month_first_error_says_which_order_was_expected():
    with pytest.raises(ValueError, match=r"^not a date \(month/day\): '13/1/2010'$"):
        parse_date("13/1/2010")


def test_solar_hijri_dates_are_refused_rather_than_misread():
    with pytest.raises(ValueError, match="Solar Hijri"):
        parse_date("۱۴۰۲/۰۵/۱۲")


def test_date_drops_the_time_and_accepts_spreadsheet_values():
    assert parse_date("2010-12-01 08:26:00") == date(2010, 12, 1)
    assert parse_date(datetime(2024, 1, 2, 9, 30)) == date(2024, 1, 2)
    assert parse_datetime(date(2024, 1, 2)) == datetime(2024, 1, 2)


def test_text_of_spreadsheet_values():
    assert parse_text("  Анна ") == "Анна"
    assert parse_text(17850.0) == "17850"
    assert parse_text(2.5) == "2.5"
    assert parse_text(datetime(2024, 1, 2, 9, 30)) == "2024-01-02 09:30:00"
    assert parse_text(True) == "yes"
