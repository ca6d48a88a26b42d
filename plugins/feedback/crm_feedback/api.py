"""REST endpoints (under /api/v1/feedback): record and list feedback items, read the ranked ideas."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from crm_feedback import priority
from crm_feedback.models import Item, Source
from crm_feedback.services import FeedbackService
from crmcore import policy
from crmcore.errors import PermissionDenied
from crmcore.web.auth import acting_user

api = Blueprint("feedback_api", __name__, url_prefix="/feedback", description="Customer feedback")


class ItemOut(Schema):
    id = fields.Integer()
    customer_id = fields.Integer(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    feature = fields.String(allow_none=True)
    kind = fields.Function(lambda item: item.kind.value)
    sentiment = fields.Function(lambda item: item.sentiment.value)
    text = fields.String()
    source = fields.Function(lambda item: item.source.value)
    idea_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class ItemPage(Schema):
    after_id = fields.Integer(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


def _crm() -> Any:
    return current_app.extensions["crm"]


@api.post("/items")
@api.response(201, ItemOut)
def create_item() -> Any:
    """Record a feedback item; errors name the field (422)."""
    from flask import request

    return FeedbackService(_crm()).record(request.get_json(silent=True) or {}, actor=acting_user(),
                                          source=Source.API)


@api.get("/items")
@api.arguments(ItemPage, location="query")
@api.response(200, ItemOut(many=True))
def list_items(page: dict[str, Any]) -> Any:
    """Newest first; pass the last id you received as ``after_id`` for the next page."""
    if not policy.may_enter(acting_user(), "customers"):
        raise PermissionDenied("You are not allowed to do this.")
    query = select(Item).order_by(Item.id.desc()).limit(page["limit"])
    if page["after_id"]:
        query = query.where(Item.id < page["after_id"])
    if policy.owns_only(acting_user(), _crm().settings):
        from crmcore.models import Customer

        query = query.join(Customer, Customer.id == Item.customer_id).where(Customer.owner_id == acting_user().id)
    with _crm().db.session() as session:
        return list(session.scalars(query))


@api.get("/ideas")
def ranked_ideas() -> Any:
    """What to build next: ideas sorted by the weighted value behind them."""
    if not policy.may_enter(acting_user(), "catalog"):
        raise PermissionDenied("You are not allowed to do this.")
    with _crm().db.session() as session:
        ranked = priority.rank(_crm(), session)
    return [{"id": v.id, "title": v.title, "status": v.status.value, "product_id": v.product_id,
             "requests": v.requests, "askers": len(v.askers), "revenue_12m": str(v.revenue_12m),
             "open_deal_value": str(v.open_deal_value), "abc_classes": v.classes, "priority": v.priority}
            for v in ranked]
