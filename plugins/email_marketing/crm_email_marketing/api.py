"""REST endpoints under /api/v1/email-marketing: campaigns, their progress and audience counts."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from crmcore import policy
from crmcore.web.auth import acting_user

from .services import AREA, CampaignService

api = Blueprint("email_marketing_api", __name__, url_prefix="/email-marketing",
                description="Email campaigns: list, progress and stats, audience counts.")


class CampaignOut(Schema):
    id = fields.Integer()
    name = fields.String()
    subject = fields.String()
    subject_b = fields.String(allow_none=True)
    status = fields.Function(lambda campaign: campaign.status.value)
    segment_keys = fields.List(fields.String())
    recipients = fields.Integer()
    scheduled_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class ListArgs(Schema):
    before = fields.Integer(load_default=None, validate=validate.Range(min=1))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AudienceArgs(Schema):
    segment = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=50))


def _service() -> CampaignService:
    policy.require(acting_user(), AREA)
    return CampaignService(current_app.extensions["crm"])


@api.route("/campaigns")
@api.arguments(ListArgs, location="query")
@api.response(200, CampaignOut(many=True))
def list_campaigns(args: dict[str, Any]) -> Any:
    """Campaigns, newest first; pass the last id seen as ``before`` for the next page."""
    return _service().list(before_id=args["before"], limit=args["limit"])


@api.route("/campaigns/<int:campaign_id>/progress")
def campaign_progress(campaign_id: int) -> Any:
    """Counts per delivery status, opens, clicks and unsubscribes with their rates."""
    return _service().progress(campaign_id)


@api.route("/audience")
@api.arguments(AudienceArgs, location="query")
def audience_count(args: dict[str, Any]) -> Any:
    """How many customers the given segments reach now (after consent and suppressions)."""
    return {"count": _service().audience_count(args["segment"])}
