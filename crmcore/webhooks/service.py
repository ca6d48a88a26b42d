"""Registering webhooks and queueing their deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import NotFound, Refused, ValidationFailed
from crmcore.jobs.queue import JobsUnavailable
from crmcore.models import Webhook, WebhookDelivery
from crmcore.services.base import audit, jsonable

if TYPE_CHECKING:
    from crmcore.models import User
    from crmcore.runtime import CRM

#: The events a webhook can subscribe to: the core's event hooks of the same names.
EVENTS = (
    "customer_created", "customer_updated", "customer_deleted", "contact_created", "contact_updated",
    "contact_deleted", "deal_created", "deal_updated", "deal_stage_changed", "deal_won", "deal_lost",
    "deal_deleted", "touchpoint_recorded", "task_created", "task_completed",
)
#: Seconds to wait before each retry of a failed delivery.
BACKOFF_SECONDS = [30, 120, 600, 3600]
CACHE_SECONDS = 2.0
DELIVER = "crmcore.webhooks.delivery:deliver"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for a body sent at ``timestamp`` (seconds since the epoch, as text)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class _Subscriptions:
    """Active webhooks per event, re-read at most every CACHE_SECONDS so events cost no query each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read_at: dict[int, float] = {}
        self._by_event: dict[int, dict[str, list[int]]] = {}

    def for_event(self, crm: CRM, event: str) -> list[int]:
        key = id(crm)
        with self._lock:
            if time.monotonic() - self._read_at.get(key, -1e9) > CACHE_SECONDS:
                with crm.db.session() as session:
                    rows = session.execute(select(Webhook.id, Webhook.events).where(Webhook.active.is_(True))).all()
                by_event: dict[str, list[int]] = {}
                for webhook_id, events in rows:
                    for name in events or ():
                        by_event.setdefault(name, []).append(webhook_id)
                self._by_event[key] = by_event
                self._read_at[key] = time.monotonic()
            return list(self._by_event[key].get(event, ()))

    def forget(self) -> None:
        with self._lock:
            self._read_at.clear()


subscriptions = _Subscriptions()


class WebhookService:
    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    @staticmethod
    def _check(url: str, events: Iterable[str]) -> list[str]:
        errors: dict[str, list[str]] = {}
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
            errors["url"] = ["Give an http:// or https:// address of at most 500 characters."]
        chosen = list(dict.fromkeys(events))
        unknown = [e for e in chosen if e not in EVENTS]
        if not chosen or unknown:
            errors["events"] = [f"Choose events among: {', '.join(EVENTS)}."]
        if errors:
            raise ValidationFailed(errors)
        return chosen

    def create(self, url: str, events: Iterable[str], description: str = "",
               actor: User | None = None) -> tuple[Webhook, str]:
        """Register a URL; returns the webhook and its signing secret (shown once to the admin)."""
        policy.require(actor, "settings")
        chosen = self._check(url, events)
        secret = secrets.token_urlsafe(32)
        with self.crm.db.session() as session:
            webhook = Webhook(url=url, events=chosen, secret=secret, description=(description or "")[:200],
                              active=True, created_by=actor.id if actor else None)
            session.add(webhook)
            session.flush()
            audit(session, actor, "webhook", webhook.id, "create", {"url": [None, url], "events": [None, chosen]})
        subscriptions.forget()
        return webhook, secret

    def list(self, actor: User | None = None) -> list[Webhook]:
        policy.require(actor, "settings")
        with self.crm.db.session() as session:
            return list(session.scalars(select(Webhook).order_by(Webhook.id)))

    def delete(self, webhook_id: int, actor: User | None = None) -> None:
        policy.require(actor, "settings")
        with self.crm.db.session() as session:
            webhook = session.get(Webhook, webhook_id)
            if webhook is None:
                raise NotFound(f"No webhook with id {webhook_id}.")
            session.delete(webhook)
            audit(session, actor, "webhook", webhook_id, "delete", {"url": [webhook.url, None]})
        subscriptions.forget()

    def get(self, webhook_id: int, actor: User | None = None) -> Webhook:
        policy.require(actor, "settings")
        with self.crm.db.session() as session:
            webhook = session.get(Webhook, webhook_id)
            if webhook is None:
                raise NotFound(f"No webhook with id {webhook_id}.")
            return webhook

    def set_active(self, webhook_id: int, active: bool, actor: User | None = None) -> Webhook:
        """Pause or resume a webhook: while paused its events are not queued (nothing is stored for later)."""
        policy.require(actor, "settings")
        with self.crm.db.session() as session:
            webhook = session.get(Webhook, webhook_id)
            if webhook is None:
                raise NotFound(f"No webhook with id {webhook_id}.")
            if webhook.active != active:
                audit(session, actor, "webhook", webhook_id, "update", {"active": [webhook.active, active]})
                webhook.active = active
        subscriptions.forget()
        return self.get(webhook_id, actor)

    def redeliver(self, delivery_id: int, actor: User | None = None) -> WebhookDelivery:
        """Queue a failed delivery once more, with the same body (receivers tell repeats by X-CRM-Delivery)."""
        policy.require(actor, "settings")
        with self.crm.db.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                raise NotFound(f"No delivery with id {delivery_id}.")
            if delivery.status != "failed":
                raise Refused("Only a failed delivery can be sent again.")
            delivery.status, delivery.error = "pending", None
            audit(session, actor, "webhook", delivery.webhook_id, "redeliver", {"delivery": [None, delivery_id]})
        try:
            self._enqueue([delivery_id])
        except JobsUnavailable:
            with self.crm.db.session() as session:
                session.get(WebhookDelivery, delivery_id).status = "failed"
            raise
        with self.crm.db.session() as session:
            return session.get(WebhookDelivery, delivery_id)

    def deliveries(self, webhook_id: int, limit: int = 100, actor: User | None = None) -> list[WebhookDelivery]:
        policy.require(actor, "settings")
        with self.crm.db.session() as session:
            return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
                                        .order_by(WebhookDelivery.id.desc()).limit(limit)))

    def dispatch(self, event: str, data: dict[str, Any]) -> list[int]:
        """Log and queue one delivery per webhook subscribed to ``event``; returns the delivery ids."""
        webhook_ids = subscriptions.for_event(self.crm, event)
        if not webhook_ids:
            return []
        body = json.dumps({"event": event, "occurred_at": utcnow().isoformat(), "data": jsonable(data)},
                          ensure_ascii=False, separators=(",", ":"), default=str)
        with self.crm.db.session() as session:
            deliveries = [WebhookDelivery(webhook_id=webhook_id, event=event, body=body, status="pending",
                                          attempts=0) for webhook_id in webhook_ids]
            session.add_all(deliveries)
            session.flush()
            ids = [delivery.id for delivery in deliveries]
        self._enqueue(ids)
        return ids

    def _enqueue(self, ids: list[int]) -> None:
        from rq import Retry

        for delivery_id in ids:
            self.crm.jobs.queue("default").enqueue(
                "crmcore.jobs.runner.run", DELIVER, "core", (delivery_id,), {},
                retry=Retry(max=len(BACKOFF_SECONDS), interval=list(BACKOFF_SECONDS)),
                job_timeout=60, result_ttl=3600, failure_ttl=7 * 24 * 3600)
