"""Earning rules and first-in-first-out expiry of loyalty points, as pure functions.

Money is handled as ``Decimal`` (floats are converted through their string form) so that
"1 point per 10,000" never loses a point to binary rounding; points are whole numbers.

Expiry model: each earning is a lot with an expiry date; points of a lot can be used on days
*before* its ``expires_on`` and have lapsed from that day on. Redemptions use the oldest
usable lots first (FIFO), so what is left to lapse is always the youngest points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum

__all__ = [
    "EarnedPoints",
    "Earned",
    "EarningRules",
    "Expired",
    "ExpiringLot",
    "ExpiryReport",
    "LedgerError",
    "Redeemed",
    "Rounding",
    "earn_points",
    "fifo_expiry",
    "points_for_amount",
    "round_points",
]

Number = Decimal | int | float | str


class Rounding(StrEnum):
    """How fractional points become whole ones (symmetric around zero)."""

    DOWN = "down"
    HALF_UP = "half_up"
    UP = "up"


_DECIMAL_ROUNDING = {Rounding.DOWN: ROUND_DOWN, Rounding.HALF_UP: ROUND_HALF_UP, Rounding.UP: ROUND_UP}


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_points(value: Number, rounding: Rounding | str = Rounding.DOWN, step: int = 1) -> int:
    """``value`` rounded to a whole multiple of ``step`` points (``step=5``: 23 -> 20/25/25)."""
    if step < 1:
        raise ValueError("step must be a positive whole number of points")
    mode = _DECIMAL_ROUNDING[Rounding(rounding)]
    steps = (_decimal(value) / step).quantize(Decimal(1), rounding=mode)
    return int(steps) * step


def points_for_amount(
    amount: Number,
    *,
    points_per_unit: Number = 1,
    unit_amount: Number = 1,
    rounding: Rounding | str = Rounding.DOWN,
    step: int = 1,
    multiplier: Number = 1,
) -> int:
    """Points for spending ``amount``: ``amount / unit_amount * points_per_unit * multiplier``, rounded once."""
    unit = _decimal(unit_amount)
    if unit <= 0:
        raise ValueError("unit_amount must be positive")
    raw = _decimal(amount) / unit * _decimal(points_per_unit) * _decimal(multiplier)
    return round_points(raw, rounding, step)


@dataclass(frozen=True)
class EarningRules:
    """A programme's earning rules.

    ``points_per_unit`` points for every ``unit_amount`` spent, rounded by ``rounding`` to a
    multiple of ``step``; ``points_per_purchase`` for any purchase; the ``multiplier`` (a
    tier or a double-points campaign) scales both. The first-purchase and birthday-month
    bonuses are added as they are.
    """

    points_per_unit: Decimal = Decimal(1)
    unit_amount: Decimal = Decimal(1)
    rounding: Rounding = Rounding.DOWN
    step: int = 1
    points_per_purchase: int = 0
    first_purchase_bonus: int = 0
    birthday_month_bonus: int = 0
    multiplier: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "points_per_unit", _decimal(self.points_per_unit))
        object.__setattr__(self, "unit_amount", _decimal(self.unit_amount))
        object.__setattr__(self, "multiplier", _decimal(self.multiplier))
        object.__setattr__(self, "rounding", Rounding(self.rounding))
        if self.unit_amount <= 0:
            raise ValueError("unit_amount must be positive")
        if self.multiplier < 0:
            raise ValueError("multiplier must not be negative")
        if self.step < 1:
            raise ValueError("step must be a positive whole number of points")


@dataclass(frozen=True)
class EarnedPoints:
    """Points for one purchase and where they come from (``(label, points)`` lines)."""

    total: int
    breakdown: tuple[tuple[str, int], ...]


def _gregorian_month(day: date) -> int:
    return day.month


def earn_points(
    amount: Number,
    rules: EarningRules,
    *,
    purchase_date: date,
    is_first_purchase: bool = False,
    birthday: date | None = None,
    month_of: Callable[[date], int] = _gregorian_month,
) -> EarnedPoints:
    """Points earned by one purchase of ``amount`` (refunds are reversed by the caller).

    The birthday bonus applies when ``month_of(purchase_date) == month_of(birthday)``;
    pass a ``month_of`` for another calendar (e.g. the Persian one).
    """
    value = _decimal(amount)
    if value < 0:
        raise ValueError("amount must not be negative")
    lines: list[tuple[str, int]] = []
    spent = points_for_amount(
        value,
        points_per_unit=rules.points_per_unit,
        unit_amount=rules.unit_amount,
        rounding=rules.rounding,
        step=rules.step,
        multiplier=rules.multiplier,
    )
    if spent:
        lines.append(("amount spent", spent))
    if rules.points_per_purchase:
        per_purchase = round_points(rules.points_per_purchase * rules.multiplier, rules.rounding)
        if per_purchase:
            lines.append(("purchase", per_purchase))
    if is_first_purchase and rules.first_purchase_bonus:
        lines.append(("first purchase bonus", rules.first_purchase_bonus))
    if birthday is not None and rules.birthday_month_bonus and month_of(purchase_date) == month_of(birthday):
        lines.append(("birthday month bonus", rules.birthday_month_bonus))
    return EarnedPoints(total=sum(points for _, points in lines), breakdown=tuple(lines))


# ---------------------------------------------------------------------------------------
# FIFO expiry


class LedgerError(ValueError):
    """The ledger uses more points than it holds."""


@dataclass(frozen=True)
class Earned:
    """Points credited on ``on``; ``expires_on`` defaults to ``on + validity_days``."""

    on: date
    points: int
    expires_on: date | None = None


@dataclass(frozen=True)
class Redeemed:
    """Points spent on ``on`` (a positive number)."""

    on: date
    points: int


@dataclass(frozen=True)
class Expired:
    """An expiry already posted to the ledger on ``on`` (a positive number of points)."""

    on: date
    points: int


LedgerEntry = Earned | Redeemed | Expired


@dataclass(frozen=True)
class ExpiringLot:
    """Unused points of one earning that lapse on ``expires_on``."""

    earned_on: date
    expires_on: date
    points: int


@dataclass(frozen=True)
class ExpiryReport:
    """Points lapsing by the report date, oldest first, and the usable balance left after them."""

    expiring: tuple[ExpiringLot, ...]
    balance: int

    @property
    def total(self) -> int:
        return sum(lot.points for lot in self.expiring)


@dataclass
class _Lot:
    earned_on: date
    expires_on: date | None
    remaining: int

    def usable_on(self, day: date) -> bool:
        return self.expires_on is None or day < self.expires_on


def _take(lots: list[_Lot], points: int, eligible: Callable[[_Lot], bool], what: str, on: date) -> None:
    for lot in lots:
        if points == 0:
            return
        if lot.remaining and eligible(lot):
            used = min(lot.remaining, points)
            lot.remaining -= used
            points -= used
    if points:
        raise LedgerError(f"{what} on {on.isoformat()} exceeds the available points by {points}")


def fifo_expiry(entries: Iterable[LedgerEntry], by: date, *, validity_days: int | None = None) -> ExpiryReport:
    """Which points lapse on or before ``by``, oldest first, given the ledger up to ``by``.

    Redemptions consume the oldest lots still usable on their date. Expiries already posted
    (``Expired``) consume the oldest lapsed lots, so running this again after posting its
    result reports nothing new. Entries dated after ``by`` are ignored. Raises
    ``LedgerError`` when a redemption or posted expiry exceeds what was there.
    """
    order = {Earned: 0, Expired: 1, Redeemed: 2}
    ledger = sorted(
        (e for e in entries if e.on <= by),
        key=lambda e: (e.on, order[type(e)]),
    )
    lots: list[_Lot] = []
    for entry in ledger:
        if entry.points < 0:
            raise ValueError(f"ledger entry with negative points: {entry!r}")
        if isinstance(entry, Earned):
            expires_on = entry.expires_on
            if expires_on is None and validity_days is not None:
                expires_on = entry.on + timedelta(days=validity_days)
            lots.append(_Lot(entry.on, expires_on, entry.points))
        elif isinstance(entry, Redeemed):
            day = entry.on
            _take(lots, entry.points, lambda lot, day=day: lot.usable_on(day), "redemption", day)
        else:
            day = entry.on
            _take(lots, entry.points, lambda lot, day=day: not lot.usable_on(day), "posted expiry", day)

    lots.sort(key=lambda lot: lot.earned_on)
    expiring = tuple(
        ExpiringLot(lot.earned_on, lot.expires_on, lot.remaining)
        for lot in lots
        if lot.remaining and lot.expires_on is not None and not lot.usable_on(by)
    )
    balance = sum(lot.remaining for lot in lots if lot.usable_on(by))
    return ExpiryReport(expiring=expiring, balance=balance)
