"""Campaign services: the only write path of the plugin's screens, API and jobs.

Like the core's services they validate, write in one transaction, write the audit log, and raise
``crmcore.errors`` exceptions naming the field at fault.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import Conflict, ValidationFailed
from crmcore.jobs.queue import JobsUnavailable
from crmcore.services.base import Service, apply_changes, audit

from . import audience
from .message import InvalidAddressError, MessageBuilder
from .models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from .rendering import EmailTemplate, RenderedEmail, TemplateRenderer, TemplateRenderError
from .schemas import CampaignSchema
from .sending import enqueue_senders, finish_if_done, start_due
from .settings import message_settings, smtp_settings, tracking_tokens
from .smtp import SendResult, SmtpSender

if TYPE_CHECKING:
    from crmcore.models import User
    from crmcore.runtime import CRM

#: Campaigns reach the whole customer base: managers and admins run them.
AREA = "reports"
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
#: The entity name of campaigns in the audit log.
_ENTITY = "email_campaign"


class CampaignService(Service):
    schema = CampaignSchema()

    def __init__(self, crm: CRM) -> None:
        super().__init__(crm)
        self.renderer = TemplateRenderer()

    # -- editing --------------------------------------------------------------------------------------------

    def _check(self, values: Mapping[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        available = self.crm.segments.all()
        unknown = [key for key in values.get("segment_keys", []) if key not in available]
        if unknown:
            errors["segment_keys"] = [f"No segment {key!r} (is the plugin that offers it enabled?)."
                                      for key in unknown]
        if "html" in values or "text" in values or "subject" in values:
            for subject_field in ("subject", "subject_b"):
                subject = values.get(subject_field)
                if not subject:
                    continue
                try:
                    self.renderer.compile(EmailTemplate(subject=subject, html=values.get("html", ""),
                                                        text=values.get("text", "")))
                except TemplateRenderError as exc:
                    field = subject_field if exc.part == "subject" else exc.part
                    errors.setdefault(field, []).append(str(exc))
        if errors:
            raise ValidationFailed(errors)

    def create(self, data: Mapping[str, Any], actor: User | None = None) -> Campaign:
        policy.require(actor, AREA)
        values = self.validate(self.schema, data)
        self._check(values)
        with self.transaction() as t:
            campaign = Campaign(**values, created_by=actor.id if actor else None)
            t.session.add(campaign)
            t.session.flush()
            audit(t.session, actor, _ENTITY, campaign.id, "create", {"name": [None, campaign.name]})
        return campaign

    def update(self, campaign_id: int, data: Mapping[str, Any], actor: User | None = None) -> Campaign:
        policy.require(actor, AREA)
        values = self.validate(self.schema, data, partial=True)
        with self.transaction() as t:
            campaign = self.fetch(t.session, Campaign, campaign_id, "campaign", for_update=True)
            if campaign.status not in EDITABLE:
                raise Conflict("This campaign has started sending and can no longer be edited.")
            merged = {key: getattr(campaign, key) for key in ("subject", "subject_b", "html", "text")}
            merged.update(values)
            self._check({**merged, **({"segment_keys": values["segment_keys"]} if "segment_keys" in values
                                      else {})})
            changes = apply_changes(campaign, values)
            if changes:
                audit(t.session, actor, _ENTITY, campaign.id, "update",
                      {k: v for k, v in changes.items() if k not in ("html", "text")})
        return campaign

    def delete(self, campaign_id: int, actor: User | None = None) -> None:
        policy.require(actor, AREA)
        with self.transaction() as t:
            campaign = self.fetch(t.session, Campaign, campaign_id, "campaign", for_update=True)
            if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.CANCELLED):
                raise Conflict("Only drafts and cancelled campaigns can be deleted.")
            t.session.delete(campaign)
            audit(t.session, actor, _ENTITY, campaign_id, "delete", {"name": [campaign.name, None]})

    def get(self, campaign_id: int) -> Campaign:
        with self.crm.db.session() as session:
            return self.fetch(session, Campaign, campaign_id, "campaign")

    # -- audience, preview, test ----------------------------------------------------------------------------

    def audience_count(self, segment_keys: list[str]) -> int:
        """How many customers the segments would reach now, after consent and suppressions."""
        for key in segment_keys:
            self.crm.segments.get(key)
        with self.crm.db.session() as session:
            return audience.count(self.crm, session, segment_keys)

    def _render_for(self, campaign: Campaign, customer_id: int, delivery_id: str,
                    variant: str | None = None) -> tuple[RenderedEmail, dict[str, Any], MessageBuilder]:
        fields = self.crm.services.customers.merge_fields([customer_id]).get(customer_id)
        if fields is None:
            raise ValidationFailed({"customer_id": [f"No customer with id {customer_id}."]})
        builder = MessageBuilder(message_settings(self.crm, from_email=campaign.from_email,
                                                  from_name=campaign.from_name, reply_to=campaign.reply_to),
                                 tracking_tokens(self.crm))
        context = {**fields, "customer": fields, **builder.system_fields(delivery_id)}
        template = EmailTemplate(subject=campaign.subject_for(variant), html=campaign.html, text=campaign.text)
        try:
            return self.renderer.render(template, context), fields, builder
        except TemplateRenderError as exc:
            raise ValidationFailed({exc.part: [str(exc)]}) from exc

    def preview(self, campaign_id: int, customer_id: int, actor: User | None = None,
                variant: str | None = None) -> RenderedEmail:
        """The email as ``customer_id`` would receive it (without tracking)."""
        policy.require(actor, AREA)
        campaign = self.get(campaign_id)
        rendered, _, _ = self._render_for(campaign, customer_id, f"preview-{uuid.uuid4().hex[:16]}", variant)
        return rendered

    def send_test(self, campaign_id: int, customer_id: int, to_email: str, actor: User | None = None) -> SendResult:
        """Send the email, personalised for ``customer_id``, to ``to_email`` (normally the user's own address).

        Test messages have no delivery row: their tracking and unsubscribe links lead nowhere.
        """
        policy.require(actor, AREA)
        campaign = self.get(campaign_id)
        test_id = f"test-{uuid.uuid4().hex[:16]}"
        rendered, _, builder = self._render_for(campaign, customer_id, test_id)
        rendered = RenderedEmail(subject=f"[Test] {rendered.subject}", html=rendered.html, text=rendered.text)
        try:
            message = builder.build(delivery_id=test_id, to_email=to_email, content=rendered,
                                    campaign_links=campaign.links)
        except InvalidAddressError as exc:
            raise ValidationFailed({"to_email": [str(exc)]}) from exc
        with SmtpSender(smtp_settings(self.crm)) as sender:
            return sender.send(message)

    # -- sending --------------------------------------------------------------------------------------------

    def schedule(self, campaign_id: int, at: datetime | None = None, actor: User | None = None) -> Campaign:
        """Send now (``at`` None or past) or at ``at``.

        The campaign is stored as scheduled first, so nothing is lost when Redis is down: then this raises
        ``JobsUnavailable`` saying so, and the periodic sweep starts the campaign once Redis is back.
        """
        policy.require(actor, AREA)
        if at is not None and at.tzinfo is None:
            raise ValidationFailed({"scheduled_at": ["Give the time with its time zone."]})
        now = utcnow()
        with self.transaction() as t:
            campaign = self.fetch(t.session, Campaign, campaign_id, "campaign", for_update=True)
            if campaign.status not in EDITABLE:
                raise Conflict("This campaign has already started.")
            self._check({"segment_keys": campaign.segment_keys, "subject": campaign.subject,
                         "subject_b": campaign.subject_b, "html": campaign.html, "text": campaign.text})
            if audience.count(self.crm, t.session, campaign.segment_keys) == 0:
                raise ValidationFailed({"segment_keys": ["Nobody in these segments can be mailed "
                                                         "(no consent, no address, or unsubscribed)."]})
            campaign.status = CampaignStatus.SCHEDULED
            campaign.scheduled_at = at if at is not None and at > now else now
            audit(t.session, actor, _ENTITY, campaign.id, "schedule",
                  {"scheduled_at": [None, campaign.scheduled_at.isoformat()]})
        if campaign.scheduled_at <= now:
            self._start_now(campaign.id)
        return self.get(campaign_id)

    def _start_now(self, campaign_id: int) -> None:
        try:
            self.crm.jobs.enqueue("crm_email_marketing.jobs:start_campaign", campaign_id, plugin="email_marketing")
        except JobsUnavailable as exc:
            raise JobsUnavailable("The job queue (Redis) cannot be reached. The campaign is saved as scheduled "
                                  "and will start automatically when the queue is back.") from exc

    def unschedule(self, campaign_id: int, actor: User | None = None) -> Campaign:
        """Back to draft, while it has not started."""
        return self._transition(campaign_id, (CampaignStatus.SCHEDULED,), CampaignStatus.DRAFT, actor)

    def pause(self, campaign_id: int, actor: User | None = None) -> Campaign:
        return self._transition(campaign_id, (CampaignStatus.SENDING, CampaignStatus.TESTING),
                                CampaignStatus.PAUSED, actor)

    def resume(self, campaign_id: int, actor: User | None = None) -> Campaign:
        campaign = self.get(campaign_id)
        testing = campaign.subject_b and campaign.ab_winner is None
        campaign = self._transition(campaign_id, (CampaignStatus.PAUSED,),
                                    CampaignStatus.TESTING if testing else CampaignStatus.SENDING, actor)
        try:
            enqueue_senders(self.crm, campaign_id)
        except JobsUnavailable as exc:
            raise JobsUnavailable("The job queue (Redis) cannot be reached. The campaign is resumed and "
                                  "sending starts automatically when the queue is back.") from exc
        return campaign

    def cancel(self, campaign_id: int, actor: User | None = None) -> Campaign:
        """Stop for good: messages not yet sent are never sent."""
        campaign = self._transition(campaign_id, (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED,
                                                  CampaignStatus.SENDING, CampaignStatus.TESTING,
                                                  CampaignStatus.PAUSED), CampaignStatus.CANCELLED, actor)
        with self.crm.db.session() as session:
            session.execute(update(Delivery)
                            .where(Delivery.campaign_id == campaign_id,
                                   Delivery.status.in_([DeliveryStatus.HELD.value, DeliveryStatus.QUEUED.value,
                                                        DeliveryStatus.SENDING.value]))
                            .values(status=DeliveryStatus.CANCELLED.value, error="campaign cancelled")
                            .execution_options(synchronize_session=False))
        return campaign

    def _transition(self, campaign_id: int, allowed: tuple[CampaignStatus, ...], to: CampaignStatus,
                    actor: User | None) -> Campaign:
        policy.require(actor, AREA)
        with self.transaction() as t:
            campaign = self.fetch(t.session, Campaign, campaign_id, "campaign", for_update=True)
            if campaign.status not in allowed:
                raise Conflict(f"A {campaign.status.value} campaign cannot be set to {to.value}.")
            before = campaign.status
            campaign.status = to
            if to is CampaignStatus.CANCELLED:
                campaign.finished_at = utcnow()
            audit(t.session, actor, _ENTITY, campaign.id, "status", {"status": [before.value, to.value]})
        return campaign

    def start(self, campaign_id: int) -> bool:
        """Start a due scheduled campaign (the start job); False when it already started or is not due."""
        with self.crm.db.session() as session:
            started = start_due(self.crm, session, campaign_id)
        return started

    def finish_if_done(self, campaign_id: int) -> bool:
        with self.crm.db.session() as session:
            return finish_if_done(session, campaign_id)

    # -- reading --------------------------------------------------------------------------------------------

    def progress(self, campaign_id: int) -> dict[str, Any]:
        """Counts per delivery status plus engagement, in one aggregate query."""
        with self.crm.db.session() as session:
            campaign = self.fetch(session, Campaign, campaign_id, "campaign")
            rows = session.execute(
                select(Delivery.status, func.count(), func.count(Delivery.opened_at), func.count(Delivery.clicked_at),
                       func.count(Delivery.unsubscribed_at))
                .where(Delivery.campaign_id == campaign_id).group_by(Delivery.status)).all()
        by_status = {status.value: 0 for status in DeliveryStatus}
        opened = clicked = unsubscribed = 0
        for status, total, opens, clicks, unsubs in rows:
            by_status[status.value] = total
            opened += opens
            clicked += clicks
            unsubscribed += unsubs
        sent = by_status["sent"]

        def rate(part: int) -> float:
            return round(part / sent, 4) if sent else 0.0

        total = sum(by_status.values())
        done = total - by_status["held"] - by_status["queued"] - by_status["sending"]
        return {
            "campaign_id": campaign.id, "status": campaign.status.value, "recipients": total,
            "by_status": by_status, "sent": sent, "bounced": by_status["bounced"], "failed": by_status["failed"],
            "opened": opened, "clicked": clicked, "unsubscribed": unsubscribed,
            "open_rate": rate(opened), "click_rate": rate(clicked), "unsubscribe_rate": rate(unsubscribed),
            "bounce_rate": round(by_status["bounced"] / done, 4) if done else 0.0,
            "done": done, "ab_winner": campaign.ab_winner,
        }

    def for_customer(self, customer_id: int, limit: int = 20) -> list[dict[str, Any]]:
        """The campaigns a customer received, newest first (one query)."""
        with self.crm.db.session() as session:
            rows = session.execute(
                select(Campaign.id, Campaign.name, Delivery.status, Delivery.sent_at, Delivery.opened_at,
                       Delivery.clicked_at, Delivery.unsubscribed_at)
                .join(Campaign, Campaign.id == Delivery.campaign_id)
                .where(Delivery.customer_id == customer_id)
                .order_by(Delivery.id.desc()).limit(limit)).all()
        return [row._asdict() for row in rows]

    def list(self, before_id: int | None = None, limit: int = 50) -> list[Campaign]:
        """Campaigns newest first, a page at a time (keyset: pass the last id seen)."""
        with self.crm.db.session() as session:
            query = select(Campaign).order_by(Campaign.id.desc()).limit(limit)
            if before_id is not None:
                query = query.where(Campaign.id < before_id)
            return list(session.scalars(query))


def parse_when(value: str | None) -> datetime | None:
    """A ``datetime-local`` form value (UTC) or ISO time; None for now."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed({"scheduled_at": ["Not a date and time."]}) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


__all__ = ["CampaignService", "parse_when"]
