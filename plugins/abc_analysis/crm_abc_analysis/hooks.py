"""The hooks of the ABC analysis plugin."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from crm_abc_analysis import queries
from crm_abc_analysis.models import AbcCustomerClass
from crm_abc_analysis.services import PLUGIN, customer_history, latest_run_id_query, latest_runs
from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule
from crmcore.segments import Segment
from crmcore.web.contributions import Panel, Widget


def _latest(column: Any, value: str) -> Any:
    return lambda: select(AbcCustomerClass.customer_id).where(
        AbcCustomerClass.run_id == latest_run_id_query(), column == value)


@hookimpl
def segments(crm: Any) -> list[Segment]:
    found = [Segment(key=f"abc:class-{cls.lower()}", title=f"ABC class {cls}",
                     query=_latest(AbcCustomerClass.abc_class, cls), plugin=PLUGIN,
                     description="Customers in this class in the latest ABC run.")
             for cls in queries.ABC_CLASSES]
    found += [Segment(key=f"abc:rfm-{key.replace('_', '-')}", title=f"RFM: {title}",
                      query=_latest(AbcCustomerClass.rfm_segment, key), plugin=PLUGIN,
                      description="Customers in this RFM segment in the latest ABC run.")
              for key, title, _ in queries.RFM_SEGMENTS]
    return found


@hookimpl
def customer_merge_fields(crm: Any, session: Any, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(AbcCustomerClass.customer_id, AbcCustomerClass.abc_class, AbcCustomerClass.rfm_segment)
        .where(AbcCustomerClass.run_id == latest_run_id_query(), AbcCustomerClass.customer_id.in_(customer_ids))
    ).all()
    return {cid: {"abc_class": cls, "abc_rfm_segment": segment} for cid, cls, segment in rows}


@hookimpl
def customer_panels(crm: Any, customer: Any, user: Any) -> Panel | None:
    from crm_abc_analysis.rendering import render

    with crm.db.session() as session:
        history = customer_history(session, customer.id)
    if not history:
        return None
    titles = {key: title for key, title, _ in queries.RFM_SEGMENTS}
    return Panel(title="ABC class", order=40, html=render("panel.html", history=history, segments=titles))


@hookimpl
def dashboard_widgets(crm: Any, user: Any) -> Widget | None:
    from crm_abc_analysis.rendering import pareto_svg, render
    from crm_abc_analysis.services import pareto_points
    from crmcore import policy

    if not policy.may_enter(user, "reports"):
        return None
    with crm.db.session() as session:
        runs = latest_runs(session, 1)
        if not runs:
            return None
        chart = pareto_svg(pareto_points(session, runs[0], points=50), size=160)
    return Widget(title="ABC analysis", order=30, html=render("widget.html", run=runs[0], chart=chart))


@hookimpl
def personal_data_export(crm: Any, session: Any, customer: Any) -> dict[str, Any] | None:
    history = customer_history(session, customer.id, limit=1000)
    if not history:
        return None
    return {"classes": [{"run_id": run.id, "period_end": run.period_end.isoformat(), "class": row.abc_class,
                         "rfm_segment": row.rfm_segment, "xyz_class": row.xyz_class, "value": str(row.value)}
                        for run, row in history]}


@hookimpl
def admin_views(crm: Any) -> list[Any]:
    from crm_abc_analysis.admin import AbcView

    return [AbcView(name="ABC analysis", endpoint="abc_analysis", category="Reports")]


@hookimpl
def cli_commands(crm: Any) -> list[click.Command]:
    from crm_abc_analysis.cli import abc

    return [abc]


@hookimpl
def schedules(crm: Any) -> list[Schedule]:
    cron = crm.plugins.settings(PLUGIN)["schedule_cron"]
    return [Schedule(name="abc-monthly-run", func="crm_abc_analysis.jobs:run_scheduled", cron=cron)]
