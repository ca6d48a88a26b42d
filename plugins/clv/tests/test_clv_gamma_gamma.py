"""Gamma-Gamma spend model (Fader & Hardie 2013, note 025) on the 946 CDNOW repeat buyers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crm_clv.gamma_gamma import (
    GammaGammaParams,
    conditional_expected_spend,
    fit_gamma_gamma,
    log_likelihood,
)

PUBLISHED = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
PUBLISHED_LOG_LIKELIHOOD = -4055.92


def assert_published_parameters(fitted: GammaGammaParams) -> None:
    assert fitted.converged
    assert fitted.n_customers == 946
    assert fitted.p == pytest.approx(PUBLISHED.p, abs=0.005)
    assert fitted.q == pytest.approx(PUBLISHED.q, abs=0.005)
    assert fitted.gamma == pytest.approx(PUBLISHED.gamma, abs=0.01)
    assert fitted.log_likelihood == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.01)


def test_fit_on_the_published_zbar_reproduces_note_025(published_zbar: pd.DataFrame) -> None:
    assert_published_parameters(fit_gamma_gamma(published_zbar["x"], published_zbar["zbar"]))


def test_fit_on_the_mean_repeat_spend_built_from_transactions_reproduces_note_025(
    gamma_gamma: GammaGammaParams,
) -> None:
    assert_published_parameters(gamma_gamma)


def test_customers_without_repeat_purchases_do_not_enter_the_likelihood(published_zbar: pd.DataFrame) -> None:
    repeat = published_zbar[published_zbar["x"] > 0]
    everyone = log_likelihood(PUBLISHED, published_zbar["x"], published_zbar["zbar"])
    assert everyone == log_likelihood(PUBLISHED, repeat["x"], repeat["zbar"])
    assert everyone == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.05)


def test_a_customer_without_repeat_purchases_is_expected_to_spend_the_population_mean() -> None:
    expected = conditional_expected_spend(PUBLISHED, frequency=0, monetary_value=0.0)
    assert float(expected) == pytest.approx(PUBLISHED.p * PUBLISHED.gamma / (PUBLISHED.q - 1))


def test_expected_spend_moves_from_the_population_mean_towards_the_own_mean_with_more_purchases() -> None:
    own_mean = 100.0
    expected = conditional_expected_spend(PUBLISHED, frequency=[1, 5, 50, 5000], monetary_value=own_mean)
    assert np.all(np.diff(expected) > 0)
    assert PUBLISHED.population_mean_spend < expected[0]
    assert expected[-1] == pytest.approx(own_mean, rel=1e-3)
