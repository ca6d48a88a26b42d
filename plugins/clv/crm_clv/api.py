"""REST endpoints under /api/v1/clv: the model in use and one customer's scores."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from crm_clv.explain import explain
from crm_clv.models import ClvScore
from crm_clv.service import current_model
from crmcore import policy
from crmcore.api.common import crm, require

blp = Blueprint("clv_api", __name__, url_prefix="/clv", description="Customer lifetime value")


class ClvModelSchema(Schema):
    id = fields.Integer()
    fitted_at = fields.DateTime()
    calibration_end = fields.Date()
    holdout_end = fields.Date(allow_none=True)
    r = fields.Float()
    alpha = fields.Float()
    a = fields.Float()
    b = fields.Float()
    bgnbd_log_likelihood = fields.Float()
    p = fields.Float()
    q = fields.Float()
    gamma = fields.Float()
    gamma_gamma_log_likelihood = fields.Float()
    customers = fields.Integer()
    sample_size = fields.Integer()
    repeat_buyers = fields.Integer()
    tracking = fields.Dict(allow_none=True, metadata={"description": "The hold-out check, when there was one."})


class ClvScoreSchema(Schema):
    customer_id = fields.Integer()
    model_id = fields.Integer()
    scored_on = fields.Date()
    frequency = fields.Integer(metadata={"description": "Repeat purchase days."})
    recency_weeks = fields.Float()
    age_weeks = fields.Float()
    revenue = fields.Float()
    p_alive = fields.Float()
    expected_purchases = fields.Float(metadata={"description": "In the purchase horizon of the settings."})
    clv = fields.Float()
    explanation = fields.String()


@blp.route("/model")
@blp.response(200, ClvModelSchema)
def model() -> Any:
    """The model in use: its parameters, when it was fitted and how it tracked the hold-out."""
    require("reports")
    with crm().db.session() as session:
        found = current_model(session)
    if found is None:
        abort(404, message="No model has been fitted yet.")
    return found


@blp.route("/customers/<int:customer_id>")
@blp.response(200, ClvScoreSchema)
def customer_scores(customer_id: int) -> Any:
    """One customer's P(active), expected purchases and CLV, with the one-line explanation."""
    actor = require("customers")
    customer = crm().services.customers.get(customer_id, actor=actor)
    policy.require_record(actor, crm().settings, customer)
    with crm().db.session() as session:
        score = session.get(ClvScore, customer_id)
    if score is None:
        abort(404, message="This customer has no purchases, so no scores.")
    threshold = crm().plugins.settings("clv")["at_risk_threshold"]
    return {**{column.name: getattr(score, column.name) for column in ClvScore.__table__.columns},
            "explanation": explain(score.frequency, score.recency_weeks, score.age_weeks, score.p_alive, threshold)}
