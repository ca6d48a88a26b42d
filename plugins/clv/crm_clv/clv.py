"""Discounted customer lifetime value from BG/NBD purchase counts and Gamma-Gamma spend.

CLV = margin * E[Z | x, zbar] * sum_i (E[Y(i d) | x, t_x, T] - E[Y((i - 1) d) | x, t_x, T]) / (1 + k)^i
over periods i = 1..n of length d weeks, with E[Y(t) | x, t_x, T] the BG/NBD conditional
expectation (Fader, Hardie & Lee 2005, eq. 10), E[Z | x, zbar] the Gamma-Gamma expected spend
(Fader & Hardie 2013, note 025) and k the per-period rate equivalent to the annual discount
rate. Each period's purchases are discounted from the end of the period.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from crm_clv.bgnbd import (
    BGNBDParams,
    _alive,
    _as_arrays,
    _expected_if_alive,
)
from crm_clv.gamma_gamma import GammaGammaParams, conditional_expected_spend

DAYS_PER_YEAR = 365.25
DAYS_PER_WEEK = 7.0
PERIOD_WEEKS = {"week": 1.0, "month": DAYS_PER_YEAR / 12.0 / DAYS_PER_WEEK}

Period = Literal["week", "month"]


class CustomerScores(NamedTuple):
    """Per-customer scores, one array entry per customer."""

    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray
    clv: np.ndarray


def period_discount_rate(annual_discount_rate: float, period: Period) -> float:
    """Per-period rate k with (1 + k)^(periods per year) = 1 + annual rate."""
    years = PERIOD_WEEKS[period] * DAYS_PER_WEEK / DAYS_PER_YEAR
    return float(np.expm1(years * np.log1p(annual_discount_rate)))


def discounted_expected_purchases(
    bgnbd: BGNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    horizon: int,
    period: Period = "month",
    annual_discount_rate: float = 0.1,
) -> np.ndarray:
    """Sum over the next ``horizon`` periods of each period's expected purchases, discounted.

    A period's expected purchases are the difference of the cumulative conditional
    expectations at its end and its start (FHL 2005, eq. 10); they are discounted to today
    from the end of the period.
    """
    if period not in PERIOD_WEEKS:
        raise ValueError(f"period must be one of {sorted(PERIOD_WEEKS)}")
    if horizon < 0:
        raise ValueError("horizon must not be negative")
    x, t_x, age = _as_arrays(frequency, recency, T)
    length = PERIOD_WEEKS[period]
    factor = 1.0 / (1.0 + period_discount_rate(annual_discount_rate, period))
    previous = np.zeros(x.shape)
    total = np.zeros(x.shape)
    for i in range(1, horizon + 1):
        cumulative = _expected_if_alive(bgnbd, i * length, x, age)
        total += (cumulative - previous) * factor**i
        previous = cumulative
    return total * _alive(bgnbd, x, t_x, age)


def expected_clv(
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon: int = 12,
    period: Period = "month",
    annual_discount_rate: float = 0.1,
    margin: float = 1.0,
) -> np.ndarray:
    """Expected discounted value of each customer's purchases over ``horizon`` periods.

    ``frequency``, ``recency`` and ``T`` are in weeks (see :mod:`crm_clv.summary`);
    ``monetary_value`` is the mean repeat spend; ``margin`` scales revenue to profit.
    """
    purchases = discounted_expected_purchases(
        bgnbd,
        frequency,
        recency,
        T,
        horizon=horizon,
        period=period,
        annual_discount_rate=annual_discount_rate,
    )
    spend = conditional_expected_spend(gamma_gamma, frequency, monetary_value)
    return margin * spend * purchases


def score_customers(
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    purchase_horizon_days: float = 90.0,
    clv_horizon: int = 12,
    clv_period: Period = "month",
    annual_discount_rate: float = 0.1,
    margin: float = 1.0,
) -> CustomerScores:
    """P(alive), expected purchases in the next ``purchase_horizon_days``, expected spend and CLV."""
    x, t_x, age = _as_arrays(frequency, recency, T)
    p_alive = _alive(bgnbd, x, t_x, age)
    purchases = _expected_if_alive(bgnbd, purchase_horizon_days / DAYS_PER_WEEK, x, age) * p_alive
    spend = conditional_expected_spend(gamma_gamma, x, monetary_value)
    discounted = discounted_expected_purchases(
        bgnbd,
        x,
        t_x,
        age,
        horizon=clv_horizon,
        period=clv_period,
        annual_discount_rate=annual_discount_rate,
    )
    return CustomerScores(
        p_alive=p_alive,
        expected_purchases=purchases,
        expected_spend=spend,
        clv=margin * spend * discounted,
    )
