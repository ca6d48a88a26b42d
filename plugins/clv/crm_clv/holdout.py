"""Hold-out checks of a fitted BG/NBD model: the tracking and conditional-expectation plots of FHL (2005)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from crm_clv.bgnbd import (
    BGNBDParams,
    conditional_expected_purchases,
    expected_purchases_new_customer,
)


def holdout_by_frequency(
    params: BGNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    frequency_holdout: ArrayLike,
    duration_holdout: ArrayLike,
    max_frequency: int = 7,
) -> pd.DataFrame:
    """Mean actual vs predicted hold-out purchases per calibration frequency (FHL 2005).

    One row per group x = 0, 1, ..., ``max_frequency`` - 1 and "<max_frequency>+", with the
    number of customers and the mean actual and predicted (eq. 10) hold-out purchases.
    """
    x = np.asarray(frequency)
    predicted = conditional_expected_purchases(params, duration_holdout, x, recency, T)
    actual = np.broadcast_to(np.asarray(frequency_holdout, dtype=float), predicted.shape)
    group = np.minimum(x, max_frequency).astype(np.int64)
    n_groups = max_frequency + 1
    count = np.bincount(group, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_actual = np.bincount(group, weights=actual, minlength=n_groups) / count
        mean_predicted = np.bincount(group, weights=predicted, minlength=n_groups) / count
    labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    return pd.DataFrame(
        {"customers": count, "actual": mean_actual, "predicted": mean_predicted},
        index=pd.Index(labels, name="frequency"),
    )


def cohort_expected_repeat_purchases(params: BGNBDParams, T: ArrayLike, times: ArrayLike) -> np.ndarray:
    """Expected cumulative repeat purchases of a cohort, at times relative to the calibration end.

    A customer of age ``T`` at the calibration end has age ``T + tau`` at time ``tau``; the
    cohort total is the sum of E[X(T + tau)] (FHL 2005, eq. 9) over customers already
    acquired, which is what the cumulative tracking plot compares with the actual total.
    """
    ages, counts = np.unique(np.asarray(T, dtype=float), return_counts=True)
    taus = np.atleast_1d(np.asarray(times, dtype=float))
    age_at = np.clip(ages[None, :] + taus[:, None], 0.0, None)
    expected = expected_purchases_new_customer(params, age_at)
    total = expected @ counts
    return total if np.ndim(times) else total[0]
