"""Lead scoring: model quality on real data, and rescoring every lead in bulk.

AUC: our logistic regression and naive Bayes against scikit-learn's LogisticRegression on the same stratified
split of the CoIL 2000 data (``crm_leadscoring.evaluation``), in the same run.

Rescoring: pg-1m scores 1,000,000 leads (2,000,000 touchpoints, a model trained on 20,000 decided customers) on
PostgreSQL, generated in the server with ``INSERT ... SELECT generate_series``; sqlite-100k 100,000 and small
10,000 leads on SQLite. The bulk job (columns read in chunks with SQL, scored with numpy, bulk upsert) is
measured per lead against rescoring one lead alone, on a sample. An event (a lead created or changed) only marks
the lead in Redis and a queued job rescores the marked leads together: the mark is measured against rescoring the
lead alone (what the hooks did before, and still do while Redis is unreachable), and the job per lead against the
bulk rescore.
"""

from __future__ import annotations

import time
from contextlib import suppress
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, make_url

from bench import BenchmarkError, figure
from bench.generate import POSTGRES_ADMIN_URL, has_table, recreate_database, settings_for
from crmcore.config import REPO_ROOT

SIZES = {"pg-1m": 1_000_000, "sqlite-100k": 100_000, "small": 10_000}
DECIDED = {"pg-1m": 20_000, "sqlite-100k": 5_000, "small": 2_000}
MARKER = "bench_leads_dataset"
SAMPLE = 300
REDIS_PREFIX = "crmbench-leads"
RULES = {
    "base": 10, "half_life_days": 30,
    "rules": [
        {"type": "field", "label": "Has a phone", "field": "has_phone", "op": "eq", "value": True, "points": 10},
        {"type": "field", "label": "Software", "field": "industry", "op": "eq", "value": "software", "points": 15},
        {"type": "field", "label": "Fair or referral", "field": "source", "op": "in", "value": ["fair", "referral"],
         "points": 15},
        {"type": "field", "label": "Big budget", "field": "custom_fields.budget", "op": "gte", "value": 30000,
         "points": 20},
        {"type": "engagement", "label": "Calls (90 days)", "points": 10, "channels": ["phone", "meeting"],
         "within_days": 90, "max_points": 30},
        {"type": "engagement", "label": "Messages (90 days)", "points": 5, "channels": ["email", "web"],
         "within_days": 90, "max_points": 15},
    ],
}


def _auc_figures() -> list[dict[str, Any]]:
    from crm_leadscoring.evaluation import bench_leads_auc

    results = bench_leads_auc(REPO_ROOT.parent / "shared" / "data")
    sk = results["sklearn"]
    if sk is None:
        raise BenchmarkError("scikit-learn is not installed (pip install crm-leadscoring[evaluation])")
    return [
        figure("leadscoring.auc_logistic_coil2000", results["ours"]["auc"], "AUC",
               "scikit-learn LogisticRegression, same split", sk["auc"], n_leads=sk["n_leads"], n_test=sk["n_test"]),
        figure("leadscoring.auc_naive_bayes_coil2000", results["naive_bayes"]["auc"], "AUC",
               "scikit-learn LogisticRegression, same split", sk["auc"]),
    ]


def _url(profile: str) -> str:
    if profile == "pg-1m":
        return make_url(POSTGRES_ADMIN_URL).set(database="crm_bench_leads").render_as_string(hide_password=False)
    return f"sqlite:///{REPO_ROOT / 'var' / 'bench' / f'leads-{profile}.sqlite3'}"


def _crm(url: str) -> Any:
    """The CRM on the data set; its marks and jobs go under a Redis prefix no other benchmark uses."""
    from crm_leadscoring import plugin

    from crmcore.runtime import CRM

    return CRM(settings_for(url).with_overrides(redis_prefix=REDIS_PREFIX), plugins=[plugin])


