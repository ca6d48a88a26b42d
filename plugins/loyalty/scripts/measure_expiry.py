"""Time the nightly expiry and the points-expiring segment on PostgreSQL with many members.

Builds a throw-away database (dropped at the end): N customers, each a member with eight earnings spread over two
years (365 days' validity) and one redemption, written by ``INSERT ... SELECT generate_series``. The loyalty
history is migrated to its first revision before the load and to its head after it, so any later revision runs
over the loaded ledger and is timed too. Prints one JSON line of figures.

    PYTHONPATH=. .venv/bin/python plugins/loyalty/scripts/measure_expiry.py --members 100000
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from alembic import command
from sqlalchemy import func, select, text

from bench.generate import scratch_database, settings_for

CUSTOMERS = """
INSERT INTO customers (id, kind, name, services, lifecycle_stage, source, custom_fields, marketing_consent,
                       version, created_at, updated_at)
SELECT i, 'person', 'Member ' || i, '[]', 'CUSTOMER', 'benchmark', '{}', false, 1, now(), now()
FROM generate_series(1, :n) AS i
"""
PROGRAMME = """
INSERT INTO loyalty_programmes (id, name, points_per_unit, unit_amount, rounding, step, points_per_purchase,
    first_purchase_bonus, birthday_month_bonus, segment_multiplier, validity_days, point_value, currency, active)
VALUES (1, 'Loyalty programme', 1, 1, 'down', 1, 0, 0, 0, 1, 365, 0.01, 'USD', true)
"""
MEMBERS = """
INSERT INTO loyalty_members (id, customer_id, programme_id, card_number, balance, lock_seq, joined_at)
SELECT i, i, 1, lpad(i::text, 16, '0'), 0, 0, now() FROM generate_series(1, :n) AS i
"""
# Earning k of member m happens 5 + (7 - k) * 90 + m % 100 days ago: four or five lots have lapsed, and about
# three members in ten hold a lot that lapses within 30 days. The redemption spends half the first lot.
EARNINGS = """
INSERT INTO loyalty_ledger (member_id, kind, points, expires_on, reason, created_at)
SELECT m, 'earn', 10 + (m * 7 + k * 13) % 190,
       (now() - make_interval(days => 5 + (7 - k) * 90 + m % 100))::date + 365, 'purchase',
       now() - make_interval(days => 5 + (7 - k) * 90 + m % 100)
FROM generate_series(1, :n) AS m CROSS JOIN generate_series(0, 7) AS k
ORDER BY 6
"""
REDEMPTIONS = """
INSERT INTO loyalty_ledger (member_id, kind, points, reason, created_at)
SELECT m, 'redeem', -((10 + (m * 7) % 190) / 2), 'reward',
       now() - make_interval(days => 5 + 7 * 90 + m % 100 - 10)
FROM generate_series(1, :n) AS m
"""
BALANCES = """
UPDATE loyalty_members SET balance = totals.points, last_activity_at = now()
FROM (SELECT member_id, SUM(points) AS points FROM loyalty_ledger GROUP BY member_id) AS totals
WHERE totals.member_id = loyalty_members.id
"""


def _migrate(crm: Any, plugin: Any, target: str) -> float:
    from crmcore.migrations.runner import _config, _plugin_owner

    started = time.perf_counter()
    with crm.db.engine.begin() as connection:
        command.upgrade(_config(plugin.migrations, plugin.version_table, _plugin_owner(plugin), connection), target)
    return time.perf_counter() - started


def measure(url: str, members: int) -> dict[str, Any]:
    from crm_loyalty import plugin
    from crm_loyalty.services import LoyaltyService

    from crmcore.migrations.runner import upgrade_core
    from crmcore.runtime import CRM

    crm = CRM(settings_for(url), plugins=[plugin])
    try:
        upgrade_core(crm)
        _migrate(crm, plugin, "loyalty_0001")
        started = time.perf_counter()
        with crm.db.engine.begin() as connection:
            for statement in (CUSTOMERS, PROGRAMME, MEMBERS, EARNINGS, REDEMPTIONS, BALANCES):
                connection.execute(text(statement), {"n": members})
            connection.execute(text("ANALYZE"))
        loaded = time.perf_counter() - started
        migrated = _migrate(crm, plugin, "heads")
        crm.plugins.enable("loyalty")
        with crm.db.session() as session:
            ledger_rows = session.scalar(text("SELECT count(*) FROM loyalty_ledger"))
        segment = crm.segments.customer_ids("loyalty:points-expiring-30d").subquery()
        segment_seconds = []
        for _ in range(3):
            started = time.perf_counter()
            with crm.db.session() as session:
                in_segment = session.scalar(select(func.count()).select_from(segment))
            segment_seconds.append(time.perf_counter() - started)
        service = LoyaltyService(crm)
        started = time.perf_counter()
        expired = service.expire_due()
        expiry_seconds = time.perf_counter() - started
        started = time.perf_counter()
        rerun = service.expire_due()
        rerun_seconds = time.perf_counter() - started
        with crm.db.session() as session:
            outstanding = session.scalar(text("SELECT SUM(balance) FROM loyalty_members"))
        return {"members": members, "ledger_rows_before_expiry": ledger_rows, "load_s": round(loaded, 1),
                "later_migrations_s": round(migrated, 2), "segment_members": in_segment,
                "segment_s": [round(s, 3) for s in segment_seconds], "expired_points": expired,
                "expiry_s": round(expiry_seconds, 2), "expiry_members_per_s": round(members / expiry_seconds),
                "rerun_expired_points": rerun, "rerun_s": round(rerun_seconds, 2),
                "points_outstanding_after": outstanding}
    finally:
        crm.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    with scratch_database("pg-1m", "loyalty") as url:
        print(json.dumps(measure(url, args.members)))  # noqa: T201 - the figures are the output


if __name__ == "__main__":
    main()
