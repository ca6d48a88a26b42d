"""Finding the record a row (or an existing record) duplicates: the same email, E.164 phone or reference.

Used by the import (against the database and earlier rows of the same file, which share the transaction) and
by the duplicate finder screen and API (pairs of customers already in the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from crmcore.models import Contact, ContactPoint, Customer


def find_customer(session: Session, *, external_ref: str | None = None, email: str | None = None,
                  phone: str | None = None) -> tuple[int, str] | None:
    """The first customer with this reference, email or phone, and what matched; emails are stored normalised."""
    for label, column, value in (("reference", Customer.external_ref, external_ref),
                                 ("email", Customer.email, email), ("phone", Customer.phone, phone)):
        if value:
            found = session.scalar(select(Customer.id).where(column == value).order_by(Customer.id).limit(1))
            if found is not None:
                return found, label
    return None


def find_contact(session: Session, customer_id: int | None, *, emails: list[str] = (), phones: list[str] = (),
                 first_name: str | None = None, last_name: str | None = None) -> tuple[int, str] | None:
    """The first contact with one of these emails or phones, or with the same name at the same customer."""
    for kind, values in (("email", emails), ("phone", phones)):
        if values:
            found = session.scalar(select(ContactPoint.contact_id)
                                   .where(ContactPoint.kind == kind, ContactPoint.value.in_(list(values)))
                                   .order_by(ContactPoint.contact_id).limit(1))
            if found is not None:
                return found, kind
    if customer_id is not None and first_name:
        query = select(Contact.id).where(Contact.customer_id == customer_id,
                                         func.lower(Contact.first_name) == first_name.lower())
        query = query.where(func.lower(Contact.last_name) == last_name.lower()) if last_name \
            else query.where(Contact.last_name.is_(None))
        found = session.scalar(query.order_by(Contact.id).limit(1))
        if found is not None:
            return found, "name at the same customer"
    return None


@dataclass(frozen=True)
class DuplicatePair:
    kept_id: int
    kept_name: str
    duplicate_id: int
    duplicate_name: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"kept_id": self.kept_id, "kept_name": self.kept_name, "duplicate_id": self.duplicate_id,
                "duplicate_name": self.duplicate_name, "reason": self.reason}


def customer_duplicates(session: Session, limit: int = 100, after_id: int = 0) -> list[DuplicatePair]:
    """Pairs of customers sharing an email, a phone or a reference (the older one is offered as the one to keep).

    Each pairing is one indexed self-join; ``after_id`` pages through the duplicates by their id.
    """
    pairs: dict[tuple[int, int], DuplicatePair] = {}
    other = aliased(Customer)
    for label, column in (("same email", "email"), ("same phone", "phone"), ("same reference", "external_ref")):
        mine, theirs = getattr(Customer, column), getattr(other, column)
        rows = session.execute(
            select(Customer.id, Customer.name, other.id, other.name)
            .join(other, and_(mine == theirs, other.id > Customer.id))
            .where(mine.is_not(None), mine != "", other.id > after_id)
            .order_by(other.id, Customer.id).limit(limit)
        ).all()
        for kept_id, kept_name, duplicate_id, duplicate_name in rows:
            pairs.setdefault((kept_id, duplicate_id),
                             DuplicatePair(kept_id, kept_name, duplicate_id, duplicate_name, label))
    ordered = sorted(pairs.values(), key=lambda pair: (pair.duplicate_id, pair.kept_id))
    # One row per duplicate: merging it into the oldest record it matches.
    seen: set[int] = set()
    result = []
    for pair in ordered:
        if pair.duplicate_id not in seen:
            seen.add(pair.duplicate_id)
            result.append(pair)
    return result[:limit]

