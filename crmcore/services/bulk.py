"""Creating customers and contacts in bulk: the same validation as one at a time, a few bulk writes per batch.

``prepare_customer`` and ``prepare_contact`` check one record exactly as ``customers.create`` and
``contacts.create`` do (raising ValidationFailed with the field), with what those look up per record (custom
field definitions, the customer's country) passed in once per batch. ``create`` then writes a batch of prepared
records, their tags, contact points and audit entries with one bulk write per table (``bulk_insert``: COPY on
PostgreSQL), in the caller's transaction; ``fire`` sends the events once it has committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError
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
from crmcore.schemas.fast_load import FastLoader
from crmcore.services.base import Service, jsonable
from crmcore.services.bulk_events import CONTACTS_IMPORTED, CUSTOMERS_IMPORTED, chunks, fire_bulk
from crmcore.services.bulk_insert import insert_rows, reserve_ids
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
#: The columns of a written row: the id, what every record has, the defaults, then version and timestamps.
CUSTOMER_COLUMNS = ("id", "name", *CUSTOMER_DEFAULTS, "version", "created_at", "updated_at")
CONTACT_COLUMNS = ("id", "customer_id", "first_name", *CONTACT_DEFAULTS, "version", "created_at", "updated_at")
_CUSTOMER_FIELDS = frozenset(CUSTOMER_COLUMNS)
_CONTACT_FIELDS = frozenset(CONTACT_COLUMNS)
AUDIT_COLUMNS = ("at", "user_id", "entity", "entity_id", "action", "changes")
_CUSTOMER_VALUES = itemgetter(*CUSTOMER_DEFAULTS)
_CONTACT_VALUES = itemgetter(*CONTACT_DEFAULTS)


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
        self._loaders: dict[tuple[type[Schema], frozenset[str]], FastLoader] = {}

    def _load(self, schema: type[Schema], data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` validated by ``schema`` as ``validate`` does, with a FastLoader limited to the fields ``data``
        has (the rows of one file all have the same ones), which skips the two dozen absent fields. Data with an
        unknown field, or without a required one, gets the whole schema, which refuses it."""
        keys = frozenset(data)
        loader = self._loaders.get((schema, keys))
        if loader is None:
            fields = schema().fields
            if not keys <= set(fields) or any(f.required and name not in keys for name, f in fields.items()):
                return self.validate(schema(), data)
            loader = self._loaders[(schema, keys)] = FastLoader(schema(only=sorted(keys)))
        try:
            return loader.load(data)
        except ValidationError as exc:
            raise ValidationFailed(exc.normalized_messages()) from exc

    @staticmethod
    def customer_fields(session: Session) -> list[CustomField]:
        """The custom field definitions ``prepare_customer`` checks against; read once per batch."""
        return list(session.scalars(select(CustomField).where(CustomField.entity == "customer")))

    def prepare_customer(self, data: Mapping[str, Any], definitions: Sequence[CustomField],
                         actor: User | None) -> NewCustomer:
        """Validate a new customer as ``customers.create`` does; raises ValidationFailed naming the field."""
        values = self._load(CustomerSchema, data)
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
        audit = {key: [None, jsonable(value)] for key, value in data.items() if key in values or key == "tags"}
        return NewCustomer(values, tags, audit)

    def prepare_contact(self, data: Mapping[str, Any], region: str | None,
                        customer: NewCustomer | None = None) -> NewContact:
        """Validate a new contact as ``contacts.create`` does; phones are read in ``region`` (the customer's
        country). ``customer`` stands for ``customer_id`` when the customer is new in the same batch."""
        data = {"customer_id": 0, **data} if customer else data
        values = self._load(ContactSchema, data)
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
        connection = session.connection()
        table = Customer.__table__
        ids = reserve_ids(connection, table, len(customers))
        rows = []
        for new, customer_id in zip(customers, ids, strict=True):
            new.id = customer_id
            _check_columns(new.values, _CUSTOMER_FIELDS)
            rows.append((customer_id, new.values["name"], *_CUSTOMER_VALUES({**CUSTOMER_DEFAULTS, **new.values}),
                         1, now, now))
        insert_rows(connection, table, CUSTOMER_COLUMNS, rows)
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
        insert_rows(session.connection(), customer_tags, ("customer_id", "tag_id"),
                    [(new.id, tag_ids[name]) for new in customers for name in new.tags])

    def _insert_contacts(self, session: Session, contacts: Sequence[NewContact], actor: User | None,
                         now: Any) -> list[int]:
        connection = session.connection()
        table = Contact.__table__
        ids = reserve_ids(connection, table, len(contacts))
        rows, points, audit = [], [], []
        for new, contact_id in zip(contacts, ids, strict=True):
            new.id = contact_id
            values = new.values
            _check_columns(values, _CONTACT_FIELDS)
            customer_id = new.customer.id if new.customer is not None else values["customer_id"]
            rows.append((contact_id, customer_id, values["first_name"],
                         *_CONTACT_VALUES({**CONTACT_DEFAULTS, **values}), 1, now, now))
            points += [(contact_id, kind, value, None) for kind, value in new.points]
            audit.append((contact_id, {"customer_id": [None, customer_id], "name": [None, new.full_name]}))
        insert_rows(connection, table, CONTACT_COLUMNS, rows)
        insert_rows(connection, ContactPoint.__table__, ("contact_id", "kind", "value", "label"), points)
        self._audit(session, actor, now, "contact", audit)
        return ids

    @staticmethod
    def _audit(session: Session, actor: User | None, now: Any, entity: str,
               entries: Iterable[tuple[int | None, dict[str, Any]]]) -> None:
        user_id = actor.id if actor is not None else None
        insert_rows(session.connection(), AuditEntry.__table__, AUDIT_COLUMNS,
                    [(now, user_id, entity, entity_id, "create", changes) for entity_id, changes in entries])


def _check_columns(values: dict[str, Any], columns: frozenset[str]) -> None:
    """A value without a column would be lost without a word by the positional rows of a bulk write."""
    if not values.keys() <= columns:
        raise ValueError(f"no column for {', '.join(sorted(values.keys() - columns))}")


def _load(model: Any) -> Any:
    def load(session: Session, ids: Sequence[int]) -> list[Any]:
        return list(session.scalars(select(model).where(model.id.in_(list(ids))).order_by(model.id)))

    return load
