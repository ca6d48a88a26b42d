"""How well a fitted model tracks the hold-out period: the figures stored with each model.

The weekly series is Fader, Hardie & Lee's (2005) cumulative tracking plot: actual repeat purchases
of the calibration cohort against the model's expectation, week by week through calibration and
hold-out; the per-frequency table is their conditional-expectation plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crm_clv.bgnbd import BGNBDParams, conditional_expected_purchases
from crm_clv.data import PurchaseDays
from crm_clv.holdout import cohort_expected_repeat_purchases, holdout_by_frequency
from crm_clv.summary import DAYS_PER_WEEK


def _repeat_purchase_days(purchases: PurchaseDays, cohort: pd.Index) -> np.ndarray:
    """Day numbers of the cohort's repeat purchase days (every purchase day but each customer's first)."""
    ids = purchases.customer_ids
    days = purchases.days.astype(np.int64)
    in_cohort = np.isin(ids, cohort.to_numpy())
    ids, days = ids[in_cohort], days[in_cohort]
    order = np.lexsort((days, ids))
    ids, days = ids[order], days[order]
    first = np.ones(ids.shape, dtype=bool)
    first[1:] = ids[1:] != ids[:-1]
    return days[~first]


def weekly_tracking(
    params: BGNBDParams, summary: pd.DataFrame, purchases: PurchaseDays, calibration_end: np.datetime64,
    holdout_weeks: float,
) -> dict[str, list[float]]:
    """Cumulative actual and expected repeat purchases at each week end, weeks counted from the calibration end."""
    start = -float(np.ceil(summary["T"].max())) if len(summary) else 0.0
    weeks = np.arange(start, np.floor(holdout_weeks) + 1.0)
    if weeks[-1] < holdout_weeks:
        weeks = np.append(weeks, holdout_weeks)
    expected = cohort_expected_repeat_purchases(params, summary["T"].to_numpy(), weeks)
    repeat_days = np.sort(_repeat_purchase_days(purchases, summary.index))
    end = int(calibration_end.astype("datetime64[D]").astype(np.int64))
    cutoffs = end + np.floor(weeks * DAYS_PER_WEEK + 1e-9)
    actual = np.searchsorted(repeat_days, cutoffs, side="right")
    return {
        "weeks": [round(float(w), 3) for w in weeks],
        "actual": [int(v) for v in actual],
        "predicted": [round(float(v), 2) for v in expected],
    }


def holdout_tracking(
    params: BGNBDParams, summary: pd.DataFrame, purchases: PurchaseDays, calibration_end: np.datetime64,
) -> dict[str, Any]:
    """Totals, per-frequency means and the weekly series of the hold-out check of ``params``.

    ``summary`` must carry ``frequency_holdout`` and ``duration_holdout`` (see
    :func:`crm_clv.summary.summary_from_arrays`).
    """
    s = summary
    duration = float(s["duration_holdout"].iloc[0]) if len(s) else 0.0
    predicted = conditional_expected_purchases(params, s["duration_holdout"], s["frequency"], s["recency"], s["T"])
    actual = int(s["frequency_holdout"].sum())
    table = holdout_by_frequency(
        params, s["frequency"], s["recency"], s["T"], s["frequency_holdout"], s["duration_holdout"]
    )
    by_frequency = [
        {
            "group": str(group),
            "customers": int(row["customers"]),
            "actual": None if not row["customers"] else round(float(row["actual"]), 4),
            "predicted": None if not row["customers"] else round(float(row["predicted"]), 4),
        }
        for group, row in table.iterrows()
    ]
    total_predicted = float(predicted.sum())
    return {
        "holdout_weeks": round(duration, 3),
        "actual": actual,
        "predicted": round(total_predicted, 1),
        "error": None if not actual else round((total_predicted - actual) / actual, 4),
        "by_frequency": by_frequency,
        "weekly": weekly_tracking(params, s, purchases, calibration_end, duration),
    }
