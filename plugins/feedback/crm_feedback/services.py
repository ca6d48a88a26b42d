"""The feedback plugin's write path: items, ideas and their deals, statuses and notices, NPS surveys."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select, update

from crm_feedback.models import Idea, IdeaDeal, IdeaStatus, Item, Kind, Sentiment, Source, Survey
from crm_feedback.spam import address_hash
from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import NotFound, Refused, ValidationFailed
from crmcore.models import Customer, Deal, Product, Touchpoint
from crmcore.normalize import normalize_email
from crmcore.services.base import audit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.models import User
    from crmcore.runtime import CRM

log = logging.getLogger(__name__)
SURVEY_SALT = "crm-feedback-nps"


class ItemSchema(Schema):
    customer_id = fields.Integer(allow_none=True, strict=True)
    product_id = fields.Integer(allow_none=True, strict=True)
    feature = fields.String(allow_none=True, validate=validate.Length(max=120))
    kind = fields.Enum(Kind, by_value=True, required=True)
    sentiment = fields.Enum(Sentiment, by_value=True, load_default=Sentiment.NEUTRAL)
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    touchpoint_id = fields.Integer(allow_none=True, strict=True)
    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    # When it was received, for feedback entered or imported later (defaults to now).
    created_at = fields.AwareDateTime(default_timezone=UTC,
                                      validate=lambda value: value <= utcnow() + timedelta(minutes=5)
                                      or _raise("Must not be in the future."))


def _raise(message: str) -> bool:
    raise ValidationError(message)


class IdeaSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(load_default="", validate=validate.Length(max=10000))
    product_id = fields.Integer(allow_none=True, strict=True)


def _load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationFailed({"_schema": ["Expected an object of fields."]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(exc.normalized_messages()) from exc


@dataclass(frozen=True)
class Notified:
    emailed: int
    tasks: int


@dataclass(frozen=True)
class SurveysSent:
    sent: int
    not_sent: int
    email_enabled: bool


def _sent(result: Any) -> bool:
    """``send_transactional_email`` answers True when queued; None (or [] while no plugin offers it) otherwise."""
    return result is True


class FeedbackService:
    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    @property
    def settings(self) -> dict[str, Any]:
        return self.crm.plugins.settings("feedback")

    # -- items --------------------------------------------------------------------------------------

    def _check_links(self, session: Session, values: dict[str, Any], actor: User | None) -> None:
        if values.get("touchpoint_id") is not None:
            touchpoint = session.get(Touchpoint, values["touchpoint_id"])
            if touchpoint is None:
                raise ValidationFailed({"touchpoint_id": [f"No touchpoint with id {values['touchpoint_id']}."]})
            if values.get("customer_id") not in (None, touchpoint.customer_id):
                raise ValidationFailed({"touchpoint_id": ["This touchpoint belongs to another customer."]})
            values["customer_id"] = touchpoint.customer_id
        if values.get("customer_id") is not None:
            customer = session.get(Customer, values["customer_id"])
            if customer is None:
                raise ValidationFailed({"customer_id": [f"No customer with id {values['customer_id']}."]})
            policy.require_record(actor, self.crm.settings, customer)
        if values.get("product_id") is not None and session.get(Product, values["product_id"]) is None:
            raise ValidationFailed({"product_id": [f"No product with id {values['product_id']}."]})
        if values.get("email"):
            try:
                values["email"] = normalize_email(values["email"])
            except ValueError as exc:
                raise ValidationFailed({"email": [str(exc)]}) from exc

    def record(self, data: Mapping[str, Any], actor: User | None = None, source: Source = Source.SCREEN,
               source_hash: str | None = None) -> Item:
        """Add a feedback item (from a screen, a touchpoint, the API or the public form)."""
        policy.require(actor, "customers")
        values = _load(ItemSchema(), data)
        if values.get("touchpoint_id") is not None and source is Source.SCREEN:
            source = Source.TOUCHPOINT
        with self.crm.db.session() as session:
            self._check_links(session, values, actor)
            if values.get("customer_id") is None and values.get("email"):
                values["customer_id"] = session.scalar(select(Customer.id).where(Customer.email == values["email"])
                                                       .order_by(Customer.id).limit(1))
            item = Item(**values, source=source, source_hash=source_hash, user_id=actor.id if actor else None)
            session.add(item)
            session.flush()
            audit(session, actor, "feedback_item", item.id, "create",
                  {"kind": [None, item.kind], "source": [None, item.source]})
        return item

    def submit_public(self, data: Mapping[str, Any], address: str) -> Item:
        """A post of the public form, refused once its address has sent ``rate_limit_per_hour`` items."""
        digest = address_hash(self.crm.settings.secret_key, address or "unknown")
        since = utcnow() - timedelta(hours=1)
        with self.crm.db.session() as session:
            recent = session.scalar(select(func.count(Item.id)).where(Item.source_hash == digest,
                                                                      Item.created_at >= since))
        if recent >= self.settings["rate_limit_per_hour"]:
            raise Refused("Too many messages from your address; please try again later.")
        allowed = {key: data.get(key) for key in ("email", "product_id", "feature", "kind", "text")
                   if data.get(key) not in (None, "")}
        if not allowed.get("email"):
            raise ValidationFailed({"email": ["Give an email address so we can answer."]})
        return self.record(allowed, source=Source.PUBLIC_FORM, source_hash=digest)

    # -- ideas --------------------------------------------------------------------------------------

    def create_idea(self, data: Mapping[str, Any], actor: User | None = None) -> Idea:
        policy.require(actor, "catalog")
        values = _load(IdeaSchema(), data)
        with self.crm.db.session() as session:
            if values.get("product_id") is not None and session.get(Product, values["product_id"]) is None:
                raise ValidationFailed({"product_id": [f"No product with id {values['product_id']}."]})
            idea = Idea(**values)
            session.add(idea)
            session.flush()
            audit(session, actor, "feedback_idea", idea.id, "create", {"title": [None, idea.title]})
        return idea

    def _idea(self, session: Session, idea_id: int) -> Idea:
        idea = session.get(Idea, idea_id) if isinstance(idea_id, int) else None
        if idea is None:
            raise NotFound(f"No idea with id {idea_id}.")
        return idea

    def merge(self, item_ids: list[int], idea_id: int, actor: User | None = None) -> int:
        """Attach requests to an idea (all or none: an unknown item id refuses the whole list)."""
        policy.require(actor, "catalog")
        ids = sorted({i for i in item_ids if isinstance(i, int)})
        if not ids or len(ids) != len(item_ids):
            raise ValidationFailed({"item_ids": ["Give a list of distinct item ids."]})
        with self.crm.db.session() as session:
            self._idea(session, idea_id)
            found = set(session.scalars(select(Item.id).where(Item.id.in_(ids))))
            missing = [i for i in ids if i not in found]
            if missing:
                raise ValidationFailed({"item_ids": [f"No feedback item with id {', '.join(map(str, missing))}."]})
            session.execute(update(Item).where(Item.id.in_(ids)).values(idea_id=idea_id))
            audit(session, actor, "feedback_idea", idea_id, "merge", {"item_ids": [None, ids]})
        return len(ids)

    def link_deal(self, idea_id: int, deal_id: int, actor: User | None = None) -> None:
        """Say an open deal depends on this idea."""
        policy.require(actor, "catalog")
        with self.crm.db.session() as session:
            self._idea(session, idea_id)
            deal = session.get(Deal, deal_id) if isinstance(deal_id, int) else None
            if deal is None:
                raise ValidationFailed({"deal_id": [f"No deal with id {deal_id}."]})
            if session.get(IdeaDeal, (idea_id, deal_id)) is None:
                session.add(IdeaDeal(idea_id=idea_id, deal_id=deal_id))
                audit(session, actor, "feedback_idea", idea_id, "link_deal", {"deal_id": [None, deal_id]})

    def set_status(self, idea_id: int, status: str, actor: User | None = None) -> Notified | None:
        """Move an idea along; shipping it tells every customer who asked for it."""
        policy.require(actor, "catalog")
        try:
            new = IdeaStatus(status)
        except ValueError:
            raise ValidationFailed({"status": [f"One of {', '.join(s.value for s in IdeaStatus)}."]}) from None
        with self.crm.db.session() as session:
            idea = self._idea(session, idea_id)
            old = idea.status
            if old == new:
                return None
            if old is IdeaStatus.SHIPPED:
                raise Refused("This idea has shipped already.")
            idea.status = new
            if new is IdeaStatus.SHIPPED:
                idea.shipped_at = utcnow()
            audit(session, actor, "feedback_idea", idea.id, "update", {"status": [old, new]})
        return self.notify_shipped(idea_id, actor) if new is IdeaStatus.SHIPPED else None

    def notify_shipped(self, idea_id: int, actor: User | None = None) -> Notified:
        """Email each asking customer when email marketing takes it; otherwise a task for their owner."""
        with self.crm.db.session() as session:
            idea = self._idea(session, idea_id)
            title = idea.title
            askers = session.execute(select(Customer.id, Customer.owner_id).where(
                Customer.id.in_(select(Item.customer_id).where(Item.idea_id == idea_id)))
                .order_by(Customer.id)).all()
        subject = f"You asked for it: {title}"
        text = f"Thank you for your suggestion. We have just shipped: {title}."
        html = Markup("<p>Thank you for your suggestion. We have just shipped: <strong>{}</strong>.</p>").format(
            escape(title))
        emailed = tasks = 0
        for customer_id, owner_id in askers:
            result = self.crm.hook.send_transactional_email(crm=self.crm, customer_id=customer_id, subject=subject,
                                                            html=str(html), text=text, kind="feedback_idea_shipped")
            if _sent(result):
                emailed += 1
                continue
            self.crm.services.tasks.create({
                "title": f"Tell the customer that '{title[:200]}' has shipped",
                "customer_id": customer_id, "assignee_id": owner_id, "source": "feedback"})
            tasks += 1
        return Notified(emailed, tasks)

    # -- NPS ----------------------------------------------------------------------------------------

    def survey_token(self, survey_id: int) -> str:
        return URLSafeSerializer(self.crm.settings.secret_key, salt=SURVEY_SALT).dumps(survey_id)

    def survey_from_token(self, token: str) -> int | None:
        try:
            value = URLSafeSerializer(self.crm.settings.secret_key, salt=SURVEY_SALT).loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, int) else None

    def send_nps(self, customer_ids: list[int], actor: User | None = None) -> SurveysSent:
        """Ask each customer the 0-10 question by email. Without email marketing nothing is sent: the
        result says so (``email_enabled`` False) and no survey is left waiting."""
        policy.require(actor, "reports")
        email_enabled = self.crm.plugins.is_enabled("email_marketing")
        sent = not_sent = 0
        base = self.crm.settings.public_url.rstrip("/")
        for customer_id in customer_ids:
            with self.crm.db.session() as session:
                if session.get(Customer, customer_id) is None:
                    raise ValidationFailed({"customer_ids": [f"No customer with id {customer_id}."]})
                survey = Survey(customer_id=customer_id)
                session.add(survey)
                session.flush()
                survey_id = survey.id
            link = f"{base}/feedback/nps/{self.survey_token(survey_id)}"
            scores = " ".join(f'<a href="{link}?score={n}">{n}</a>' for n in range(11))
            result = self.crm.hook.send_transactional_email(
                crm=self.crm, customer_id=customer_id, subject="How likely are you to recommend us?",
                html=f"<p>How likely are you to recommend us to a friend or colleague? (0-10)</p><p>{scores}</p>",
                text=f"How likely are you to recommend us to a friend or colleague? Answer here: {link}",
                kind="feedback_nps")
            if _sent(result):
                sent += 1
                continue
            not_sent += 1
            with self.crm.db.session() as session:
                session.execute(Survey.__table__.delete().where(Survey.id == survey_id))
        return SurveysSent(sent, not_sent, email_enabled)

    def answer(self, survey_id: int, score: Any, comment: str | None = None) -> Survey:
        """Record the answer of a survey, once."""
        if isinstance(score, str) and score.strip().isdigit():
            score = int(score.strip())
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 10:
            raise ValidationFailed({"score": ["Choose a number from 0 to 10."]})
        comment = (comment or "").strip()[:5000] or None
        with self.crm.db.session() as session:
            answered = session.execute(update(Survey).where(Survey.id == survey_id, Survey.answered_at.is_(None))
                                       .values(score=score, comment=comment, answered_at=utcnow())).rowcount
            survey = session.get(Survey, survey_id)
            if survey is None:
                raise NotFound("This survey does not exist.")
            if not answered:
                raise Refused("This survey has been answered already. Thank you!")
        return survey
