from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from crm_loyalty.cards import (
    card_qr_svg,
    format_card_number,
    generate_card_number,
    is_valid_card_number,
    luhn_check_digit,
    normalize_card_number,
)


def test_luhn_check_digit_of_known_numbers() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("453201511283036") == "6"


def test_valid_number_passes_and_typo_fails() -> None:
    assert is_valid_card_number("79927398713")
    assert not is_valid_card_number("79927398714")  # one digit changed
    assert not is_valid_card_number("79927398731")  # last two digits swapped


def test_generated_numbers_have_prefix_length_and_check_digit() -> None:
    numbers = {generate_card_number(prefix="6219", length=16) for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert len(number) == 16 and number.startswith("6219")
        assert is_valid_card_number(number, prefix="6219", length=16)


def test_normalises_separators_and_persian_arabic_digits() -> None:
    assert normalize_card_number(" 7992-7398 713 ") == "79927398713"
    assert normalize_card_number("۷۹۹۲ ۷۳۹۸ ۷۱۳") == "79927398713"  # Persian
    assert normalize_card_number("٧٩٩٢-٧٣٩٨-٧١٣") == "79927398713"  # Arabic-Indic
    assert is_valid_card_number("۷۹۹۲۷۳۹۸۷۱۳")


def test_rejects_letters() -> None:
    with pytest.raises(ValueError):
        normalize_card_number("7992A398713")
    assert not is_valid_card_number("7992A398713")


def test_prefix_must_leave_room_for_random_digits() -> None:
    with pytest.raises(ValueError, match="prefix too long"):
        generate_card_number(prefix="1234567890", length=16)


def test_format_groups_digits() -> None:
    assert format_card_number("۶۰۳۷۹۹۱۲۳۴۵۶۷۸۹۳") == "6037 9912 3456 7893"


def test_qr_code_is_a_standalone_svg() -> None:
    svg = card_qr_svg("6037 9912 3456 7893", title="Loyalty card")
    root = ET.fromstring(svg)  # noqa: S314 - parses our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width", "0")) >= 21 * 4  # a full QR code (21+ modules), not a Micro QR
    assert svg == card_qr_svg("6037-9912-3456-7893", title="Loyalty card")
