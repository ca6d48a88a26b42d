"""Hold-out validation on CDNOW: 39 calibration weeks, then 39 hold-out weeks (FHL 2005).

FHL report 1,788 actual hold-out repeat transactions. Counting purchase days, as the
calibration frequency does, the sample has 1,882; the published figure is close to the
number of distinct customer-calendar-weeks (1,787), so the tests compare with the count
taken from the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crm_clv.bgnbd import BGNBDParams, conditional_expected_purchases
from crm_clv.holdout import cohort_expected_repeat_purchases, holdout_by_frequency

HOLDOUT_WEEKS = 39.0


def test_holdout_runs_39_weeks_with_1882_repeat_purchase_days(cdnow_summary: pd.DataFrame) -> None:
    assert (cdnow_summary["duration_holdout"] == HOLDOUT_WEEKS).all()
    assert int(cdnow_summary["frequency_holdout"].sum()) == 1882
    assert int(cdnow_summary["frequency"].sum()) == 2457


def test_cumulative_repeat_purchases_at_the_end_of_the_holdout_are_tracked_within_five_percent(
    bgnbd: BGNBDParams, cdnow_summary: pd.DataFrame
) -> None:
    s = cdnow_summary
    actual = s["frequency"].sum() + s["frequency_holdout"].sum()
    predicted = cohort_expected_repeat_purchases(bgnbd, s["T"], HOLDOUT_WEEKS)
    assert predicted == pytest.approx(actual, rel=0.05)


def test_cohort_tracking_at_the_calibration_end_matches_the_calibration_total(
    bgnbd: BGNBDParams, cdnow_summary: pd.DataFrame
) -> None:
    s = cdnow_summary
    predicted = cohort_expected_repeat_purchases(bgnbd, s["T"], [-39.0, -13.0, 0.0])
    assert predicted[0] == 0.0
    assert predicted[1] < predicted[2]
    assert predicted[2] == pytest.approx(s["frequency"].sum(), rel=0.03)


def test_holdout_repeat_purchases_are_predicted_within_fifteen_percent(
    bgnbd: BGNBDParams, cdnow_summary: pd.DataFrame
) -> None:
    s = cdnow_summary
    predicted = conditional_expected_purchases(bgnbd, s["duration_holdout"], s["frequency"], s["recency"], s["T"])
    assert predicted.sum() == pytest.approx(s["frequency_holdout"].sum(), rel=0.15)


def test_holdout_by_frequency_gives_actual_and_predicted_means_for_groups_0_to_7_plus(
    bgnbd: BGNBDParams, cdnow_summary: pd.DataFrame
) -> None:
    s = cdnow_summary
    table = holdout_by_frequency(
        bgnbd, s["frequency"], s["recency"], s["T"], s["frequency_holdout"], s["duration_holdout"]
    )
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357
    assert (table["customers"] * table["actual"]).sum() == pytest.approx(1882)
    assert table.loc["0", "customers"] == 1411
    assert np.all(np.diff(table["predicted"]) > 0)
    np.testing.assert_allclose(table["predicted"], table["actual"], rtol=0.3)
