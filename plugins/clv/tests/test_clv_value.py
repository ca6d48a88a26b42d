"""Discounted CLV and per-customer scores from BG/NBD purchases and Gamma-Gamma spend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crm_clv.bgnbd import BGNBDParams, conditional_expected_purchases, probability_alive
from crm_clv.clv import PERIOD_WEEKS, expected_clv, period_discount_rate, score_customers
from crm_clv.gamma_gamma import GammaGammaParams, conditional_expected_spend


@pytest.fixture(scope="module")
def customers(cdnow_summary: pd.DataFrame) -> tuple[np.ndarray, ...]:
    s = cdnow_summary
    return tuple(s[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))


def test_monthly_rates_compound_to_the_annual_rate() -> None:
    monthly = period_discount_rate(0.12, "month")
    weekly = period_discount_rate(0.12, "week")
    assert (1 + monthly) ** 12 == pytest.approx(1.12)
    assert (1 + weekly) ** (365.25 / 7) == pytest.approx(1.12)


def test_without_discounting_clv_is_expected_spend_times_expected_purchases_over_the_horizon(
    bgnbd: BGNBDParams, gamma_gamma: GammaGammaParams, customers: tuple[np.ndarray, ...]
) -> None:
    x, t_x, T, zbar = customers
    clv = expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar, horizon=12, period="month", annual_discount_rate=0.0)
    purchases = conditional_expected_purchases(bgnbd, 12 * PERIOD_WEEKS["month"], x, t_x, T)
    np.testing.assert_allclose(clv, conditional_expected_spend(gamma_gamma, x, zbar) * purchases, rtol=1e-10)


def test_discounting_lowers_clv_and_a_longer_horizon_raises_it(
    bgnbd: BGNBDParams, gamma_gamma: GammaGammaParams, customers: tuple[np.ndarray, ...]
) -> None:
    x, t_x, T, zbar = customers
    one_year = expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar, horizon=12, annual_discount_rate=0.0)
    discounted = expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar, horizon=12, annual_discount_rate=0.15)
    two_years = expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar, horizon=24, annual_discount_rate=0.15)
    assert np.all(discounted < one_year)
    assert np.all(discounted > one_year / 1.15)
    assert np.all(two_years > discounted)


def test_weekly_and_monthly_periods_value_the_same_year_alike(
    bgnbd: BGNBDParams, gamma_gamma: GammaGammaParams, customers: tuple[np.ndarray, ...]
) -> None:
    x, t_x, T, zbar = customers
    weekly = expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar, horizon=52, period="week", annual_discount_rate=0.1)
    monthly = expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar, horizon=12, period="month", annual_discount_rate=0.1)
    np.testing.assert_allclose(weekly, monthly, rtol=0.02)


def test_margin_scales_clv(
    bgnbd: BGNBDParams, gamma_gamma: GammaGammaParams, customers: tuple[np.ndarray, ...]
) -> None:
    x, t_x, T, zbar = customers
    revenue = expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar)
    profit = expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar, margin=0.3)
    np.testing.assert_allclose(profit, 0.3 * revenue)


def test_scores_give_one_entry_per_customer_consistent_with_the_models(
    bgnbd: BGNBDParams, gamma_gamma: GammaGammaParams, customers: tuple[np.ndarray, ...]
) -> None:
    x, t_x, T, zbar = customers
    scores = score_customers(
        bgnbd,
        gamma_gamma,
        x,
        t_x,
        T,
        zbar,
        purchase_horizon_days=273,
        clv_horizon=12,
        clv_period="month",
        annual_discount_rate=0.1,
    )
    for values in scores:
        assert values.shape == x.shape
        assert np.all(np.isfinite(values)) and np.all(values >= 0)
    np.testing.assert_allclose(scores.p_alive, probability_alive(bgnbd, x, t_x, T))
    np.testing.assert_allclose(scores.expected_purchases, conditional_expected_purchases(bgnbd, 39, x, t_x, T))
    np.testing.assert_allclose(scores.expected_spend, conditional_expected_spend(gamma_gamma, x, zbar))
    np.testing.assert_allclose(scores.clv, expected_clv(bgnbd, gamma_gamma, x, t_x, T, zbar))


def test_a_recent_frequent_buyer_is_worth_more_than_a_lapsed_one(
    bgnbd: BGNBDParams, gamma_gamma: GammaGammaParams
) -> None:
    recent, lapsed = score_customers(
        bgnbd, gamma_gamma, frequency=[6, 6], recency=[38.0, 8.0], T=[38.86, 38.86], monetary_value=[40.0, 40.0]
    ).clv
    one_time = score_customers(bgnbd, gamma_gamma, [0], [0.0], [38.86], [0.0]).clv[0]
    assert recent > 5 * lapsed
    assert recent > one_time
