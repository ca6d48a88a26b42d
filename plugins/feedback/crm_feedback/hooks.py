"""The feedback plugin's hook implementations."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from crm_feedback import queries
from crm_feedback.models import Alert, Item
from crm_feedback.rendering import render
from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule
from crmcore.models import Product
from crmcore.segments import Segment
from crmcore.web.contributions import Panel, Widget


@hookimpl
def segments(crm: Any) -> list[Segment]:
    return [
        Segment(key="feedback:complains-but-buys", title="Complained in the last 90 days and bought after",
                query=queries.complains_but_buys_query, plugin="feedback"),
        Segment(key="feedback:promoters", title="NPS promoters (9-10)", query=lambda: queries.nps_query(9, 10),
                plugin="feedback"),
        Segment(key="feedback:detractors", title="NPS detractors (0-6)", query=lambda: queries.nps_query(0, 6),
                plugin="feedback"),
    ]


@hookimpl
def customer_panels(crm: Any, customer: Any, user: Any) -> Panel:
    with crm.db.session() as session:
        items = queries.customer_items(session, customer.id)
        score = queries.latest_score(session, customer.id)
    return Panel(title="Feedback", order=60, html=render("feedback/panel.html", items=items, score=score))


@hookimpl
def dashboard_widgets(crm: Any, user: Any) -> Widget | None:
    since = date.today() - timedelta(days=7)
    with crm.db.session() as session:
        alerts = session.execute(select(Alert, Product.name).join(Product, Product.id == Alert.product_id)
                                 .where(Alert.day >= since).order_by(Alert.p_value).limit(20)).all()
    return Widget(title="Complaint early warning", order=20,
                  html=render("feedback/widget.html", alerts=alerts))


@hookimpl
def personal_data_export(crm: Any, session: Any, customer: Any) -> dict[str, Any] | None:
    items = queries.customer_items(session, customer.id, limit=100_000)
    if not items:
        return None
    return {"items": [{"kind": i.kind.value, "sentiment": i.sentiment.value, "text": i.text,
                       "at": i.created_at.isoformat()} for i in items]}


@hookimpl
def personal_data_erase(crm: Any, session: Any, customer: Any) -> None:
    session.execute(Item.__table__.update().where(Item.customer_id == customer.id)
                    .values(text="(erased)", email=None, source_hash=None))


@hookimpl
def schedules(crm: Any) -> list[Schedule]:
    return [Schedule(name="feedback-early-warning", func="crm_feedback.jobs:complaint_early_warning",
                     cron="30 5 * * *")]


@hookimpl
def admin_views(crm: Any) -> list[Any]:
    from crm_feedback.admin import FeedbackView, IdeasView

    return [FeedbackView(name="Feedback", endpoint="feedback_items", url="/feedback-items", category="Feedback"),
            IdeasView(name="Ideas board", endpoint="feedback_ideas", url="/feedback-ideas", category="Feedback")]


@hookimpl
def web_blueprints(crm: Any) -> list[Any]:
    from crm_feedback.web import blueprint

    return [blueprint]


@hookimpl
def api_blueprints(crm: Any) -> list[Any]:
    from crm_feedback.api import api

    return [api]