def _load(connection: Connection, leads: int, decided: int, pipeline: int, won: int, lost: int) -> None:
    """Leads and prospects with fields and touchpoints, then decided customers whose outcome follows the fields."""
    pg = connection.dialect.name == "postgresql"
    total = leads + decided
    if pg:
        u = "random()"
        series = "generate_series(CAST(1 AS bigint), :n) AS i"
        prefix = ""
        json_budget = "CAST('{\"budget\": ' || (i * 7919 % 60000) || '}' AS json)"
        ago = "CURRENT_TIMESTAMP - make_interval(days => CAST(i * 37 % 120 AS int))"
        false = "false"
    else:
        u = "(random() / 18446744073709551616.0 + 0.5)"
        series = "s"
        prefix = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
        json_budget = "'{\"budget\": ' || (i * 7919 % 60000) || '}'"
        ago = "datetime('now', '-' || (i * 37 % 120) || ' days')"
        false = "0"
    industry = "CASE i % 4 WHEN 0 THEN 'software' WHEN 1 THEN 'retail' WHEN 2 THEN 'food' ELSE 'health' END"
    source = "CASE i % 5 WHEN 0 THEN 'fair' WHEN 1 THEN 'referral' WHEN 2 THEN 'web' ELSE 'cold call' END"
    stage = (f"CASE WHEN i > {leads} THEN 'CUSTOMER' WHEN i % 3 = 0 THEN 'PROSPECT' ELSE 'LEAD' END")
    connection.execute(text(f"""{prefix}
        INSERT INTO customers (id, kind, name, phone, industry, source, country, services, lifecycle_stage,
                               custom_fields, marketing_consent, version, created_at, updated_at)
        SELECT i, 'organisation', 'Lead ' || i, CASE WHEN i % 2 = 0 THEN '+4930' || i END, {industry}, {source},
               CASE i % 3 WHEN 0 THEN 'DE' WHEN 1 THEN 'UA' ELSE 'IR' END, '[]', {stage}, {json_budget}, {false},
               1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
        FROM {series}"""), {"n": total})
    connection.execute(text(f"""{prefix}
        INSERT INTO touchpoints (customer_id, channel, direction, occurred_at, subject, created_at)
        SELECT 1 + (i * 104729) % :leads, CASE i % 4 WHEN 0 THEN 'PHONE' WHEN 1 THEN 'MEETING' ELSE 'EMAIL' END,
               'OUTBOUND', {ago}, 'Contact', CURRENT_TIMESTAMP
        FROM {series}"""), {"n": 2 * leads, "leads": leads})
    chance = ("(0.1 + 0.4 * (CASE WHEN i % 4 = 0 THEN 1 ELSE 0 END) + 0.3 * (CASE WHEN i % 5 < 2 THEN 1 ELSE 0 END)"
              " + 0.1 * (CASE WHEN i % 2 = 0 THEN 1 ELSE 0 END))")
    decided_prefix = prefix.replace(":n", ":last").replace("SELECT 1 UNION", "SELECT :first UNION")
    decided_series = series if not pg else "generate_series(CAST(:first AS bigint), :last) AS i"
    connection.execute(text(f"""{decided_prefix}
        INSERT INTO deals (customer_id, pipeline_id, stage_id, title, amount, cost, currency, status, closed_on,
                           version, created_at, updated_at)
        SELECT i, :pipeline, CASE WHEN {u} < {chance} THEN :won ELSE :lost END, 'First order', 100, 0, 'USD',
               'OPEN', CURRENT_DATE, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
        FROM {decided_series}"""), {"first": leads + 1, "last": total, "pipeline": pipeline, "won": won,
                                    "lost": lost})
    connection.execute(text("UPDATE deals SET status = CASE WHEN stage_id = :won THEN 'WON' ELSE 'LOST' END"),
                       {"won": won})
    if pg:
        for table in ("customers", "touchpoints", "deals"):
            connection.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))


