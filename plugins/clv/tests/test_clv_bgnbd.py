"""BG/NBD (Fader, Hardie & Lee 2005) against the published CDNOW results, its formulas and simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from crm_clv.bgnbd import (
    BGNBDParams,
    conditional_expected_purchases,
    expected_purchases_new_customer,
    fit_bgnbd,
    log_likelihood,
    probability_alive,
)
from crm_clv.gamma_gamma import GammaGammaParams
from crm_clv.simulate import simulate_transactions
from crm_clv.summary import summary_from_arrays

PUBLISHED = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
PUBLISHED_LOG_LIKELIHOOD = -9582.4


def assert_published_parameters(fitted: BGNBDParams) -> None:
    assert fitted.converged
    assert fitted.r == pytest.approx(PUBLISHED.r, abs=1e-3)
    assert fitted.alpha == pytest.approx(PUBLISHED.alpha, abs=1e-3)
    assert fitted.a == pytest.approx(PUBLISHED.a, abs=1e-3)
    assert fitted.b == pytest.approx(PUBLISHED.b, abs=1e-3)
    assert fitted.log_likelihood == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.05)


def test_fit_on_the_published_summary_reproduces_the_published_parameters(
    published_summary: pd.DataFrame,
) -> None:
    s = published_summary
    fitted = fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert_published_parameters(fitted)
    assert fitted.n_customers == 2357


def test_fit_on_the_summary_built_from_transactions_reproduces_the_published_parameters(
    bgnbd: BGNBDParams,
) -> None:
    assert_published_parameters(bgnbd)


def test_log_likelihood_at_the_published_parameters_is_the_published_value(
    published_summary: pd.DataFrame,
) -> None:
    s = published_summary
    assert log_likelihood(PUBLISHED, s["frequency"], s["recency"], s["T"]) == pytest.approx(
        PUBLISHED_LOG_LIKELIHOOD, abs=0.05
    )


def test_expected_purchases_in_the_next_39_weeks_for_the_published_example_customer() -> None:
    expected = conditional_expected_purchases(PUBLISHED, 39, frequency=2, recency=30.43, T=38.86)
    assert float(expected) == pytest.approx(1.226, abs=5e-4)


def _hyp2f1_series(a: float, b: float, c: float, z: float) -> float:
    term, total, k = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(total):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
    return total


@pytest.mark.parametrize("x, t_x", [(0, 0.0), (1, 10.0), (5, 35.0), (40, 38.0), (120, 38.5)])
def test_conditional_expectation_agrees_with_the_direct_series_of_fhl_equation_10(x: int, t_x: float) -> None:
    r, alpha, a, b = PUBLISHED.r, PUBLISHED.alpha, PUBLISHED.a, PUBLISHED.b
    t, T = 39.0, 38.86
    z = t / (alpha + T + t)
    hyp = _hyp2f1_series(r + x, b + x, a + b + x - 1, z)
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    denominator = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    ours = conditional_expected_purchases(PUBLISHED, t, x, t_x, T)
    assert float(ours) == pytest.approx(numerator / denominator, rel=1e-9)


def test_expected_purchases_of_a_new_customer_match_simulated_customers() -> None:
    rng = np.random.default_rng(3)
    n, horizon = 200_000, 52.0
    rate = rng.gamma(PUBLISHED.r, 1 / PUBLISHED.alpha, n)
    dropout = rng.beta(PUBLISHED.a, PUBLISHED.b, n)
    clock, count = np.zeros(n), np.zeros(n)
    active = np.arange(n)
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / rate[active]
        active = active[clock[active] <= horizon]
        count[active] += 1
        active = active[rng.uniform(size=active.size) >= dropout[active]]
    standard_error = count.std() / math.sqrt(n)
    assert float(expected_purchases_new_customer(PUBLISHED, horizon)) == pytest.approx(
        count.mean(), abs=4 * standard_error
    )


def test_expected_purchases_of_a_new_customer_start_at_zero_and_grow() -> None:
    weeks = np.arange(0, 105, 13)
    expected = expected_purchases_new_customer(PUBLISHED, weeks)
    assert expected[0] == 0.0
    assert np.all(np.diff(expected) > 0)
    assert expected[-1] == pytest.approx(float(conditional_expected_purchases(PUBLISHED, 104, 0, 0, 0)))


def test_a_customer_without_repeat_purchases_is_alive_for_sure() -> None:
    assert probability_alive(PUBLISHED, [0, 0], [0, 0], [1, 50]).tolist() == [1.0, 1.0]


def test_p_alive_falls_the_longer_a_repeat_buyer_has_been_silent() -> None:
    p_alive = probability_alive(PUBLISHED, frequency=3, recency=[38.0, 30.0, 20.0, 5.0], T=38.86)
    assert np.all(np.diff(p_alive) < 0)
    assert 0 < p_alive[-1] < p_alive[0] < 1


def test_fit_recovers_the_parameters_of_simulated_customers() -> None:
    truth = BGNBDParams(r=0.5, alpha=6.0, a=0.6, b=2.5)
    transactions = simulate_transactions(
        30_000,
        truth,
        GammaGammaParams(p=6.0, q=4.0, gamma=15.0),
        start="2020-01-01",
        acquisition_weeks=12,
        observation_weeks=52,
        seed=11,
    )
    s = summary_from_arrays(
        transactions["customer_id"].to_numpy(),
        transactions["date"].to_numpy(),
        calibration_end="2020-12-29",
    )
    fitted = fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert fitted.r == pytest.approx(truth.r, rel=0.15)
    assert fitted.alpha == pytest.approx(truth.alpha, rel=0.15)
    assert fitted.a == pytest.approx(truth.a, rel=0.25)
    assert fitted.b == pytest.approx(truth.b, rel=0.25)


def test_weights_count_as_repeated_customers(published_summary: pd.DataFrame) -> None:
    s = published_summary.head(800)
    doubled = pd.concat([s, s])
    weighted = fit_bgnbd(s["frequency"], s["recency"], s["T"], weights=2.0)
    repeated = fit_bgnbd(doubled["frequency"], doubled["recency"], doubled["T"])
    assert weighted.r == pytest.approx(repeated.r, rel=1e-5)
    assert weighted.b == pytest.approx(repeated.b, rel=1e-5)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-9)


def test_a_recency_beyond_the_age_is_rejected() -> None:
    with pytest.raises(ValueError, match="recency"):
        probability_alive(PUBLISHED, 2, 40.0, 38.0)
