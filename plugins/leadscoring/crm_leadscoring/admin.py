"""Screens: who to call next, the model's status, and the rules editor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from werkzeug.routing import BuildError

from crm_leadscoring import services
from crmcore import policy
from crmcore.errors import CRMError, ValidationFailed
from crmcore.web.admin.base import SecureView
from crmcore.web.auth import acting_user

TEMPLATES = Path(__file__).parent / "templates"
PAGE = 50


def customer_url(customer_id: int) -> str:
    """The customer page, or the customer's record screen where no customer page is installed."""
    try:
        return url_for("customer_page.show", customer_id=customer_id)
    except BuildError:
        return url_for("customers.details_view", id=customer_id)


class _LeadScoringView(SecureView):
    def create_blueprint(self, admin: Any) -> Any:
        blueprint = super().create_blueprint(admin)
        blueprint.template_folder = str(TEMPLATES)
        return blueprint

    @property
    def crm(self) -> Any:
        return current_app.extensions["crm"]


class CallNextView(_LeadScoringView):
    area = "customers"

    @expose("/")
    def index(self) -> str:
        grade = request.args.get("grade") or None
        if grade not in (None, "A", "B", "C", "D"):
            grade = None
        after_score = request.args.get("after_score", type=float)
        after_id = request.args.get("after_id", type=int)
        after = (after_score, after_id) if after_score is not None and after_id is not None else None
        user = acting_user()
        owner = user.id if policy.owns_only(user, self.crm.settings) else None
        with self.crm.db.session() as session:
            rows = services.call_next(session, after, PAGE, grade, owner_id=owner)
        following = rows[-1][0] if len(rows) == PAGE else None
        return self.render("leadscoring/call_next.html", customer_url=customer_url, rows=rows, grade=grade,
                           following=following)


class ModelStatusView(_LeadScoringView):
    area = "reports"

    @expose("/")
    def index(self) -> str:
        with self.crm.db.session() as session:
            status = services.model_status(services.current_model_row(session))
        return self.render("leadscoring/model.html", status=status, settings=self.crm.plugins.settings("leadscoring"))

    @expose("/train", methods=["POST"])
    def train(self) -> Any:
        if not policy.may_enter(acting_user(), "settings"):
            flash("Only an admin can retrain the model.", "error")
            return redirect(url_for(".index"))
        try:
            self.crm.jobs.enqueue("crm_leadscoring.jobs:train_job", plugin="leadscoring", queue="low")
        except CRMError as exc:
            flash(str(exc), "error")
        else:
            flash("Training started in the background; reload this page in a moment.", "info")
        return redirect(url_for(".index"))


class RulesView(_LeadScoringView):
    area = "settings"

    @expose("/", methods=["GET", "POST"])
    def index(self) -> str:
        settings = self.crm.plugins.settings("leadscoring")
        errors: dict[str, Any] = {}
        text = json.dumps(settings["rules"], indent=2, ensure_ascii=False)
        if request.method == "POST":
            text = request.form.get("rules", "")
            submitted = {**settings, "mode": request.form.get("mode", settings["mode"]),
                         "model_weight": request.form.get("model_weight", settings["model_weight"]),
                         "hot_threshold": request.form.get("hot_threshold", settings["hot_threshold"])}
            try:
                submitted["rules"] = json.loads(text)
            except json.JSONDecodeError as exc:
                errors = {"rules": [f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."]}
            if not errors:
                try:
                    self.crm.plugins.save_settings("leadscoring", submitted)
                except ValidationFailed as exc:
                    errors = exc.errors
                else:
                    self._rescore_later()
                    return redirect(url_for(".index"))
            settings = {**settings, **{k: v for k, v in submitted.items() if k != "rules"}}
        return self.render("leadscoring/rules.html", settings=settings, text=text, errors=errors)

    def _rescore_later(self) -> None:
        try:
            self.crm.jobs.enqueue("crm_leadscoring.jobs:rescore_all_job", plugin="leadscoring", queue="low")
        except CRMError as exc:
            flash(f"Rules saved, but rescoring could not be queued: {exc}", "error")
        else:
            flash("Rules saved; every lead is being rescored in the background.", "info")
