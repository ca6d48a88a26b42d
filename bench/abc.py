"""ABC analysis at scale: the plugin's run against one hand-written SQL query and a pandas script, same data.

pg-1m: 1,000,000 customers and 10,000,000 won deals (2 % refunds) on PostgreSQL, generated in the server with
``INSERT ... SELECT generate_series``; sqlite-100k: 100,000 customers and 1,000,000 deals on SQLite; small:
10,000 customers and 100,000 deals on SQLite. Purchases are skewed (a few customers buy most) and amounts follow a
Pareto law. The data set lives in a database of its own and is reused once built.

Figures: the plugin's full run (ABC(D) by revenue with RFM, XYZ and the dated snapshot written) against the
hand-written query that computes the ABC classes only, and against pandas reading the deals and classifying them.
All three must agree on the class counts, or the benchmark fails.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

from bench import BenchmarkError, figure
from bench.generate import POSTGRES_ADMIN_URL, has_table, recreate_database, settings_for
from crmcore.config import REPO_ROOT

SIZES = {"pg-1m": (1_000_000, 10_000_000), "sqlite-100k": (100_000, 1_000_000), "small": (10_000, 100_000)}
MARKER = "bench_abc_dataset"
START, END = date(2025, 7, 1), date(2026, 6, 30)

HAND_WRITTEN = """
SELECT cls, COUNT(*) AS customers, SUM(value) AS value FROM (
    SELECT CASE WHEN value <= 0 THEN 'D'
                WHEN running - value < 0.80 * positive THEN 'A'
                WHEN running - value < 0.95 * positive THEN 'B' ELSE 'C' END AS cls, value
    FROM (
        SELECT value,
               SUM(CASE WHEN value > 0 THEN value ELSE 0 END)
                   OVER (ORDER BY value DESC, customer_id ROWS UNBOUNDED PRECEDING) AS running,
               SUM(CASE WHEN value > 0 THEN value ELSE 0 END) OVER () AS positive
        FROM (SELECT customer_id, SUM(CASE WHEN closed_on >= :start THEN amount ELSE 0 END) AS value
              FROM deals WHERE status = 'WON' AND closed_on <= :end GROUP BY customer_id) per_customer
    ) ranked
) classed GROUP BY cls ORDER BY cls
"""


def _url(profile: str) -> str:
    if profile == "pg-1m":
        return make_url(POSTGRES_ADMIN_URL).set(database="crm_bench_abc").render_as_string(hide_password=False)
    return f"sqlite:///{REPO_ROOT / 'var' / 'bench' / f'abc-{profile}.sqlite3'}"


def _crm(url: str) -> Any:
    from crm_abc_analysis import plugin

    from crmcore.runtime import CRM

    return CRM(settings_for(url), plugins=[plugin])


def _load(connection: Connection, customers: int, deals: int, pipeline: int, won: int) -> None:
    params = {"n": customers, "deals": deals, "pipeline": pipeline, "won": won}
    if connection.dialect.name == "postgresql":
        series_c = "generate_series(1, :n) AS i"
        series_d = "generate_series(1, :deals) AS i"
        uniform = "random()"
        day = "(DATE '2024-07-01' + floor(random() * 730)::int)"
        customer = "1 + floor(:n * power(random(), 3))::int"
        amount = ("round((CASE WHEN random() < 0.02 THEN -1 ELSE 1 END * 10"
                  " / power(1 - random() * 0.999, 0.7))::numeric, 2)")
        prefix_c = prefix_d = ""
    else:
        uniform = "(random() / 18446744073709551616.0 + 0.5)"
        series_c = "c"
        series_d = "d"
        day = f"date('2024-07-01', '+' || CAST({uniform} * 730 AS INTEGER) || ' days')"
        customer = f"1 + CAST(:n * pow({uniform}, 3) AS INTEGER)"
        amount = (f"round(CASE WHEN {uniform} < 0.02 THEN -1 ELSE 1 END * 10 / pow(1 - {uniform} * 0.999, 0.7), 2)")
        prefix_c = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n) "
        prefix_d = "WITH RECURSIVE d(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM d WHERE i < :deals) "
    connection.execute(text(f"""{prefix_c}
        INSERT INTO customers (id, kind, name, services, lifecycle_stage, custom_fields, marketing_consent, version,
                               created_at, updated_at)
        SELECT i, 'organisation', 'Customer ' || i, '[]', 'CUSTOMER', '{{}}', {'false' if prefix_c == '' else '0'},
               1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
        FROM {series_c}"""), params)
    connection.execute(text(f"""{prefix_d}
        INSERT INTO deals (id, customer_id, pipeline_id, stage_id, title, amount, cost, currency, status, closed_on,
                           version, created_at, updated_at)
        SELECT i, {customer}, :pipeline, :won, 'Order ' || i, amount, round(amount * 0.62, 2), 'USD', 'WON', {day},
               1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
        FROM (SELECT i, {amount} AS amount FROM {series_d}) generated"""), params)


def _ensure(profile: str) -> tuple[str, float | None]:
    url = _url(profile)
    if has_table(url, MARKER):
        return url, None
    recreate_database(url)
    started = time.perf_counter()
    customers, deals = SIZES[profile]
    from crmcore.migrations.runner import upgrade_core
    from crmcore.models import Stage

    crm = _crm(url)
    try:
        upgrade_core(crm)
        pipeline = crm.services.pipelines.ensure_default()
        with crm.db.session() as session:
            won = session.query(Stage).filter_by(pipeline_id=pipeline.id, is_won=True).one().id
        with crm.db.engine.begin() as connection:
            from crmcore.models import Customer, Deal

            indexes = [*Customer.__table__.indexes, *Deal.__table__.indexes]
            if connection.dialect.name == "postgresql":
                # A throw-away database: foreign keys are not checked row by row and the indexes are built once
                # after the load, as a bulk load should be done.
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            for index in indexes:
                index.drop(connection)
            _load(connection, customers, deals, pipeline.id, won)
            for index in indexes:
                index.create(connection)
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT setval('customers_id_seq', :n)"), {"n": customers})
                connection.execute(text("SELECT setval('deals_id_seq', :n)"), {"n": deals})
        with crm.db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        crm.plugins.enable("abc_analysis")
    finally:
        crm.close()
    seconds = time.perf_counter() - started
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {MARKER} (built_seconds FLOAT, sizes TEXT)"))
        connection.execute(text(f"INSERT INTO {MARKER} VALUES (:s, :z)"),
                           {"s": seconds, "z": json.dumps(SIZES[profile])})
    engine.dispose()
    return url, seconds


def _pandas(url: str) -> tuple[dict[str, int], float, float]:
    """Classes by pandas: read the won deals up to the end, sum per customer, rank, cumulative share."""
    import pandas as pd

    engine = create_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        deals = pd.read_sql_query(text("SELECT customer_id, amount, closed_on FROM deals "
                                       "WHERE status = 'WON' AND closed_on <= :end"), connection,
                                  params={"end": END.isoformat()})
    loaded = time.perf_counter()
    deals["closed_on"] = pd.to_datetime(deals["closed_on"])
    deals["amount"] = deals["amount"].astype(float)
    deals["in_period"] = deals["amount"].where(deals["closed_on"] >= pd.Timestamp(START), 0.0)
    value = deals.groupby("customer_id")["in_period"].sum().round(2)
    ranked = value.reset_index().sort_values(["in_period", "customer_id"], ascending=[False, True])
    positive = ranked["in_period"].clip(lower=0)
    before = positive.cumsum() - positive
    total = positive.sum()
    cls = pd.Series("C", index=ranked.index)
    cls[before < 0.95 * total] = "B"
    cls[before < 0.80 * total] = "A"
    cls[ranked["in_period"] <= 0] = "D"
    counts = cls.value_counts().to_dict()
    finished = time.perf_counter()
    engine.dispose()
    return {k: int(v) for k, v in counts.items()}, finished - started, finished - loaded


def run(profile: str) -> list[dict[str, Any]]:
    from crm_abc_analysis.services import RunRequest, run_analysis

    url, built = _ensure(profile)
    customers, deals = SIZES[profile]
    crm = _crm(url)
    try:
        crm.plugins.save_settings("abc_analysis", {"a_share": 80, "b_share": 15})
        started = time.perf_counter()
        result = run_analysis(crm, RunRequest(basis="revenue", start=START, end=END))
        plugin_seconds = time.perf_counter() - started
        plugin_counts = {cls: figures["count"] for cls, figures in result.summary["classes"].items()
                         if figures["count"]}
        with crm.db.engine.connect() as connection:
            started = time.perf_counter()
            rows = connection.execute(text(HAND_WRITTEN), {"start": START.isoformat(), "end": END.isoformat()}).all()
            sql_seconds = time.perf_counter() - started
        sql_counts = {cls: int(count) for cls, count, _ in rows}
    finally:
        crm.close()
    pandas_counts, pandas_seconds, pandas_compute = _pandas(url)
    if not plugin_counts == sql_counts == pandas_counts:
        raise BenchmarkError(f"the three computations disagree: plugin {plugin_counts}, SQL {sql_counts}, "
                             f"pandas {pandas_counts}")
    sizes = {"customers": customers, "deals": deals, "top20_share": round(result.top20_share or 0, 4),
             "classes": plugin_counts, "built_seconds": None if built is None else round(built, 1)}
    return [
        figure("abc.run_vs_hand_written_sql", plugin_seconds, "s",
               "one hand-written SQL query (ABC classes only, no RFM/XYZ/snapshot)", sql_seconds, **sizes),
        figure("abc.run_vs_pandas", plugin_seconds, "s", "pandas: read the deals with SQL, classify in memory",
               pandas_seconds, pandas_compute_seconds=round(pandas_compute, 2)),
        figure("abc.run_per_customer", plugin_seconds / max(result.customers, 1) * 1e6, "us/customer",
               "hand-written SQL per customer", sql_seconds / max(result.customers, 1) * 1e6),
    ]
