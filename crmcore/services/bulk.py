"""Creating customers and contacts in bulk: the same validation as one at a time, a few multi-row INSERTs per batch.

``prepare_customer`` and ``prepare_contact`` check one record exactly as ``customers.create`` and
``contacts.create`` do (raising ValidationFailed with the field), with what those look up per record (custom
field definitions, the customer's country) passed in once per batch. ``create`` then writes a batch of prepared
records, their tags, contact points and audit entries with one INSERT ... RETURNING per table, in the caller's
transaction; ``fire`` sends the events once it has committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from marshmallow import Schema
from sqlalchemy import insert, select

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import ValidationFailed
from crmcore.models import (
    AuditEntry,
    Contact,
    ContactPoint,
    Customer,
    CustomField,
    LifecycleStage,
    Tag,
    customer_tags,
)
from crmcore.normalize import normalize_phone
from crmcore.schemas import ContactSchema, CustomerSchema
from crmcore.services.base import Service, jsonable
from crmcore.services.bulk_events import CONTACTS_IMPORTED, CUSTOMERS_IMPORTED, chunks, fire_bulk
from crmcore.services.custom_fields import validate_custom_fields

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.models import User

CUSTOMER_DEFAULTS: dict[str, Any] = {
    "kind": "organisation", "legal_name": None, "registration_id": None, "tax_id": None, "email": None,
    "phone": None, "website": None, "address": None, "city": None, "country": None, "photo_url": None,
    "industry": None, "sales_channel": None, "cooperation_type": None, "services": [],
    "lifecycle_stage": LifecycleStage.LEAD, "churn_reason": None, "churned_at": None, "source": None,
    "external_ref": None, "owner_id": None, "custom_fields": {}, "marketing_consent": False,
    "consent_changed_at": None, "consent_source": None,
}
CONTACT_DEFAULTS: dict[str, Any] = {
    "middle_name": None, "last_name": None, "position": None, "photo_url": None, "birthday": None,
    "marketing_consent": False, "consent_changed_at": None,
}


@dataclass
class NewContact:
    """A validated contact person; ``customer`` is set instead of ``values["customer_id"]`` when the customer
    is created in the same batch."""

    values: dict[str, Any]
    points: list[tuple[str, str]]
    customer: NewCustomer | None = None
    id: int | None = None

    @property
    def full_name(self) -> str:
        parts = (self.values.get("first_name"), self.values.get("middle_name"), self.values.get("last_name"))
        return " ".join(part for part in parts if part)


@dataclass
class NewCustomer:
    """A validated customer, ready to insert; ``id`` is set once it is written."""

    values: dict[str, Any]
    tags: list[str]
    audit: dict[str, Any]
    id: int | None = None


@dataclass
class Created:
    customer_ids: list[int] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)

    def add(self, other: Created) -> None:
        self.customer_ids += other.customer_ids
        self.contact_ids += other.contact_ids


class BulkRecordService(Service):
    """``crm.services.bulk``: customers and contacts created a batch at a time (imports)."""

    def __init__(self, crm: Any) -> None:
        super().__init__(crm)
        self._schemas: dict[tuple[type[Schema], frozenset[str]], Schema] = {}

    def _schema(self, schema: type[Schema], data: Mapping[str, Any]) -> Schema:
        """The schema limited to the fields ``data`` has (the rows of one file all have the same ones): loading
        skips the two dozen absent fields. Data with an unknown field gets the whole schema, which refuses it."""
        keys = frozenset(data)
        found = self._schemas.get((schema, keys))
        if found is None:
            fields = schema().fields
            if not keys <= set(fields) or any(f.required and name not in keys for name, f in fields.items()):
                return schema()
            found = self._schemas[(schema, keys)] = schema(only=sorted(keys))
        return found

    @staticmethod
    def customer_fields(session: Session) -> list[CustomField]:
        """The custom field definitions ``prepare_customer`` checks against; read once per batch."""
        return list(session.scalars(select(CustomField).where(CustomField.entity == "customer")))

    def prepare_customer(self, data: Mapping[str, Any], definitions: Sequence[CustomField],
                         actor: User | None) -> NewCustomer:
        """Validate a new customer as ``customers.create`` does; raises ValidationFailed naming the field."""
        values = self.validate(self._schema(CustomerSchema, data), data)
        if values.get("country"):
            values["country"] = values["country"].upper()
        if values.get("owner_id") is not None:
            raise ValidationFailed({"owner_id": ["An owner cannot be set in a bulk write."]})
        if "custom_fields" in values:
            values["custom_fields"] = validate_custom_fields(definitions, values["custom_fields"])
        if "marketing_consent" in values:
            values["consent_changed_at"] = utcnow()
            values.setdefault("consent_source", "manual")
        if values.get("lifecycle_stage") is LifecycleStage.FORMER:
            if not values.get("churn_reason"):
                raise ValidationFailed({"churn_reason": ["Say why the customer left."]})
            values["churned_at"] = utcnow()
        if actor is not None:
            values["owner_id"] = actor.id
        tags = list(dict.fromkeys(name for name in values.pop("tags", []) if name))
        audit = jsonable({key: [None, value] for key, value in data.items() if key in values or key == "tags"})
        return NewCustomer(values, tags, audit)

    def prepare_contact(self, data: Mapping[str, Any], region: str | None,
                        customer: NewCustomer | None = None) -> NewContact:
        """Validate a new contact as ``contacts.create`` does; phones are read in ``region`` (the customer's
        country). ``customer`` stands for ``customer_id`` when the customer is new in the same batch."""
        data = {"customer_id": 0, **data} if customer else data
        values = self.validate(self._schema(ContactSchema, data), data)
        values.pop("country", None)
        points = [("email", email) for email in values.pop("emails", [])]
        for index, raw in enumerate(values.pop("phones", [])):
            try:
                points.append(("phone", normalize_phone(raw, data.get("country") or region)))
            except ValueError as exc:
                raise ValidationFailed({f"phones.{index}": [str(exc)]}) from exc
        points += [(m["kind"], m["value"]) for m in values.pop("messengers", [])]
        if values.get("marketing_consent"):
            values["consent_changed_at"] = utcnow()
        return NewContact(values, points, customer)

    def create(self, session: Session, customers: Sequence[NewCustomer], contacts: Sequence[NewContact],
               actor: User | None) -> Created:
        """Write prepared customers, then contacts, in ``session``'s transaction; returns the new ids."""
        policy.require(actor, "customers")
        now = utcnow()
        created = Created()
        if customers:
            created.customer_ids = self._insert_customers(session, customers, actor, now)
        if contacts:
            created.contact_ids = self._insert_contacts(session, contacts, actor, now)
        return created

    def fire(self, created: Created, actor: User | None) -> None:
        """The events for a committed batch: ``customers_imported``/``contacts_imported`` on the plugins that
        implement them, ``customer_created``/``contact_created`` per record on all others."""
        fire_bulk(self.crm, CUSTOMERS_IMPORTED, created.customer_ids, actor, _load(Customer))
        fire_bulk(self.crm, CONTACTS_IMPORTED, created.contact_ids, actor, _load(Contact))

    # -- writing -------------------------------------------------------------------------------------

    def _insert_customers(self, session: Session, customers: Sequence[NewCustomer], actor: User | None,
                          now: Any) -> list[int]:
        rows = [{**CUSTOMER_DEFAULTS, **new.values, "version": 1, "created_at": now, "updated_at": now}
                for new in customers]
        table = Customer.__table__
        ids = list(session.connection().execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
        for new, customer_id in zip(customers, ids, strict=True):
            new.id = customer_id
        self._insert_tags(session, customers)
        self._audit(session, actor, now, "customer", ((new.id, new.audit) for new in customers))
        return ids

    @staticmethod
    def _insert_tags(session: Session, customers: Sequence[NewCustomer]) -> None:
        names = sorted({name for new in customers for name in new.tags})
        if not names:
            return
        tag_ids: dict[str, int] = {}
        for part in chunks(names):
            tag_ids.update(dict(session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(part))).all()))
        missing = [{"name": name} for name in names if name not in tag_ids]
        if missing:
            table = Tag.__table__
            tag_ids.update(dict(session.connection().execute(
                insert(table).returning(table.c.name, table.c.id, sort_by_parameter_order=True), missing).all()))
        session.connection().execute(insert(customer_tags), [
            {"customer_id": new.id, "tag_id": tag_ids[name]} for new in customers for name in new.tags])

    def _insert_contacts(self, session: Session, contacts: Sequence[NewContact], actor: User | None,
                         now: Any) -> list[int]:
        rows = []
        for new in contacts:
            values = {**CONTACT_DEFAULTS, **new.values, "version": 1, "created_at": now, "updated_at": now}
            if new.customer is not None:
                values["customer_id"] = new.customer.id
            rows.append(values)
        table = Contact.__table__
        ids = list(session.connection().execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
        for new, contact_id in zip(contacts, ids, strict=True):
            new.id = contact_id
        points = [{"contact_id": contact_id, "kind": kind, "value": value, "label": None}
                  for contact_id, new in zip(ids, contacts, strict=True) for kind, value in new.points]
        if points:
            session.connection().execute(insert(ContactPoint.__table__), points)
        self._audit(session, actor, now, "contact", (
            (contact_id, {"customer_id": [None, row["customer_id"]], "name": [None, new.full_name]})
            for contact_id, new, row in zip(ids, contacts, rows, strict=True)))
        return ids

    @staticmethod
    def _audit(session: Session, actor: User | None, now: Any, entity: str,
               entries: Iterable[tuple[int | None, dict[str, Any]]]) -> None:
        user_id = actor.id if actor is not None else None
        rows = [{"at": now, "user_id": user_id, "entity": entity, "entity_id": entity_id, "action": "create",
                 "changes": changes} for entity_id, changes in entries]
        if rows:
            session.connection().execute(insert(AuditEntry.__table__), rows)


def _load(model: Any) -> Any:
    def load(session: Session, ids: Sequence[int]) -> list[Any]:
        return list(session.scalars(select(model).where(model.id.in_(list(ids))).order_by(model.id)))

    return load
