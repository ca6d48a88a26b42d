from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from crm_loyalty.points import (
    Earned,
    EarningRules,
    Expired,
    ExpiringLot,
    LedgerError,
    Redeemed,
    Rounding,
    earn_points,
    fifo_expiry,
    points_for_amount,
    round_points,
)


@pytest.mark.parametrize(
    ("value", "rounding", "step", "expected"),
    [
        ("2.5", "down", 1, 2),
        ("2.5", "half_up", 1, 3),
        ("2.4", "half_up", 1, 2),
        ("2.1", "up", 1, 3),
        (23, "down", 5, 20),
        (23, "half_up", 5, 25),
        (22, "half_up", 5, 20),
        (21, "up", 5, 25),
    ],
)
def test_rounding_modes_and_steps(value: str, rounding: str, step: int, expected: int) -> None:
    assert round_points(value, rounding, step) == expected


def test_points_per_amount_spent() -> None:
    # 1 point per 10,000 spent
    assert points_for_amount(125_000, unit_amount=10_000) == 12
    assert points_for_amount(125_000, unit_amount=10_000, rounding=Rounding.HALF_UP) == 13


def test_decimal_amounts_do_not_lose_points() -> None:
    assert points_for_amount(0.3, points_per_unit=10, unit_amount=0.1) == 30  # float 0.3 / 0.1 < 3


def test_points_per_purchase_and_multiplier() -> None:
    rules = EarningRules(points_per_unit=1, unit_amount=100, points_per_purchase=5, multiplier=Decimal(2))
    earned = earn_points(1_050, rules, purchase_date=date(2025, 5, 2))
    assert earned.breakdown == (("amount spent", 21), ("purchase", 10))
    assert earned.total == 31


def test_first_purchase_bonus() -> None:
    rules = EarningRules(first_purchase_bonus=50)
    assert earn_points(10, rules, purchase_date=date(2025, 5, 2), is_first_purchase=True).total == 60
    assert earn_points(10, rules, purchase_date=date(2025, 5, 2)).total == 10


def test_birthday_month_bonus() -> None:
    rules = EarningRules(birthday_month_bonus=100)
    birthday = date(1990, 5, 31)
    assert earn_points(10, rules, purchase_date=date(2025, 5, 1), birthday=birthday).total == 110
    assert earn_points(10, rules, purchase_date=date(2025, 6, 1), birthday=birthday).total == 10


def test_fifo_expiry_uses_oldest_points_first() -> None:
    ledger = [
        Earned(date(2024, 1, 10), 100, expires_on=date(2025, 1, 10)),
        Earned(date(2024, 3, 1), 50, expires_on=date(2025, 3, 1)),
        Redeemed(date(2024, 6, 1), 120),  # 100 from January, 20 from March
        Earned(date(2024, 9, 1), 70, expires_on=date(2025, 9, 1)),
    ]
    report = fifo_expiry(ledger, by=date(2025, 3, 31))
    assert report.expiring == (ExpiringLot(date(2024, 3, 1), date(2025, 3, 1), 30),)
    assert report.total == 30
    assert report.balance == 70


def test_validity_period_and_expiry_day() -> None:
    ledger = [Earned(date(2024, 1, 1), 10), Earned(date(2024, 2, 1), 20)]
    report = fifo_expiry(ledger, by=date(2024, 12, 31), validity_days=365)  # first lot lapses on 2024-12-31
    assert [lot.points for lot in report.expiring] == [10]
    assert report.balance == 20


def test_redemption_cannot_use_lapsed_points() -> None:
    ledger = [Earned(date(2024, 1, 1), 10, expires_on=date(2024, 6, 1)), Redeemed(date(2024, 6, 1), 5)]
    with pytest.raises(LedgerError, match="redemption on 2024-06-01"):
        fifo_expiry(ledger, by=date(2024, 12, 31))


def test_posted_expiries_are_not_reported_again() -> None:
    ledger = [
        Earned(date(2024, 1, 1), 10, expires_on=date(2024, 6, 1)),
        Earned(date(2024, 2, 1), 10, expires_on=date(2025, 2, 1)),
        Expired(date(2024, 6, 1), 10),
    ]
    report = fifo_expiry(ledger, by=date(2024, 12, 31))
    assert report.expiring == ()
    assert report.balance == 10
