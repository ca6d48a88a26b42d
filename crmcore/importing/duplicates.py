"""Finding the record a row (or an existing record) duplicates: the same email, E.164 phone or reference.

Used by the import (a row at a time for leads, a batch of rows at a time with one query per kind of key for
customers and contacts) and by the duplicate finder screen and API (pairs of customers already in the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, and_, any_, bindparam, select
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


#: Rows per IN (...) list, well below SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 1000
#: What makes two records the same, in the order they are tried: a customer's reference, email and phone;
#: a contact's email, phone, and name at the same customer.
CUSTOMER_KEYS = ("reference", "email", "phone")
CONTACT_KEYS = ("email", "phone", "name at the same customer")
Keys = dict[str, dict[Any, int]]


def name_key(customer_id: int, first_name: str, last_name: str | None) -> tuple[int, str, str]:
    """A contact's name at its customer, compared without case (in any script, unlike SQLite's lower())."""
    return customer_id, first_name.casefold(), (last_name or "").casefold()


def one_of(session: Session, column: Any, values: set[Any]) -> list[ColumnElement[bool]]:
    """Conditions that together select the rows whose ``column`` holds one of ``values``.

    PostgreSQL gets one condition with the values as one array parameter: an IN list of a thousand placeholders
    costs the driver more to build and parse than the server needs to look the values up. Elsewhere it is one
    IN list per CHUNK values.
    """
    ordered = sorted(values)
    if not ordered:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # Text without the column's length: a cast to VARCHAR(n) would cut a longer value down to a match.
        element = String() if isinstance(ordered[0], str) else column.type
        return [column == any_(bindparam(None, ordered, type_=ARRAY(element)))]
    return [column.in_(ordered[start:start + CHUNK]) for start in range(0, len(ordered), CHUNK)]


def _keep_oldest(found: dict[Any, int], key: Any, record_id: int) -> None:
    if key not in found or record_id < found[key]:
        found[key] = record_id


def existing_customers(session: Session, refs: set[str], emails: set[str], phones: set[str]) -> Keys:
    """The oldest customer holding each of these references, emails (normalised) and E.164 phones."""
    found: Keys = {label: {} for label in CUSTOMER_KEYS}
    wanted = (("reference", Customer.external_ref, refs), ("email", Customer.email, emails),
              ("phone", Customer.phone, phones))
    for label, column, values in wanted:
        for condition in one_of(session, column, values):
            for value, customer_id in session.execute(select(column, Customer.id).where(condition)):
                _keep_oldest(found[label], value, customer_id)
    return found


def existing_contacts(session: Session, emails: set[str], phones: set[str], customer_ids: set[int]) -> Keys:
    """The oldest contact with each of these emails and phones, and the contacts of these customers by name."""
    found: Keys = {label: {} for label in CONTACT_KEYS}
    for kind, values in (("email", emails), ("phone", phones)):
        for condition in one_of(session, ContactPoint.value, values):
            for value, contact_id in session.execute(select(ContactPoint.value, ContactPoint.contact_id).where(
                    ContactPoint.kind == kind, condition)):
                _keep_oldest(found[kind], value, contact_id)
    names = found["name at the same customer"]
    for condition in one_of(session, Contact.customer_id, customer_ids):
        for contact_id, customer_id, first, last in session.execute(
                select(Contact.id, Contact.customer_id, Contact.first_name, Contact.last_name).where(condition)):
            _keep_oldest(names, name_key(customer_id, first, last), contact_id)
    return found


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

