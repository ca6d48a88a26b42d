"""The hooks of the lead scoring plugin: keep scores current, and show them."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule
from crmcore.segments import Segment
from crmcore.web.contributions import Panel

PLUGIN = "leadscoring"
GRADES = ("A", "B", "C", "D")
#: The sweep that rescores marked leads even when the job queued by the first mark was lost.
PENDING_SWEEP_SECONDS = 60


def _mark(crm: Any, *customer_ids: int) -> None:
    """The request only hands the lead over to be marked; a background job scores it (``crm_leadscoring.pending``)."""
    from crm_leadscoring.pending import mark

    mark(crm, customer_ids)


@hookimpl
def crm_closing(crm: Any) -> None:
    """Marks this process still holds reach Redis while the connections are open."""
    from crm_leadscoring.pending import flush

    flush()


@hookimpl
def customer_created(crm: Any, customer: Any) -> None:
    _mark(crm, customer.id)


@hookimpl
def customers_imported(crm: Any, customer_ids: list[int]) -> None:
    _mark(crm, *customer_ids)


@hookimpl
def customer_updated(crm: Any, customer: Any) -> None:
    _mark(crm, customer.id)


@hookimpl
def touchpoint_recorded(crm: Any, touchpoint: Any) -> None:
    _mark(crm, touchpoint.customer_id)


@hookimpl
def deal_created(crm: Any, deal: Any) -> None:
    _mark(crm, deal.customer_id)


@hookimpl
def deal_updated(crm: Any, deal: Any) -> None:
    _mark(crm, deal.customer_id)


@hookimpl
def deal_won(crm: Any, deal: Any) -> None:
    _mark(crm, deal.customer_id)


@hookimpl
def deal_lost(crm: Any, deal: Any) -> None:
    _mark(crm, deal.customer_id)


@hookimpl
def deal_deleted(crm: Any, customer_id: int) -> None:
    _mark(crm, customer_id)


@hookimpl
def plugin_enabled(crm: Any, name: str) -> None:
    if name == PLUGIN:
        from crm_leadscoring.services import rescore_all

        rescore_all(crm)


@hookimpl
def segments(crm: Any) -> list[Segment]:
    from crm_leadscoring.models import LeadScore

    def hot() -> Any:
        threshold = crm.plugins.settings(PLUGIN)["hot_threshold"]
        return select(LeadScore.customer_id).where(LeadScore.score >= threshold)

    def of_grade(grade: str) -> Any:
        return lambda: select(LeadScore.customer_id).where(LeadScore.grade == grade)

    return [Segment(key="leadscoring:hot", title="Hot leads", query=hot, plugin=PLUGIN,
                    description="Leads whose score is at or above the hot threshold.")] + [
        Segment(key=f"leadscoring:grade-{grade.lower()}", title=f"Lead grade {grade}", query=of_grade(grade),
                plugin=PLUGIN) for grade in GRADES]


@hookimpl
def customer_merge_fields(crm: Any, session: Any, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
    from crm_leadscoring.models import LeadScore

    rows = session.execute(select(LeadScore.customer_id, LeadScore.score, LeadScore.grade)
                           .where(LeadScore.customer_id.in_(customer_ids))).all()
    return {cid: {"leadscoring_score": round(score), "leadscoring_grade": grade} for cid, score, grade in rows}


@hookimpl
def customer_panels(crm: Any, customer: Any, user: Any) -> Panel | None:
    from crm_leadscoring.rendering import render
    from crm_leadscoring.services import lead_score

    with crm.db.session() as session:
        score = lead_score(session, customer.id)
    if score is None:
        return None
    factors = sorted(score.explanation, key=lambda line: abs(line[1]), reverse=True)[:5]
    return Panel(title="Lead score", order=30, html=render("panel.html", score=score, factors=factors))


@hookimpl
def personal_data_export(crm: Any, session: Any, customer: Any) -> dict[str, Any] | None:
    from crm_leadscoring.services import lead_score

    score = lead_score(session, customer.id)
    if score is None:
        return None
    return {"score": score.score, "grade": score.grade, "explanation": score.explanation,
            "scored_at": score.scored_at.isoformat()}


@hookimpl
def admin_views(crm: Any) -> list[Any]:
    from crm_leadscoring.admin import CallNextView, ModelStatusView, RulesView

    return [CallNextView(name="Call next", endpoint="leadscoring_call_next", category="Lead scoring"),
            ModelStatusView(name="Model", endpoint="leadscoring_model", category="Lead scoring"),
            RulesView(name="Rules", endpoint="leadscoring_rules", category="Lead scoring")]


@hookimpl
def api_blueprints(crm: Any) -> list[Any]:
    from crm_leadscoring.api import blueprint

    return [blueprint]


@hookimpl
def cli_commands(crm: Any) -> list[click.Command]:
    from crm_leadscoring.cli import leadscoring

    return [leadscoring]


@hookimpl
def schedules(crm: Any) -> list[Schedule]:
    settings = crm.plugins.settings(PLUGIN)
    return [Schedule(name="leadscoring-rescore", func="crm_leadscoring.jobs:rescore_all_job",
                     cron=settings["rescore_cron"]),
            Schedule(name="leadscoring-pending", func="crm_leadscoring.jobs:rescore_pending_job",
                     interval=PENDING_SWEEP_SECONDS, queue="default"),
            Schedule(name="leadscoring-train", func="crm_leadscoring.jobs:train_job", cron=settings["train_cron"])]
