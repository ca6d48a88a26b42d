"""The clv plugin's hook implementations."""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint

from crm_clv import pages
from crm_clv.churn import at_risk_query, win_back_query
from crm_clv.models import ClvScore
from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule
from crmcore.segments import Segment
from crmcore.web.contributions import Panel, Widget

#: Makes the plugin's templates (the model screen) visible to Flask; it has no routes of its own.
templates = Blueprint("clv_templates", __name__, template_folder="templates")


def _settings(crm: Any) -> dict[str, Any]:
    return crm.plugins.settings("clv")


@hookimpl
def segments(crm: Any) -> list[Segment]:
    return [
        Segment(key="clv:at-risk", title="At risk of leaving",
                description="P(active) below the at-risk threshold of the clv settings.",
                query=lambda: at_risk_query(_settings(crm)["at_risk_threshold"]), plugin="clv"),
        Segment(key="clv:win-back", title="Worth winning back",
                description="Former customers, or P(active) very low, who brought high revenue.",
                query=lambda: win_back_query(_settings(crm)["win_back_threshold"],
                                             _settings(crm)["win_back_min_revenue"]), plugin="clv"),
    ]


@hookimpl
def customer_merge_fields(crm: Any, session: Any, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
    return pages.merge_fields(session, customer_ids)


@hookimpl
def customer_panels(crm: Any, customer: Any, user: Any) -> Panel:
    return pages.customer_panel(crm, customer)


@hookimpl
def dashboard_widgets(crm: Any, user: Any) -> list[Widget]:
    return pages.dashboard_widgets(crm, user)


@hookimpl
def admin_views(crm: Any) -> list[Any]:
    from crm_clv.admin import ClvModelView

    return [ClvModelView(name="Lifetime value", endpoint="clv", category="Reports")]


@hookimpl
def api_blueprints(crm: Any) -> list[Any]:
    from crm_clv.api import blp

    return [blp]


@hookimpl
def web_blueprints(crm: Any) -> list[Blueprint]:
    return [templates]


@hookimpl
def cli_commands(crm: Any) -> list[click.Command]:
    from crm_clv.cli import clv

    return [clv]


@hookimpl
def schedules(crm: Any) -> list[Schedule]:
    settings = _settings(crm)
    return [
        Schedule(name="clv-fit", func="crm_clv.jobs:fit_job", cron=settings["fit_cron"]),
        Schedule(name="clv-score", func="crm_clv.jobs:score_job", cron=settings["score_cron"]),
    ]


@hookimpl
def personal_data_export(crm: Any, session: Any, customer: Any) -> dict[str, Any] | None:
    score = session.get(ClvScore, customer.id)
    if score is None:
        return None
    return {"scored_on": score.scored_on.isoformat(), "p_alive": score.p_alive,
            "expected_purchases": score.expected_purchases, "clv": score.clv}
