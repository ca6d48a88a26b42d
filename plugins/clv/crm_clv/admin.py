"""The model screen: when the model was fitted, how well it tracks the hold-out, and why customers left."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, url_for
from flask_admin import expose
from markupsafe import Markup
from sqlalchemy import select

from crm_clv.charts import Series, bar_chart, line_chart
from crm_clv.models import ClvModel
from crm_clv.rendering import render
from crm_clv.reports import churn_rate_by_month, leavers_report
from crmcore.errors import CRMError
from crmcore.web.admin.base import SecureView

HISTORY = 10


def tracking_charts(model: ClvModel) -> dict[str, Markup] | None:
    """FHL's (2005) cumulative tracking plot and conditional-expectation plot of a stored model."""
    tracking = model.tracking
    if not tracking:
        return None
    weekly = tracking["weekly"]
    cumulative = line_chart(
        "Cumulative repeat purchases: actual and model", weekly["weeks"],
        [Series("Actual", weekly["actual"], "actual"), Series("BG/NBD", weekly["predicted"], "predicted")],
        x_label="Weeks from the calibration end", y_label="Cumulative repeat purchases",
        marker=0.0, marker_label="calibration end",
    )
    groups = tracking["by_frequency"]
    by_frequency = bar_chart(
        "Hold-out purchases per customer, by purchases in calibration", [g["group"] for g in groups],
        [Series("Actual", [g["actual"] for g in groups], "actual"),
         Series("BG/NBD", [g["predicted"] for g in groups], "predicted")],
        x_label="Repeat purchases in the calibration period", y_label="Mean hold-out purchases",
    )
    return {"cumulative": cumulative, "by_frequency": by_frequency}


class ClvModelView(SecureView):
    area = "reports"

    def _crm(self) -> Any:
        return current_app.extensions["crm"]

    @expose("/")
    def index(self) -> str:
        crm = self._crm()
        with crm.db.session() as session:
            models = list(session.scalars(select(ClvModel).order_by(ClvModel.id.desc()).limit(HISTORY)))
            months = churn_rate_by_month(session)
        model = models[0] if models else None
        body = render("clv/model_body.html", model=model, history=models,
                      charts=tracking_charts(model) if model else None,
                      leavers=leavers_report(crm), months=months)
        return self.render("clv/model.html", body=body)

    @expose("/refit", methods=("POST",))
    def refit(self) -> Any:
        return self._enqueue("crm_clv.jobs:fit_and_score_job", "The model will be refitted and every customer "
                             "rescored in the background.")

    @expose("/rescore", methods=("POST",))
    def rescore(self) -> Any:
        return self._enqueue("crm_clv.jobs:score_job", "Every customer will be rescored in the background.")

    def _enqueue(self, func: str, message: str) -> Any:
        try:
            self._crm().jobs.enqueue(func, plugin="clv", queue="low", timeout=6 * 3600)
        except CRMError as exc:
            flash(exc.message, "error")
        else:
            flash(message, "success")
        return redirect(url_for(".index"))
