"""The plugin's settings (saved by an admin, defaults here) and what they configure."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, fields, validate

from .message import MessageSettings
from .smtp import SmtpSettings
from .tokens import TrackingTokens

if TYPE_CHECKING:
    from crmcore.runtime import CRM

PLUGIN = "email_marketing"
#: Where the public blueprint is mounted; tracking links start with ``public_url`` + this.
URL_PREFIX = "/email"


class EmailMarketingSettings(Schema):
    from_name = fields.String(load_default="", validate=validate.Length(max=200))
    unsubscribe_mailbox = fields.String(load_default="", validate=validate.Length(max=254))
    message_id_domain = fields.String(load_default="", validate=validate.Length(max=253))
    batch_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=5000))
    parallel_batches = fields.Integer(load_default=2, validate=validate.Range(min=1, max=64))
    connections_per_job = fields.Integer(load_default=2, validate=validate.Range(min=1, max=8))
    max_per_minute = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    max_attempts = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))
    retry_base_seconds = fields.Integer(load_default=300, validate=validate.Range(min=0, max=86_400))
    claim_timeout_seconds = fields.Integer(load_default=900, validate=validate.Range(min=1, max=86_400))
    track_opens = fields.Boolean(load_default=True)
    track_clicks = fields.Boolean(load_default=True)


def plugin_settings(crm: CRM) -> dict[str, Any]:
    return crm.plugins.settings(PLUGIN)


def _derived_secret(crm: CRM, purpose: str) -> str:
    return hmac.new(crm.settings.secret_key.encode(), f"{PLUGIN}:{purpose}".encode(), hashlib.sha256).hexdigest()


def tracking_tokens(crm: CRM) -> TrackingTokens:
    """Tokens signed with a key derived from the installation's secret key."""
    return TrackingTokens(_derived_secret(crm, "tokens"))


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def message_settings(crm: CRM, *, from_email: str | None = None, from_name: str | None = None,
                     reply_to: str | None = None) -> MessageSettings:
    values = plugin_settings(crm)
    sender = from_email or crm.settings.mail_from
    return MessageSettings(
        from_email=sender,
        from_name=values["from_name"] if from_name is None else from_name,
        reply_to_email=reply_to or None,
        message_id_domain=values["message_id_domain"] or _domain(sender),
        message_id_namespace=_derived_secret(crm, "message-id"),
        tracking_base_url=crm.settings.public_url.rstrip("/") + URL_PREFIX,
        unsubscribe_mailbox=values["unsubscribe_mailbox"] or f"unsubscribe@{_domain(crm.settings.mail_from)}",
        track_opens=values["track_opens"],
        track_clicks=values["track_clicks"],
    )


def smtp_settings(crm: CRM) -> SmtpSettings:
    s = crm.settings
    security = "ssl" if s.smtp_ssl else "starttls" if s.smtp_starttls else "none"
    return SmtpSettings(host=s.smtp_host, port=s.smtp_port, security=security,
                        username=s.smtp_username or None, password=s.smtp_password or None)
