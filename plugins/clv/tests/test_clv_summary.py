"""The calibration summary: x, t_x, T, mean repeat spend and hold-out counts from raw transactions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from crm_clv.summary import summary_from_arrays, summary_from_records


def test_cdnow_summary_matches_the_published_calibration_statistics(
    cdnow_summary: pd.DataFrame, published_summary: pd.DataFrame
) -> None:
    ours = cdnow_summary.loc[published_summary.index]
    assert len(cdnow_summary) == len(published_summary) == 2357
    np.testing.assert_array_equal(ours["frequency"], published_summary["frequency"])
    np.testing.assert_allclose(ours["recency"], published_summary["recency"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(ours["T"], published_summary["T"], atol=0.005 + 1e-9)


def test_mean_repeat_spend_matches_the_published_zbar(
    cdnow_summary: pd.DataFrame, published_zbar: pd.DataFrame
) -> None:
    ours = cdnow_summary.loc[published_zbar.index, "monetary_value"]
    np.testing.assert_allclose(ours, published_zbar["zbar"], atol=0.005 + 1e-9)
    assert int((cdnow_summary["frequency"] > 0).sum()) == 946


def test_same_day_purchases_count_as_one_whose_amounts_add_up() -> None:
    summary = summary_from_records(
        [
            ("c1", "2024-01-01", 10.0),
            ("c1", "2024-01-15", 5.0),
            ("c1", "2024-01-15 18:30", 7.0),
        ],
        calibration_end="2024-01-29",
    )
    row = summary.loc["c1"]
    assert row["frequency"] == 1
    assert row["recency"] == 2.0
    assert row["T"] == 4.0
    assert row["monetary_value"] == 12.0


def test_mean_repeat_spend_leaves_out_the_first_purchase() -> None:
    summary = summary_from_records(
        [("a", "2024-01-01", 1000.0), ("a", "2024-01-08", 20.0), ("a", "2024-01-15", 40.0), ("b", "2024-01-01", 50.0)],
        calibration_end="2024-02-01",
    )
    assert summary.loc["a", "monetary_value"] == 30.0
    assert summary.loc["b", "monetary_value"] == 0.0
    assert summary.loc["b", "frequency"] == 0
    assert summary.loc["b", "recency"] == 0.0


def test_customers_whose_first_purchase_follows_the_calibration_period_are_left_out() -> None:
    summary = summary_from_records(
        [("early", "2024-01-01", 1.0), ("late", "2024-03-01", 1.0)],
        calibration_end="2024-02-01",
        holdout_end="2024-04-01",
    )
    assert list(summary.index) == ["early"]


def test_holdout_counts_purchase_days_after_the_calibration_end_up_to_the_holdout_end() -> None:
    summary = summary_from_records(
        [
            ("a", "2024-01-01", 1.0),
            ("a", "2024-01-29", 1.0),  # calibration end: still calibration
            ("a", "2024-01-30", 1.0),
            ("a", "2024-01-30", 1.0),  # same day as the previous one
            ("a", "2024-02-26", 1.0),  # hold-out end: included
            ("a", "2024-02-27", 1.0),  # after the hold-out
        ],
        calibration_end="2024-01-29",
        holdout_end="2024-02-26",
    )
    row = summary.loc["a"]
    assert (row["frequency"], row["recency"], row["T"]) == (1, 4.0, 4.0)
    assert row["frequency_holdout"] == 2
    assert row["duration_holdout"] == 4.0


def test_records_and_arrays_give_the_same_summary(cdnow_transactions: pd.DataFrame) -> None:
    head = cdnow_transactions.head(500)
    records = [
        (int(c), d.date(), float(a)) for c, d, a in zip(head["customer_id"], head["date"], head["dollars"], strict=True)
    ]
    from_records = summary_from_records(records, calibration_end=dt.date(1997, 9, 30), holdout_end="1998-06-30")
    from_arrays = summary_from_arrays(
        head["customer_id"].to_numpy(),
        head["date"].to_numpy(),
        head["dollars"].to_numpy(),
        calibration_end="1997-09-30",
        holdout_end="1998-06-30",
    )
    pd.testing.assert_frame_equal(from_records, from_arrays)


def test_time_zone_aware_dates_keep_their_local_day() -> None:
    stamps = pd.to_datetime(["2024-01-01 23:30", "2024-01-08 00:30"]).tz_localize("Europe/Berlin")
    summary = summary_from_arrays(["x", "x"], pd.Series(stamps), [1.0, 2.0], calibration_end="2024-01-08")
    assert summary.loc["x", "recency"] == 1.0


def test_a_million_customers_are_summarised_without_a_loop_per_customer() -> None:
    rng = np.random.default_rng(7)
    n = 1_000_000
    purchases = rng.integers(1, 4, n)
    customer = np.repeat(np.arange(n), purchases)
    offset = rng.integers(0, 364, customer.size)
    dates = np.datetime64("2023-01-01") + offset.astype("timedelta64[D]")
    summary = summary_from_arrays(customer, dates, np.ones(customer.size), calibration_end="2023-12-31")
    distinct_days = pd.DataFrame({"c": customer, "d": offset}).drop_duplicates().shape[0]
    assert len(summary) == n
    assert int(summary["frequency"].sum()) == distinct_days - n
    assert (summary["recency"] <= summary["T"]).all()


def test_no_transactions_give_an_empty_summary_with_every_column() -> None:
    summary = summary_from_records([], calibration_end="2024-01-01", holdout_end="2024-02-01")
    assert summary.empty
    assert list(summary.columns) == [
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "frequency_holdout",
        "duration_holdout",
    ]
