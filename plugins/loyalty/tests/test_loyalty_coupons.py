from __future__ import annotations

import re

import pytest
from crm_loyalty.coupons import (
    ALPHABET,
    coupon_entropy_bits,
    format_coupon_code,
    generate_coupon_code,
    generate_coupon_codes,
    is_well_formed_coupon_code,
    normalize_coupon_code,
)


def test_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1I") & set(ALPHABET)
    assert len(ALPHABET) == len(set(ALPHABET)) == 32


def test_default_code_has_at_least_60_bits() -> None:
    code = normalize_coupon_code(generate_coupon_code())
    assert coupon_entropy_bits(len(code)) >= 60


def test_too_short_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="60 bits"):
        generate_coupon_code(length=11)


def test_code_is_grouped_with_dashes() -> None:
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", generate_coupon_code())


def test_codes_do_not_repeat() -> None:
    codes = generate_coupon_codes(5000)
    assert len(set(codes)) == 5000


def test_input_is_normalised() -> None:
    assert normalize_coupon_code(" 7kqm-x3vd r9th ") == "7KQMX3VDR9TH"
    assert normalize_coupon_code("۷KQM–X3VD–R۹TH") == "7KQMX3VDR9TH"  # Persian digits, en dashes
    assert is_well_formed_coupon_code("7kqm x3vd r9th")


def test_look_alike_characters_are_not_well_formed() -> None:
    assert not is_well_formed_coupon_code("7KQM-X3VD-R9T0")
    assert not is_well_formed_coupon_code("7KQM-X3VD-R9TI")


def test_prefix_is_kept_in_front() -> None:
    code = generate_coupon_code(prefix="nowruz")
    assert code.startswith("NOWRUZ-")
    assert is_well_formed_coupon_code(code.lower(), prefix="NOWRUZ")
    assert format_coupon_code(normalize_coupon_code(code), prefix="NOWRUZ") == code