def _ensure(profile: str) -> str:
    url = _url(profile)
    if has_table(url, MARKER):
        return url
    recreate_database(url)
    from crmcore.migrations.runner import upgrade_core
    from crmcore.models import Stage

    crm = _crm(url)
    try:
        upgrade_core(crm)
        pipeline = crm.services.pipelines.ensure_default()
        with crm.db.session() as session:
            stages = session.scalars(select(Stage).where(Stage.pipeline_id == pipeline.id)).all()
            won = next(s.id for s in stages if s.is_won)
            lost = next(s.id for s in stages if s.is_lost)
        with crm.db.engine.begin() as connection:
            from crmcore.models import Customer, Deal, Touchpoint

            indexes = [*Customer.__table__.indexes, *Deal.__table__.indexes, *Touchpoint.__table__.indexes]
            if connection.dialect.name == "postgresql":
                # A throw-away database: no row-by-row foreign key checks, indexes built once after the load.
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            for index in indexes:
                index.drop(connection)
            _load(connection, SIZES[profile], DECIDED[profile], pipeline.id, won, lost)
            for index in indexes:
                index.create(connection)
        with crm.db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    finally:
        crm.close()
    crm = _crm(url)
    try:
        from crmcore.migrations.runner import upgrade_plugin

        upgrade_plugin(crm, crm.plugins.get("leadscoring"))
        with crm.db.session() as session:
            from crmcore.models import PluginState

            session.merge(PluginState(name="leadscoring", enabled=True, settings={"rules": RULES}))
    finally:
        crm.close()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {MARKER} (leads INTEGER)"))
        connection.execute(text(f"INSERT INTO {MARKER} VALUES (:n)"), {"n": SIZES[profile]})
    engine.dispose()
    return url


def _rescore_figures(profile: str) -> list[dict[str, Any]]:
    from crm_leadscoring.pending import mark, rescore_pending
    from crm_leadscoring.services import rescore, rescore_all, train_model

    from crmcore.testing.redis import purge

    url = _ensure(profile)
    crm = _crm(url)
    try:
        crm.plugins.refresh(force=True)
        purge(crm.jobs.connection, crm.settings.redis_prefix)
        started = time.perf_counter()
        status = train_model(crm)
        train_seconds = time.perf_counter() - started
        if status["status"] != "trained":
            raise BenchmarkError(f"the model did not train: {status['message']}")
        started = time.perf_counter()
        scored = rescore_all(crm)
        bulk_seconds = time.perf_counter() - started
        sample = list(range(1, SIZES[profile], max(1, SIZES[profile] // SAMPLE)))[:SAMPLE]
        started = time.perf_counter()
        for customer_id in sample:
            rescore(crm, [customer_id])
        one_by_one = (time.perf_counter() - started) / len(sample)
        started = time.perf_counter()
        for customer_id in sample:
            mark(crm, [customer_id])
        marking = (time.perf_counter() - started) / len(sample)
        started = time.perf_counter()
        pending = rescore_pending(crm)
        job = (time.perf_counter() - started) / max(pending["checked"], 1)
        if pending["checked"] != len(sample):
            raise BenchmarkError(f"the job rescored {pending['checked']} marked leads, not {len(sample)}")
    finally:
        with suppress(Exception):
            purge(crm.jobs.connection, crm.settings.redis_prefix)
        crm.close()
    per_lead = bulk_seconds / max(scored, 1)
    return [
        figure("leadscoring.bulk_rescore_per_lead", per_lead * 1e6, "us/lead",
               "one lead rescored alone (sample)", one_by_one * 1e6,
               leads=scored, total_seconds=round(bulk_seconds, 1), model_auc=round(status["auc"], 3),
               train_seconds=round(train_seconds, 1), trained_on=status["n_leads"]),
        figure("leadscoring.event_mark_per_lead", marking * 1e6, "us/lead",
               "one lead rescored alone, as the hooks did before (sample)", one_by_one * 1e6, leads=len(sample)),
        figure("leadscoring.pending_job_per_lead", job * 1e6, "us/lead",
               "bulk rescore of every lead, per lead", per_lead * 1e6, leads=pending["checked"]),
    ]


def run(profile: str) -> list[dict[str, Any]]:
    return _auc_figures() + _rescore_figures(profile)
