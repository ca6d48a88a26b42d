"""Email marketing for crmcore: campaigns to segments, sent by RQ workers, tracked, safe to retry.

The modules ``rendering``, ``message``, ``tokens`` and ``smtp`` are the database-free part (templates in
Jinja's sandbox, MIME messages, signed tracking tokens, SMTP); the rest is the plugin around them.
"""

from pathlib import Path

from crmcore.plugins import Plugin

from . import hooks, hookspecs
from .message import (
    InvalidAddressError,
    LinkPlan,
    MessageBuilder,
    MessageSettings,
    TrackingUrls,
    add_tracking,
    extract_links,
    make_address,
    message_id_for,
)
from .rendering import (
    CompiledEmail,
    EmailTemplate,
    RenderedEmail,
    RenderLimits,
    TemplateLimitError,
    TemplateRenderer,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    UndefinedFieldError,
    html_to_text,
)
from .settings import EmailMarketingSettings
from .smtp import SendResult, SendStage, SendStatus, SmtpSender, SmtpSettings, retry_delay
from .tokens import ClickToken, DeliveryId, TokenPurpose, TrackingTokens

plugin = Plugin(
    name="email_marketing",
    title="Email marketing",
    version="1.0.0",
    description="Campaigns to segments with A/B subjects, sent by background workers, tracked, safe to retry.",
    hooks=hooks,
    settings=EmailMarketingSettings,
    migrations=Path(__file__).parent / "migrations",
    hookspecs=hookspecs,
)

__all__ = [
    "ClickToken",
    "CompiledEmail",
    "DeliveryId",
    "EmailTemplate",
    "InvalidAddressError",
    "LinkPlan",
    "MessageBuilder",
    "MessageSettings",
    "RenderLimits",
    "RenderedEmail",
    "SendResult",
    "SendStage",
    "SendStatus",
    "SmtpSender",
    "SmtpSettings",
    "TemplateLimitError",
    "TemplateRenderError",
    "TemplateRenderer",
    "TemplateSecurityError",
    "TemplateSyntaxError",
    "TokenPurpose",
    "TrackingTokens",
    "TrackingUrls",
    "UndefinedFieldError",
    "add_tracking",
    "extract_links",
    "html_to_text",
    "make_address",
    "message_id_for",
    "plugin",
    "retry_delay",
]
