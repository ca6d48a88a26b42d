"""Who a campaign reaches: the union of its segments minus anyone who must not be mailed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Select, exists, func, select

from crmcore.models import Customer

from .models import Suppression

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.runtime import CRM


def mailable(customer_ids: Select | None = None) -> Select:
    """``(customer id, email)`` of customers with marketing consent, an email address, and no suppression."""
    query = select(Customer.id, Customer.email).where(
        Customer.marketing_consent.is_(True),
        Customer.email.is_not(None),
        Customer.email != "",
        ~exists().where(Suppression.email == Customer.email),
    )
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    return query


def audience(crm: CRM, segment_keys: Sequence[str]) -> Select:
    """The recipients of a campaign targeting ``segment_keys`` (any enabled plugin's segments)."""
    return mailable(crm.segments.customer_ids(*segment_keys))


def count(crm: CRM, session: Session, segment_keys: Sequence[str]) -> int:
    """How many customers a campaign would reach now (one SQL COUNT)."""
    if not segment_keys:
        return 0
    subquery = audience(crm, segment_keys).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def is_suppressed(session: Session, email: str | None) -> bool:
    return not email or session.get(Suppression, email.lower()) is not None
