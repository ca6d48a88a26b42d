"""Hooks this plugin publishes for other plugins (see the README)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@hookspec
def email_engagement(crm: Any, session: Session, customer_ids: list[int],
                     since: datetime) -> dict[int, list[tuple[str, datetime]]]:
    """Return, per customer id, the ``("open" | "click", when)`` email events since ``since``, oldest first.

    Lead scoring and other plugins read engagement in bulk: one call per batch of customers. Customers with
    no event are left out.
    """


@hookspec(firstresult=True)
def send_transactional_email(crm: Any, customer_id: int, subject: str, html: str, text: str,
                             kind: str) -> bool | None:
    """Send one email to a customer (an NPS survey, a notice); ``html`` and ``text`` are final content.

    Returns True when the message is queued for sending, None when no enabled plugin sends email or the
    customer cannot be mailed (no address, unsubscribed, hard-bounced). ``kind`` labels the message in the
    delivery log (e.g. ``"nps"``).
    """
