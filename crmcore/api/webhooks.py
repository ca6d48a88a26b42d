"""Webhooks through the API (admins): register, pause, remove, read the delivery log, send a delivery again."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from crmcore.api.common import crm, errors, require
from crmcore.api.schemas import UtcDateTime
from crmcore.errors import NotFound
from crmcore.webhooks import EVENTS, WebhookService

blp = Blueprint("api-webhooks", __name__, url_prefix="/webhooks",
                description="URLs that receive events as signed POSTs, and their delivery log (admins).")
MAX_ID = 2**31 - 1


class WebhookIn(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=500))
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), required=True,
                         validate=validate.Length(min=1, max=len(EVENTS)))
    description = fields.String(load_default="", validate=validate.Length(max=200))


class WebhookPatch(Schema):
    active = fields.Boolean(required=True, metadata={"description": "false pauses the webhook, true resumes it"})


class WebhookOut(Schema):
    id = fields.Integer(required=True)
    url = fields.String()
    events = fields.List(fields.String())
    description = fields.String()
    active = fields.Boolean()
    created_at = UtcDateTime()


class NewWebhookOut(WebhookOut):
    secret = fields.String(required=True, metadata={"description": "The signing secret, shown this once."})


class WebhookList(Schema):
    items = fields.List(fields.Nested(WebhookOut), required=True)


class DeliveryOut(Schema):
    id = fields.Integer(required=True)
    webhook_id = fields.Integer()
    event = fields.String()
    status = fields.String(metadata={"description": "pending, delivered or failed"})
    attempts = fields.Integer()
    response_status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    delivered_at = UtcDateTime(allow_none=True)


class DeliveryArgs(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class DeliveryList(Schema):
    items = fields.List(fields.Nested(DeliveryOut), required=True)


def _service() -> WebhookService:
    return WebhookService(crm())


def _id(value: int, label: str) -> int:
    if value > MAX_ID:
        raise NotFound(f"No {label} with id {value}.")
    return value


@blp.route("")
class Webhooks(MethodView):
    @blp.response(200, WebhookList)
    @errors(blp)
    def get(self) -> Any:
        """Every registered webhook (never its secret)."""
        return {"items": _service().list(actor=require("settings"))}

    @blp.arguments(WebhookIn)
    @blp.response(201, NewWebhookOut)
    @errors(blp, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a URL for the chosen events. The answer is the only time the signing secret is shown."""
        webhook, secret = _service().create(data["url"], data["events"], data["description"],
                                            actor=require("settings"))
        return {**{name: getattr(webhook, name) for name in WebhookOut().fields}, "secret": secret}


@blp.route("/<int(signed=False):webhook_id>")
class WebhookItem(MethodView):
    @blp.response(200, WebhookOut)
    @errors(blp, 404)
    def get(self, webhook_id: int) -> Any:
        return _service().get(_id(webhook_id, "webhook"), actor=require("settings"))

    @blp.arguments(WebhookPatch)
    @blp.response(200, WebhookOut)
    @errors(blp, 404, 422)
    def patch(self, data: dict[str, Any], webhook_id: int) -> Any:
        """Pause (active false) or resume (active true) a webhook."""
        return _service().set_active(_id(webhook_id, "webhook"), data["active"], actor=require("settings"))

    @blp.response(204)
    @errors(blp, 404)
    def delete(self, webhook_id: int) -> Any:
        """Remove a webhook and its delivery log."""
        _service().delete(_id(webhook_id, "webhook"), actor=require("settings"))


@blp.route("/<int(signed=False):webhook_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryArgs, location="query")
    @blp.response(200, DeliveryList)
    @errors(blp, 404, 422)
    def get(self, args: dict[str, Any], webhook_id: int) -> Any:
        """The newest deliveries of a webhook first."""
        actor = require("settings")
        service = _service()
        service.get(_id(webhook_id, "webhook"), actor=actor)
        return {"items": service.deliveries(webhook_id, limit=args["limit"], actor=actor)}


@blp.route("/deliveries/<int(signed=False):delivery_id>/redeliver")
class Redeliver(MethodView):
    @blp.response(202, DeliveryOut)
    @errors(blp, 404, 409, 503)
    def post(self, delivery_id: int) -> Any:
        """Queue a failed delivery once more, with the same body and X-CRM-Delivery id."""
        return _service().redeliver(_id(delivery_id, "delivery"), actor=require("settings"))
