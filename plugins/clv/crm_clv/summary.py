"""Per-customer calibration summary (x, t_x, T, mean repeat spend) from raw transactions.

Definitions follow Fader, Hardie & Lee (2005), "Counting your customers the easy way":
purchases on the same day count as one transaction (their amounts add up); the frequency
``x`` is the number of repeat purchase days (distinct purchase days minus one); the recency
``t_x`` and the age ``T`` are measured in weeks from the customer's first purchase to the
last purchase, and to the end of the calibration period. The mean repeat spend excludes the
first purchase (Fader & Hardie 2013, note 025).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

DAYS_PER_WEEK = 7.0

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")
HOLDOUT_COLUMNS = ("frequency_holdout", "duration_holdout")

DateLike = str | dt.date | np.datetime64 | pd.Timestamp


def _day_number(value: DateLike) -> int:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(stamp.to_datetime64().astype("datetime64[D]").astype(np.int64))


def _day_numbers(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values)
    if not np.issubdtype(array.dtype, np.datetime64):
        try:
            parsed = pd.to_datetime(values)
        except ValueError:
            parsed = pd.to_datetime(values, format="mixed")
        index = pd.DatetimeIndex(parsed)
        if index.tz is not None:
            index = index.tz_localize(None)
        array = index.values
    days = array.astype("datetime64[D]")
    if np.isnat(days).any():
        raise ValueError("dates must not contain missing values")
    return days.astype(np.int64)


def summary_from_arrays(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike | None = None,
    *,
    calibration_end: DateLike,
    holdout_end: DateLike | None = None,
) -> pd.DataFrame:
    """Summarise transactions into one row per customer, indexed by customer id.

    Columns: ``frequency`` (x, repeat purchase days), ``recency`` (t_x, weeks),
    ``T`` (weeks), ``monetary_value`` (mean spend of the repeat purchase days, 0 when
    x = 0; only when ``amounts`` is given) and, when ``holdout_end`` is given,
    ``frequency_holdout`` (purchase days after ``calibration_end`` up to and including
    ``holdout_end``) and ``duration_holdout`` (weeks). Only customers whose first
    purchase falls on or before ``calibration_end`` are included; dates are truncated
    to the day (time-zone aware values keep their local day).
    """
    codes, uniques = pd.factorize(np.asarray(customer_ids), sort=True)
    days = _day_numbers(dates)
    if days.shape != codes.shape:
        raise ValueError("customer_ids and dates must have the same length")
    if amounts is None:
        values = np.zeros(codes.shape, dtype=float)
    else:
        values = np.asarray(amounts, dtype=float)
        if values.shape != codes.shape:
            raise ValueError("customer_ids and amounts must have the same length")
    if (codes < 0).any():
        raise ValueError("customer_ids must not contain missing values")

    cal_end = _day_number(calibration_end)
    order = np.lexsort((days, codes))
    codes, days, values = codes[order], days[order], values[order]

    new_day = np.ones(codes.shape, dtype=bool)
    new_day[1:] = (codes[1:] != codes[:-1]) | (days[1:] != days[:-1])
    day_start = np.flatnonzero(new_day)
    day_codes = codes[day_start]
    day_numbers = days[day_start]
    day_amounts = np.add.reduceat(values, day_start) if day_start.size else values[:0]

    in_calibration = day_numbers <= cal_end
    cal_codes = day_codes[in_calibration]
    cal_days = day_numbers[in_calibration]
    cal_amounts = day_amounts[in_calibration]

    first_row = np.ones(cal_codes.shape, dtype=bool)
    first_row[1:] = cal_codes[1:] != cal_codes[:-1]
    starts = np.flatnonzero(first_row)
    ends = np.append(starts[1:], cal_codes.size)[: starts.size] - 1
    customer_codes = cal_codes[starts]

    n_days = ends - starts + 1
    frequency = n_days - 1
    first_day = cal_days[starts]
    recency = (cal_days[ends] - first_day) / DAYS_PER_WEEK
    age = (cal_end - first_day) / DAYS_PER_WEEK

    columns: dict[str, Any] = {
        "frequency": frequency.astype(np.int64),
        "recency": recency,
        "T": age,
    }
    if amounts is not None:
        total = np.add.reduceat(cal_amounts, starts) if starts.size else cal_amounts[:0]
        repeat_total = total - cal_amounts[starts]
        columns["monetary_value"] = np.divide(
            repeat_total,
            frequency,
            out=np.zeros(frequency.shape, dtype=float),
            where=frequency > 0,
        )
    if holdout_end is not None:
        hold_end = _day_number(holdout_end)
        if hold_end <= cal_end:
            raise ValueError("holdout_end must be after calibration_end")
        in_holdout = (day_numbers > cal_end) & (day_numbers <= hold_end)
        counts = np.bincount(day_codes[in_holdout], minlength=len(uniques))
        columns["frequency_holdout"] = counts[customer_codes].astype(np.int64)
        columns["duration_holdout"] = np.full(customer_codes.shape, (hold_end - cal_end) / DAYS_PER_WEEK)

    index = pd.Index(np.asarray(uniques)[customer_codes], name="customer_id")
    return pd.DataFrame(columns, index=index)


def summary_from_records(
    records: Iterable[tuple[Any, DateLike, float]],
    *,
    calibration_end: DateLike,
    holdout_end: DateLike | None = None,
) -> pd.DataFrame:
    """Like :func:`summary_from_arrays`, from an iterable of ``(customer_id, date, amount)``."""
    frame = pd.DataFrame.from_records(
        records if isinstance(records, list) else list(records),
        columns=["customer_id", "date", "amount"],
    )
    return summary_from_arrays(
        frame["customer_id"].to_numpy(),
        frame["date"],
        frame["amount"].to_numpy(dtype=float),
        calibration_end=calibration_end,
        holdout_end=holdout_end,
    )
