"""Public pages: the feedback form (with spam protection) and the NPS answer page of a signed link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from crm_feedback.models import Kind, Survey
from crm_feedback.services import FeedbackService
from crm_feedback.spam import HONEYPOT_FIELD, check_form_token, form_token
from crmcore.errors import CRMError, ValidationFailed
from crmcore.models import Product
from crmcore.web.auth import public

blueprint = Blueprint("feedback_pages", __name__, url_prefix="/feedback", template_folder="templates")


def _crm() -> Any:
    return current_app.extensions["crm"]


def _products() -> list[tuple[int, str]]:
    with _crm().db.session() as session:
        return [tuple(row) for row in session.execute(select(Product.id, Product.name)
                                                      .where(Product.active.is_(True)).order_by(Product.name)
                                                      .limit(500))]


def _form(message: str | None = None, status: int = 200, values: dict[str, Any] | None = None) -> Any:
    return render_template("feedback/public_form.html", token=form_token(_crm().settings.secret_key),
                           honeypot=HONEYPOT_FIELD, kinds=[k.value for k in Kind], products=_products(),
                           message=message, values=values or {}), status


@blueprint.get("/form")
@public
def form() -> Any:
    return _form()


@blueprint.post("/form")
@public
def submit() -> Any:
    crm = _crm()
    settings = crm.plugins.settings("feedback")
    values = {key: request.form.get(key, "").strip() for key in ("email", "product_id", "kind", "text")}
    if request.form.get(HONEYPOT_FIELD):
        return render_template("feedback/thanks.html"), 200  # a bot: say thanks, keep nothing
    problem = check_form_token(crm.settings.secret_key, request.form.get("ts", ""), settings["min_fill_seconds"],
                               settings["max_form_age_seconds"])
    if problem:
        return _form(problem, 400, values)
    data: dict[str, Any] = dict(values)
    data["product_id"] = int(values["product_id"]) if values["product_id"].isdigit() else None
    try:
        FeedbackService(crm).submit_public(data, request.remote_addr or "")
    except ValidationFailed as exc:
        return _form(str(exc), 400, values)
    except CRMError as exc:
        return _form(exc.message, 429 if exc.status == 409 else exc.status, values)
    return render_template("feedback/thanks.html")


@blueprint.route("/nps/<token>", methods=["GET", "POST"])
@public
def nps(token: str) -> Any:
    service = FeedbackService(_crm())
    survey_id = service.survey_from_token(token)
    if survey_id is None:
        abort(404)
    with _crm().db.session() as session:
        survey = session.scalar(select(Survey).where(Survey.id == survey_id))
    if survey is None:
        abort(404)
    if request.method == "GET":
        return render_template("feedback/nps.html", chosen=request.args.get("score", ""),
                               answered=survey.answered_at is not None, message=None)
    try:
        service.answer(survey_id, request.form.get("score", ""), request.form.get("comment"))
    except CRMError as exc:
        return render_template("feedback/nps.html", chosen="", answered=survey.answered_at is not None,
                               message=exc.message if not isinstance(exc, ValidationFailed) else str(exc)), exc.status
    return render_template("feedback/thanks.html")
