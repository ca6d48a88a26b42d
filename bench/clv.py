"""Customer lifetime value at scale: fit BG/NBD and Gamma-Gamma on a random sample, score every customer.

Transactions are drawn with ``crm_clv.simulate`` from the published CDNOW parameters (a cohort acquired over
a year and watched for two), written as customers and won deals into a throw-away database (PostgreSQL with
COPY for pg-1m, SQLite with executemany otherwise). Figures, each against a baseline in the same run:

- fit: ``ClvService.fit`` (SQL aggregation per customer and day, summary, fit on a random sample, hold-out
  check, model stored) against fitting the same number of customers from arrays already in memory;
- score: ``ClvService.score`` (read, vectorised scoring, upsert of every customer in chunks) against the plain
  numpy scoring of the same arrays without any database I/O.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, text

from bench import figure
from bench.generate import scratch_database

CUSTOMERS = {"pg-1m": 1_000_000, "sqlite-100k": 100_000, "small": 10_000}
SAMPLE = {"pg-1m": 200_000, "sqlite-100k": 50_000, "small": 5_000}
START = dt.date(2023, 1, 2)
ACQUISITION_WEEKS = 52.0
OBSERVATION_WEEKS = 104.0
SCORED_ON = START + dt.timedelta(weeks=OBSERVATION_WEEKS)


def _transactions(customers: int) -> pd.DataFrame:
    from crm_clv.bgnbd import BGNBDParams
    from crm_clv.gamma_gamma import GammaGammaParams
    from crm_clv.simulate import simulate_transactions

    frame = simulate_transactions(
        customers, BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426), GammaGammaParams(p=6.25, q=3.74, gamma=15.44),
        start=START.isoformat(), acquisition_weeks=ACQUISITION_WEEKS, observation_weeks=OBSERVATION_WEEKS, seed=42,
    )
    frame["customer_id"] += 1
    frame["amount"] = frame["amount"].round(2)
    return frame


def _customer_rows(customers: int) -> pd.DataFrame:
    now = dt.datetime.now(dt.UTC).isoformat()
    ids = np.arange(1, customers + 1)
    return pd.DataFrame({"id": ids, "kind": "person", "name": [f"Buyer {i}" for i in ids], "services": "[]",
                         "lifecycle_stage": "CUSTOMER", "custom_fields": "{}", "marketing_consent": False,
                         "version": 1, "created_at": now, "updated_at": now})


def _deal_rows(transactions: pd.DataFrame, pipeline_id: int, stage_id: int) -> pd.DataFrame:
    now = dt.datetime.now(dt.UTC).isoformat()
    return pd.DataFrame({"customer_id": transactions["customer_id"], "pipeline_id": pipeline_id,
                         "stage_id": stage_id, "title": "Purchase", "amount": transactions["amount"], "cost": 0,
                         "currency": "USD", "status": "WON", "closed_on": transactions["date"].dt.date,
                         "version": 1, "created_at": now, "updated_at": now})


def _copy(engine: Any, table: str, frame: pd.DataFrame) -> None:
    """PostgreSQL COPY of a frame, streamed as CSV in slices."""
    columns = ", ".join(frame.columns)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, len(frame), 200_000):
                buffer = io.StringIO()
                frame.iloc[start:start + 200_000].to_csv(buffer, header=False, index=False)
                copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


def _executemany(engine: Any, table: str, frame: pd.DataFrame) -> None:
    from crmcore.db import Base

    model_table = Base.metadata.tables[table]
    records = frame.to_dict("records")
    for row in records:
        for key in ("created_at", "updated_at"):
            row[key] = dt.datetime.fromisoformat(row[key])
        if "services" in row:
            row["services"], row["custom_fields"] = [], {}
    with engine.begin() as connection:
        for start in range(0, len(records), 20_000):
            connection.execute(insert(model_table), records[start:start + 20_000])


def _load(crm: Any, customers: int, transactions: pd.DataFrame) -> None:
    from crmcore.models import Stage

    with crm.db.session() as session:
        stage = session.scalars(select(Stage).where(Stage.is_won.is_(True)).limit(1)).one()
        pipeline_id, stage_id = stage.pipeline_id, stage.id
    engine = crm.db.engine
    deals = _deal_rows(transactions, pipeline_id, stage_id)
    if engine.dialect.name == "postgresql":
        _copy(engine, "customers", _customer_rows(customers))
        _copy(engine, "deals", deals)
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('customers_id_seq', (SELECT max(id) FROM customers))"))
            connection.execute(text("ANALYZE customers"))
            connection.execute(text("ANALYZE deals"))
    else:
        _executemany(engine, "customers", _customer_rows(customers))
        _executemany(engine, "deals", deals)


def _in_memory_baselines(transactions: pd.DataFrame, sample: int, settings: dict[str, Any],
                         calibration_end: dt.date) -> tuple[float, float]:
    """Seconds to fit ``sample`` customers and to score everyone from arrays already in memory."""
    from crm_clv.bgnbd import fit_bgnbd
    from crm_clv.clv import score_customers
    from crm_clv.gamma_gamma import fit_gamma_gamma
    from crm_clv.summary import summary_from_arrays

    summary = summary_from_arrays(transactions["customer_id"].to_numpy(), transactions["date"].to_numpy(),
                                  transactions["amount"].to_numpy(), calibration_end=calibration_end)
    chosen = summary.iloc[np.sort(np.random.default_rng(1).choice(len(summary), min(sample, len(summary)),
                                                                  replace=False))]
    started = time.perf_counter()
    bgnbd = fit_bgnbd(chosen["frequency"], chosen["recency"], chosen["T"])
    gamma_gamma = fit_gamma_gamma(chosen["frequency"], chosen["monetary_value"])
    fit_seconds = time.perf_counter() - started

    everyone = summary_from_arrays(transactions["customer_id"].to_numpy(), transactions["date"].to_numpy(),
                                   transactions["amount"].to_numpy(), calibration_end=SCORED_ON)
    started = time.perf_counter()
    score_customers(bgnbd, gamma_gamma, everyone["frequency"], everyone["recency"], everyone["T"],
                    everyone["monetary_value"], purchase_horizon_days=settings["purchase_horizon_days"],
                    clv_horizon=settings["clv_horizon_months"], annual_discount_rate=settings["annual_discount_rate"],
                    margin=settings["margin"])
    return fit_seconds, time.perf_counter() - started


def run(profile: str) -> list[dict[str, Any]]:
    from crm_clv.service import ClvService

    from crmcore.config import load_settings
    from crmcore.migrations.runner import upgrade_core
    from crmcore.runtime import CRM

    customers, sample = CUSTOMERS[profile], SAMPLE[profile]
    transactions = _transactions(customers)
    with scratch_database(profile, "clv") as url:
        crm = CRM(load_settings().with_overrides(database_url=url, redis_prefix="crmbench-clv"))
        try:
            upgrade_core(crm)
            crm.services.pipelines.ensure_default()
            crm.plugins.enable("clv")
            started = time.perf_counter()
            _load(crm, customers, transactions)
            load_seconds = time.perf_counter() - started
            service = ClvService(crm)
            calibration_end = SCORED_ON - dt.timedelta(weeks=26)

            started = time.perf_counter()
            fitted = service.fit(end=calibration_end, sample=sample, seed=1)
            fit_seconds = time.perf_counter() - started
            started = time.perf_counter()
            scored = service.score(as_of=SCORED_ON)
            score_seconds = time.perf_counter() - started
            settings = service.settings
        finally:
            crm.close()
    fit_baseline, score_baseline = _in_memory_baselines(transactions, sample, settings, calibration_end)
    common = {"profile": profile, "customers": customers, "purchases": len(transactions)}
    return [
        figure("clv fit from the database on a random sample", fit_seconds, "s",
               f"fit of the same {sample:,} customers from arrays in memory", fit_baseline,
               sample=fitted.sample_size, holdout_actual=fitted.tracking["actual"] if fitted.tracking else None,
               holdout_predicted=fitted.tracking["predicted"] if fitted.tracking else None, **common),
        figure("clv score every customer (read, score, upsert)", score_seconds, "s",
               "numpy scoring of the same customers without database I/O", score_baseline,
               scored=scored.customers, customers_per_second=round(scored.customers / score_seconds), **common),
        figure("load of simulated purchases (COPY on PostgreSQL, executemany on SQLite)", load_seconds, "s",
               "clv score every customer", score_seconds, **common),
    ]
