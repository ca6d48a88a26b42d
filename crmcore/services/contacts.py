from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import ValidationFailed
from crmcore.models import Contact, ContactPoint, Customer
from crmcore.normalize import normalize_phone
from crmcore.schemas import ContactSchema
from crmcore.services.base import Service, Transaction, apply_changes, audit

if TYPE_CHECKING:
    from crmcore.models import User


class ContactService(Service):
    schema = ContactSchema()

    @staticmethod
    def _points(values: dict[str, Any], region: str | None) -> list[ContactPoint] | None:
        if not {"emails", "phones", "messengers"} & set(values):
            return None
        points = [ContactPoint(kind="email", value=email) for email in values.pop("emails", [])]
        for index, raw in enumerate(values.pop("phones", [])):
            try:
                points.append(ContactPoint(kind="phone", value=normalize_phone(raw, region)))
            except ValueError as exc:
                raise ValidationFailed({f"phones.{index}": [str(exc)]}) from exc
        points += [ContactPoint(**m) for m in values.pop("messengers", [])]
        return points

    def create(self, data: Mapping[str, Any], actor: User | None = None, tx: Transaction | None = None) -> Contact:
        policy.require(actor, "customers")
        values = self.validate(self.schema, data)
        values.pop("country", None)
        with self.transaction(tx) as t:
            customer = self.fetch(t.session, Customer, values["customer_id"], "customer", field="customer_id")
            policy.require_record(actor, self.crm.settings, customer)
            points = self._points(values, data.get("country") or customer.country) or []
            if values.get("marketing_consent"):
                values["consent_changed_at"] = utcnow()
            contact = Contact(**values, points=points)
            t.session.add(contact)
            t.session.flush()
            audit(t.session, actor, "contact", contact.id, "create",
                  {"customer_id": [None, contact.customer_id], "name": [None, contact.full_name]})
            t.emit("contact_created", contact=contact, actor=actor)
        return contact

    def update(self, contact_id: int, data: Mapping[str, Any], actor: User | None = None,
               expected_version: int | None = None, tx: Transaction | None = None) -> Contact:
        policy.require(actor, "customers")
        values = self.validate(self.schema, data, partial=True)
        values.pop("country", None)
        with self.transaction(tx) as t:
            contact = self.fetch(t.session, Contact, contact_id, "contact", for_update=True)
            customer = t.session.get(Customer, contact.customer_id)
            policy.require_record(actor, self.crm.settings, customer)
            self.check_version(contact, expected_version)
            if "customer_id" in values:
                self.fetch(t.session, Customer, values["customer_id"], "customer", field="customer_id")
            points = self._points(values, data.get("country") or customer.country)
            changes = apply_changes(contact, values)
            if points is not None:
                old = [(p.kind, p.value) for p in contact.points]
                new = [(p.kind, p.value) for p in points]
                if old != new:
                    contact.points = points
                    changes["points"] = (old, new)
            if not changes:
                return contact
            t.session.flush()
            audit(t.session, actor, "contact", contact.id, "update", changes)
            t.emit("contact_updated", contact=contact, changes=changes, actor=actor)
        return contact

    def delete(self, contact_id: int, actor: User | None = None, tx: Transaction | None = None) -> None:
        policy.require(actor, "customers")
        with self.transaction(tx) as t:
            contact = self.fetch(t.session, Contact, contact_id, "contact")
            policy.require_record(actor, self.crm.settings, t.session.get(Customer, contact.customer_id))
            customer_id = contact.customer_id
            t.session.delete(contact)
            audit(t.session, actor, "contact", contact_id, "delete", {"name": [contact.full_name, None]})
            t.emit("contact_deleted", contact_id=contact_id, customer_id=customer_id, actor=actor)
