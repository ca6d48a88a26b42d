"""People's rights over their data: a complete export, and an erase that keeps the business figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from crmcore import policy
from crmcore.db import utcnow
from crmcore.models import Contact, ContactPoint, Customer, Deal, ImportantDate, Task, Touchpoint
from crmcore.services.base import Service, audit, jsonable

if TYPE_CHECKING:
    from crmcore.models import User

ERASED = "(erased)"


def _row(record: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.key: jsonable(getattr(record, c.key)) for c in record.__table__.columns if c.key not in skip}


class PersonalDataService(Service):
    def export(self, customer_id: int, actor: User | None = None) -> dict[str, Any]:
        """Everything held about one customer, as JSON-ready data, including what each plugin holds."""
        policy.require(actor, "personal_data")
        with self.transaction() as t:
            session = t.session
            customer = self.fetch(session, Customer, customer_id, "customer")
            contacts = session.scalars(select(Contact).where(Contact.customer_id == customer_id)).all()
            data: dict[str, Any] = {
                "customer": {**_row(customer), "tags": [tag.name for tag in customer.tags]},
                "important_dates": [_row(d) for d in customer.important_dates],
                "contacts": [{**_row(c), "points": [_row(p) for p in c.points]} for c in contacts],
                "touchpoints": [_row(tp) for tp in session.scalars(
                    select(Touchpoint).where(Touchpoint.customer_id == customer_id).order_by(Touchpoint.id))],
                "deals": [{**_row(d), "lines": [_row(line) for line in d.lines]} for d in session.scalars(
                    select(Deal).where(Deal.customer_id == customer_id).order_by(Deal.id))],
                "tasks": [_row(task) for task in session.scalars(
                    select(Task).where(Task.customer_id == customer_id).order_by(Task.id))],
                "plugins": {},
            }
            for plugin_name, value in self.crm.plugins.contributions(
                    "personal_data_export", enabled_only=True, crm=self.crm, session=session, customer=customer):
                data["plugins"][plugin_name] = jsonable(value)
            audit(session, actor, "customer", customer_id, "personal_data_export", {})
        return data

    def erase(self, customer_id: int, actor: User | None = None) -> None:
        """Anonymise a person: names, addresses, notes go; deals and their amounts stay for the figures."""
        policy.require(actor, "personal_data")
        with self.transaction() as t:
            session = t.session
            customer = self.fetch(session, Customer, customer_id, "customer", for_update=True)
            for field in ("legal_name", "registration_id", "tax_id", "email", "phone", "website", "address",
                          "city", "photo_url", "external_ref"):
                setattr(customer, field, None)
            customer.name = f"{ERASED} #{customer.id}"
            customer.custom_fields = {}
            customer.marketing_consent = False
            customer.consent_changed_at = utcnow()
            customer.consent_source = "erasure"
            contact_ids = select(Contact.id).where(Contact.customer_id == customer_id)
            session.execute(update(Contact).where(Contact.customer_id == customer_id).values(
                first_name=ERASED, middle_name=None, last_name=None, position=None, photo_url=None,
                birthday=None, marketing_consent=False, version=Contact.version + 1))
            session.execute(ContactPoint.__table__.delete().where(ContactPoint.contact_id.in_(contact_ids)))
            session.execute(ImportantDate.__table__.delete().where(ImportantDate.customer_id == customer_id))
            session.execute(update(Touchpoint).where(Touchpoint.customer_id == customer_id).values(
                subject=ERASED, notes=None))
            session.execute(update(Task).where(Task.customer_id == customer_id).values(notes=None))
            self.crm.hook.personal_data_erase(crm=self.crm, session=session, customer=customer)
            audit(session, actor, "customer", customer_id, "personal_data_erase", {})
