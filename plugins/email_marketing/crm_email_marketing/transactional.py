"""One-off emails other plugins send through this one (NPS surveys, notices): ``send_transactional_email``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from crmcore.jobs.queue import JobsUnavailable
from crmcore.models import Customer

from .audience import is_suppressed
from .models import Delivery, DeliveryStatus
from .sending import enqueue_senders

if TYPE_CHECKING:
    from crmcore.runtime import CRM

log = logging.getLogger(__name__)


def queue_transactional(crm: CRM, customer_id: int, subject: str, html: str, text: str, kind: str) -> bool | None:
    """Store the message as a delivery and queue it. None when the customer cannot be mailed.

    The content is final (no template rendering); the message gets the same headers, unsubscribe link and
    tracking as campaign mail. When Redis is down the delivery waits and the sweep sends it later.
    """
    if not subject.strip() or not (html.strip() or text.strip()):
        raise ValueError("a transactional email needs a subject and a body")
    with crm.db.session() as session:
        email = session.scalar(select(Customer.email).where(Customer.id == customer_id))
        if not email or is_suppressed(session, email):
            return None
        session.add(Delivery(campaign_id=None, customer_id=customer_id, email=email, kind=kind[:40] or "notice",
                             status=DeliveryStatus.QUEUED, subject=subject[:998], html=html, text=text))
    try:
        enqueue_senders(crm, None)
    except JobsUnavailable:
        log.warning("job queue unreachable; a transactional email waits for the sweep")
    return True
