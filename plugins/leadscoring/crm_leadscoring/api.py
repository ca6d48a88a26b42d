"""API: the "who to call next" list and one lead's score (mounted under /api/v1/leadscoring)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from crm_leadscoring.services import call_next, lead_score
from crmcore import policy
from crmcore.errors import NotFound
from crmcore.models import Customer
from crmcore.web.auth import acting_user

blueprint = Blueprint("leadscoring_api", __name__, url_prefix="/leadscoring",
                      description="Lead scores and the list of who to call next.")


class CallNextArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    after_score = fields.Float(load_default=None, allow_none=True)
    after_id = fields.Integer(load_default=None, allow_none=True)
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["A", "B", "C", "D"]))


class ScoreSchema(Schema):
    customer_id = fields.Integer()
    name = fields.String()
    score = fields.Float()
    grade = fields.String()
    rule_score = fields.Float()
    model_score = fields.Float(allow_none=True)
    explanation = fields.List(fields.List(fields.Raw()))
    scored_at = fields.DateTime()


class CallNextSchema(Schema):
    leads = fields.List(fields.Nested(ScoreSchema))
    next = fields.Dict(allow_none=True)


def _row(score: Any, name: str) -> dict[str, Any]:
    return {"customer_id": score.customer_id, "name": name, "score": score.score, "grade": score.grade,
            "rule_score": score.rule_score, "model_score": score.model_score, "explanation": score.explanation,
            "scored_at": score.scored_at}


@blueprint.route("/call-next")
@blueprint.arguments(CallNextArgs, location="query")
@blueprint.response(200, CallNextSchema)
def call_next_list(args: dict[str, Any]) -> dict[str, Any]:
    """Leads by score, best first; pass ``next`` back as after_score/after_id for the following page."""
    user = acting_user()
    policy.require(user, "customers")
    crm = current_app.extensions["crm"]
    after = None
    if args["after_score"] is not None and args["after_id"] is not None:
        after = (args["after_score"], args["after_id"])
    owner = user.id if policy.owns_only(user, crm.settings) else None
    with crm.db.session() as session:
        rows = call_next(session, after, args["limit"], args["grade"], owner_id=owner)
    leads = [_row(score, name) for score, name in rows]
    following = None
    if len(rows) == args["limit"]:
        following = {"after_score": rows[-1][0].score, "after_id": rows[-1][0].customer_id}
    return {"leads": leads, "next": following}


@blueprint.route("/leads/<int:customer_id>")
@blueprint.response(200, ScoreSchema)
def lead(customer_id: int) -> dict[str, Any]:
    """One lead's score, grade and explanation."""
    user = acting_user()
    policy.require(user, "customers")
    crm = current_app.extensions["crm"]
    with crm.db.session() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"No customer with id {customer_id}.")
        policy.require_record(user, crm.settings, customer)
        score = lead_score(session, customer_id)
        if score is None:
            raise NotFound(f"Customer {customer_id} has no lead score (not a lead or prospect).")
        return _row(score, customer.name)
