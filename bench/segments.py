"""Segment counting: the audience count a campaign screen shows, for every segment the core and the enabled plugins
offer, on the core's data set with every plugin enabled.

Each segment's count (``crm.segments.count``, the code the screens call) is measured against the bare SQL count of
the whole customers table in the same run: how many full counts one segment count costs. Per-tag and per-owner
segments are left out (there is one per tag and per user, all of the same shape as the owner segment kept).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from bench import figure, median_ms
from bench.core import enable_all
from bench.generate import ensure, settings_for

REPEAT = {"pg-1m": 5, "sqlite-100k": 9, "small": 3}
#: An audience count shown on screen while someone waits.
TARGET_MS = 1_000


def run(profile: str) -> list[dict[str, Any]]:
    from crmcore.migrations.runner import upgrade_core
    from crmcore.runtime import CRM

    dataset = ensure(profile)
    crm = CRM(settings_for(dataset.url))
    try:
        upgrade_core(crm)
        enabled, refused = enable_all(crm)
        repeat = REPEAT[profile]
        baseline = median_ms(lambda: _bare_count(crm), repeat)
        keys = _measured_keys(crm)
        figures = []
        with crm.db.session() as session:
            for key in keys:
                count = crm.segments.count(session, key)
                elapsed = median_ms(lambda key=key: crm.segments.count(session, key), repeat)
                figures.append(figure(f"segment count: {key}", elapsed, "ms", "bare SQL: COUNT(*) of every customer",
                                      baseline, target=TARGET_MS, customers=count))
            union = [key for key in ("core:stage-customer", "core:consent-given") if key in keys]
            if len(union) == 2:
                elapsed = median_ms(lambda: crm.segments.count(session, *union), repeat)
                figures.append(figure("segment count: union of " + " + ".join(union), elapsed, "ms",
                                      "bare SQL: COUNT(*) of every customer", baseline, target=TARGET_MS,
                                      customers=crm.segments.count(session, *union)))
        notes = {"plugins": enabled, **({"not_enabled": refused} if refused else {})}
        return [{**item, **notes} for item in figures]
    finally:
        crm.close()


def _bare_count(crm: Any) -> int:
    with crm.db.engine.connect() as connection:
        return connection.execute(text("SELECT COUNT(*) FROM customers")).scalar_one()


def _measured_keys(crm: Any) -> list[str]:
    keys = sorted(crm.segments.all())
    owners = [key for key in keys if key.startswith("core:owner-")]
    return [key for key in keys if not key.startswith(("core:tag-", "core:owner-"))] + owners[:1]
