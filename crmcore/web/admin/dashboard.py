"""The dashboard: the sales funnel, R = N x V x L over the last 12 months, today's tasks, recent touchpoints and
the widgets enabled plugins contribute."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_admin import expose
from flask_babel import format_date, gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crmcore import policy
from crmcore.models import Customer, Pipeline, Task, Touchpoint
from crmcore.web import charts
from crmcore.web.admin.base import DashboardView, acting_user, crm_runtime
from crmcore.web.admin.forms import channel_choices
from crmcore.web.contributions import dashboard_widgets
from crmcore.web.formatting import format_money, format_number, format_when
from crmcore.web.metrics import rnvl_trend, stage_figures


class CrmDashboard(DashboardView):
    area = "customers"

    @expose("/")
    def index(self) -> Any:
        crm = crm_runtime()
        user = acting_user()
        today = date.today()
        own = policy.owns_only(user, crm.settings)
        context: dict[str, Any] = {"today": today}
        with crm.db.session() as session:
            tasks = select(Task).options(joinedload(Task.customer)).where(
                Task.assignee_id == user.id, Task.done_at.is_(None), Task.due_on <= today
            ).order_by(Task.due_on, Task.id).limit(20)
            context["tasks"] = session.scalars(tasks).unique().all()
            recent = select(Touchpoint).options(joinedload(Touchpoint.customer)).order_by(
                Touchpoint.occurred_at.desc(), Touchpoint.id.desc()).limit(10)
            if own:
                owned = select(Customer.id).where(Customer.owner_id == user.id)
                recent = recent.where(Touchpoint.customer_id.in_(owned))
            context["touchpoints"] = session.scalars(recent).unique().all()
            if policy.may_enter(user, "reports"):
                context.update(self._reports(session, today))
        context["widgets"] = dashboard_widgets(crm, user)
        context["format_when"] = format_when
        context["channel_names"] = dict(channel_choices())
        return self.render("crm/dashboard.html", **context)

    def _reports(self, session: Any, today: date) -> dict[str, Any]:
        pipeline = session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        funnel = None
        if pipeline is not None:
            figures = stage_figures(session, pipeline.id)
            rows = [(f.name, f"{f.count} · {format_money(f.value)}", float(f.count)) for f in figures.values()
                    if not any(s.id == f.stage_id and s.is_lost for s in pipeline.stages)]
            funnel = charts.funnel_svg(rows, gettext("Sales funnel"))
        trend = rnvl_trend(session, today)
        labels = [format_date(point.month_end, "MMM yy") for point in trend]
        captions = [format_money(point.revenue) for point in trend]
        chart = charts.line_svg(labels, [float(point.revenue) for point in trend], captions,
                                gettext("R = N × V × L, last 12 months"))
        current = trend[-1]
        return {"funnel": funnel, "pipeline": pipeline, "rnvl_chart": chart, "rnvl": current,
                "rnvl_figures": {"N": format_number(current.active), "V": format_money(current.value),
                                 "L": format_number(current.loyalty * 100, 1) + " %",
                                 "R": format_money(current.revenue)}}
