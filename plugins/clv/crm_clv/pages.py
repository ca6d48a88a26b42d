"""The customer-page panel and the dashboard widgets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from crm_clv.charts import Series, bar_chart
from crm_clv.churn import at_risk_query
from crm_clv.explain import explain
from crm_clv.models import ClvScore
from crm_clv.rendering import render
from crm_clv.reports import base_value, churn_rate_by_month
from crmcore import policy
from crmcore.models import Customer
from crmcore.web.contributions import Panel, Widget

if TYPE_CHECKING:
    from crmcore.models import User
    from crmcore.runtime import CRM

AT_RISK_ROWS = 10


def customer_panel(crm: CRM, customer: Customer) -> Panel:
    settings = crm.plugins.settings("clv")
    with crm.db.session() as session:
        score = session.get(ClvScore, customer.id)
    explanation = None
    if score is not None:
        explanation = explain(score.frequency, score.recency_weeks, score.age_weeks, score.p_alive,
                              settings["at_risk_threshold"])
    html = render("clv/panel.html", score=score, explanation=explanation,
                  horizon_days=settings["purchase_horizon_days"], clv_months=settings["clv_horizon_months"])
    return Panel(title="Lifetime value", html=html, order=40)


def at_risk_widget(crm: CRM, user: User) -> Widget:
    """The most valuable at-risk customers the user may see (staff limited to their own see only theirs)."""
    threshold = crm.plugins.settings("clv")["at_risk_threshold"]
    query = at_risk_query(threshold)
    if policy.owns_only(user, crm.settings):
        query = query.where(Customer.owner_id == user.id)
    with crm.db.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.with_only_columns(Customer.id, Customer.name, ClvScore.p_alive, ClvScore.revenue)
            .order_by(ClvScore.revenue.desc(), ClvScore.customer_id).limit(AT_RISK_ROWS)
        ).all()
    html = render("clv/widget_at_risk.html", rows=rows, total=total, threshold=threshold)
    return Widget(title="Customers at risk of leaving", html=html, order=30)


def churn_widget(crm: CRM) -> Widget:
    with crm.db.session() as session:
        months = churn_rate_by_month(session)
    chart = bar_chart(
        "Churn rate per month", [m["month"][2:] for m in months],
        [Series("Churn rate (%)", [None if m["rate"] is None else 100 * m["rate"] for m in months], "actual")],
        x_label="Month", y_label="% of active customers who left",
    )
    return Widget(title="Churn rate per month", html=render("clv/widget_churn.html", chart=chart, months=months),
                  order=31)


def value_widget(crm: CRM, user: User) -> Widget:
    owner_id = user.id if policy.owns_only(user, crm.settings) else None
    with crm.db.session() as session:
        value = base_value(session, owner_id=owner_id)
    return Widget(title="Value of the customer base", html=render("clv/widget_value.html", value=value), order=32)


def dashboard_widgets(crm: CRM, user: User) -> list[Widget]:
    widgets = [at_risk_widget(crm, user)]
    if policy.may_enter(user, "reports"):
        widgets += [churn_widget(crm), value_widget(crm, user)]
    return widgets


def merge_fields(session: Any, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(select(ClvScore.customer_id, ClvScore.clv, ClvScore.p_alive)
                           .where(ClvScore.customer_id.in_(customer_ids))).all()
    return {customer_id: {"clv_value": round(clv, 2), "clv_p_alive": round(p_alive, 4)}
            for customer_id, clv, p_alive in rows}
