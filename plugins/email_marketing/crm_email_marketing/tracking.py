"""What recipients do with a message: opens, clicks and unsubscribes, plus the engagement other plugins read."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select, update

from crmcore.db import utcnow
from crmcore.services import transaction

from .models import Campaign, Delivery, Event, EventKind
from .sending import cancel_pending_for_customer, suppress
from .settings import PLUGIN

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.runtime import CRM


def _touchpoint(crm: CRM, tx: Any, delivery: Delivery, subject: str, outcome: str) -> None:
    crm.services.touchpoints.record({
        "customer_id": delivery.customer_id, "channel": "email", "direction": "inbound", "source": PLUGIN,
        "subject": subject[:300], "outcome": outcome,
    }, tx=tx)


def _campaign_name(session: Session, delivery: Delivery) -> str:
    if delivery.campaign_id is None:
        return delivery.subject or "Email"
    return session.scalar(select(Campaign.name).where(Campaign.id == delivery.campaign_id)) or "Campaign"


def record_open(crm: CRM, delivery_id: int) -> bool:
    """An open of a delivery. The first one is a touchpoint; every one is an event. False: no such delivery."""
    with transaction(crm) as t:
        delivery = t.session.get(Delivery, delivery_id)
        if delivery is None:
            return False
        now = utcnow()
        first = t.session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.opened_at.is_(None))
                                  .values(opened_at=now).execution_options(synchronize_session=False)).rowcount
        t.session.add(Event(delivery_id=delivery_id, campaign_id=delivery.campaign_id,
                            customer_id=delivery.customer_id, kind=EventKind.OPEN, occurred_at=now))
        if first:
            _touchpoint(crm, t, delivery, f"Opened: {_campaign_name(t.session, delivery)}", "opened")
    return True


def click_target(crm: CRM, delivery_id: int, link_index: int) -> str | None:
    """Record a click and return the campaign link it leads to; None when there is no such delivery or link."""
    with transaction(crm) as t:
        delivery = t.session.get(Delivery, delivery_id)
        if delivery is None or delivery.campaign_id is None:
            return None
        links = t.session.scalar(select(Campaign.links).where(Campaign.id == delivery.campaign_id)) or []
        if not 0 <= link_index < len(links):
            return None
        now = utcnow()
        seen = t.session.scalar(select(exists().where(Event.delivery_id == delivery_id, Event.kind == EventKind.CLICK,
                                                      Event.link_index == link_index)))
        t.session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.clicked_at.is_(None))
                          .values(clicked_at=now).execution_options(synchronize_session=False))
        # A click proves the message was opened even when images were blocked.
        t.session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.opened_at.is_(None))
                          .values(opened_at=now).execution_options(synchronize_session=False))
        t.session.add(Event(delivery_id=delivery_id, campaign_id=delivery.campaign_id,
                            customer_id=delivery.customer_id, kind=EventKind.CLICK, link_index=link_index,
                            occurred_at=now))
        if not seen:
            _touchpoint(crm, t, delivery, f"Clicked: {_campaign_name(t.session, delivery)}", "clicked")
    return links[link_index]


def delivery_exists(crm: CRM, delivery_id: int) -> bool:
    with crm.db.session() as session:
        return session.get(Delivery, delivery_id) is not None


def unsubscribe(crm: CRM, delivery_id: int, source: str = "email_unsubscribe") -> bool:
    """Unsubscribe the recipient of a delivery: suppress the address, withdraw consent, stop pending mail.

    Idempotent. False when there is no such delivery.
    """
    with transaction(crm) as t:
        delivery = t.session.get(Delivery, delivery_id)
        if delivery is None:
            return False
        suppress(t.session, delivery.email, "unsubscribed", source)
        if delivery.unsubscribed_at is not None:
            return True
        now = utcnow()
        delivery.unsubscribed_at = now
        t.session.add(Event(delivery_id=delivery_id, campaign_id=delivery.campaign_id,
                            customer_id=delivery.customer_id, kind=EventKind.UNSUBSCRIBE, occurred_at=now))
        cancel_pending_for_customer(t.session, delivery.customer_id)
        _touchpoint(crm, t, delivery, f"Unsubscribed: {_campaign_name(t.session, delivery)}", "unsubscribed")
        crm.services.customers.update(delivery.customer_id,
                                      {"marketing_consent": False, "consent_source": source}, tx=t)
    return True


def engagement(session: Session, customer_ids: list[int], since: datetime) -> dict[int, list[tuple[str, datetime]]]:
    """Opens and clicks per customer since ``since``, oldest first (the ``email_engagement`` hook)."""
    result: dict[int, list[tuple[str, datetime]]] = {}
    if not customer_ids:
        return result
    rows = session.execute(
        select(Event.customer_id, Event.kind, Event.occurred_at)
        .where(Event.customer_id.in_(customer_ids), Event.occurred_at >= since,
               Event.kind.in_([EventKind.OPEN, EventKind.CLICK]))
        .order_by(Event.customer_id, Event.occurred_at)).all()
    for customer_id, kind, occurred_at in rows:
        result.setdefault(customer_id, []).append((kind.value, occurred_at))
    return result
