from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import ValidationFailed
from crmcore.models import Contact, Customer, CustomField, Deal, LifecycleStage, Tag, Task, Touchpoint, User
from crmcore.schemas import CustomerSchema
from crmcore.services.base import Service, Transaction, apply_changes, audit
from crmcore.services.custom_fields import validate_custom_fields

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class CustomerService(Service):
    schema = CustomerSchema()

    def _prepare(self, session: Session, values: dict[str, Any], current: Customer | None) -> dict[str, Any]:
        if values.get("country"):
            values["country"] = values["country"].upper()
        if "owner_id" in values and values["owner_id"] is not None:
            self.fetch(session, User, values["owner_id"], "user", field="owner_id")
        if "custom_fields" in values:
            definitions = session.scalars(select(CustomField).where(CustomField.entity == "customer")).all()
            defined = {d.key for d in definitions}
            # Values of a definition an admin has since removed are dropped, not refused.
            merged = {k: v for k, v in (current.custom_fields if current else {}).items() if k in defined}
            merged.update(values["custom_fields"])
            values["custom_fields"] = validate_custom_fields(definitions, merged)
        if "tags" in values:
            values["tags"] = self._tags(session, values["tags"])
        consent = values.get("marketing_consent")
        if "marketing_consent" in values and (current is None or current.marketing_consent != consent):
            values["consent_changed_at"] = utcnow()
            values.setdefault("consent_source", "manual")
        stage = values.get("lifecycle_stage")
        if stage is LifecycleStage.FORMER:
            reason = values.get("churn_reason", current.churn_reason if current else None)
            if not reason:
                raise ValidationFailed({"churn_reason": ["Say why the customer left."]})
            if current is None or current.lifecycle_stage is not LifecycleStage.FORMER:
                values["churned_at"] = utcnow()
        return values

    @staticmethod
    def _tags(session: Session, names: list[str]) -> list[Tag]:
        wanted = list(dict.fromkeys(n for n in names if n))
        existing = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(wanted)))}
        tags = []
        for name in wanted:
            tag = existing.get(name)
            if tag is None:
                tag = Tag(name=name)
                session.add(tag)
            tags.append(tag)
        return tags

    def create(self, data: Mapping[str, Any], actor: User | None = None, tx: Transaction | None = None) -> Customer:
        policy.require(actor, "customers")
        values = self.validate(self.schema, data)
        with self.transaction(tx) as t:
            values = self._prepare(t.session, values, None)
            if actor is not None and "owner_id" not in values:
                values["owner_id"] = actor.id
            customer = Customer(**values)
            t.session.add(customer)
            t.session.flush()
            audit(t.session, actor, "customer", customer.id, "create",
                  {k: [None, v] for k, v in data.items() if k in values})
            t.emit("customer_created", customer=customer, actor=actor)
        return customer

    def get(self, customer_id: int, actor: User | None = None) -> Customer:
        with self.crm.db.session() as session:
            customer = self.fetch(session, Customer, customer_id, "customer")
            policy.require_record(actor, self.crm.settings, customer)
            return customer

    def update(self, customer_id: int, data: Mapping[str, Any], actor: User | None = None,
               expected_version: int | None = None, tx: Transaction | None = None) -> Customer:
        policy.require(actor, "customers")
        values = self.validate(self.schema, data, partial=True)
        with self.transaction(tx) as t:
            customer = self.fetch(t.session, Customer, customer_id, "customer", for_update=True)
            policy.require_record(actor, self.crm.settings, customer)
            self.check_version(customer, expected_version)
            consent_before = customer.marketing_consent
            values = self._prepare(t.session, values, customer)
            tags = values.pop("tags", None)
            changes = apply_changes(customer, values)
            if tags is not None and {x.name for x in tags} != {x.name for x in customer.tags}:
                changes["tags"] = ([x.name for x in customer.tags], [x.name for x in tags])
                customer.tags = tags
            if not changes:
                return customer
            t.session.flush()
            audit(t.session, actor, "customer", customer.id, "update", changes)
            t.emit("customer_updated", customer=customer, changes=changes, actor=actor)
            if customer.marketing_consent != consent_before:
                t.emit("consent_changed", customer=customer, given=customer.marketing_consent,
                       source=customer.consent_source or "manual", actor=actor)
        return customer

    def merge_fields(self, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Fields for templates and exports per customer: the core's plus those enabled plugins offer."""
        with self.crm.db.session() as session:
            rows = session.execute(select(Customer.id, Customer.name, Customer.email, Customer.city,
                                          Customer.country, Customer.lifecycle_stage)
                                   .where(Customer.id.in_(customer_ids))).all()
            fields = {row.id: {"customer_id": row.id, "name": row.name, "email": row.email, "city": row.city,
                               "country": row.country, "lifecycle_stage": row.lifecycle_stage.value}
                      for row in rows}
            for contributed in self.crm.hook.customer_merge_fields(crm=self.crm, session=session,
                                                                   customer_ids=list(fields)):
                for customer_id, extra in (contributed or {}).items():
                    if customer_id in fields:
                        fields[customer_id].update(extra)
        return fields

    def set_consent(self, customer_id: int, given: bool, source: str, actor: User | None = None) -> Customer:
        """Record a consent change with where it came from (form, unsubscribe link, import, phone call)."""
        return self.update(customer_id, {"marketing_consent": given, "consent_source": source}, actor=actor)

    def delete(self, customer_id: int, actor: User | None = None, tx: Transaction | None = None) -> None:
        policy.require(actor, "customers")
        with self.transaction(tx) as t:
            customer = self.fetch(t.session, Customer, customer_id, "customer")
            policy.require_record(actor, self.crm.settings, customer)
            t.session.execute(delete(Task).where(Task.customer_id == customer_id))
            t.session.execute(delete(Touchpoint).where(Touchpoint.customer_id == customer_id))
            t.session.execute(delete(Deal).where(Deal.customer_id == customer_id))
            t.session.execute(delete(Contact).where(Contact.customer_id == customer_id))
            t.session.delete(customer)
            audit(t.session, actor, "customer", customer_id, "delete", {"name": [customer.name, None]})
            t.emit("customer_deleted", customer_id=customer_id, actor=actor)

    def merge(self, kept_id: int, duplicate_id: int, actor: User | None = None) -> Customer:
        """Merge a duplicate into ``kept``: every contact, touchpoint, deal and task of both is kept."""
        policy.require(actor, "customers")
        if kept_id == duplicate_id:
            raise ValidationFailed({"duplicate_id": ["A customer cannot be merged into itself."]})
        with self.transaction() as t:
            kept = self.fetch(t.session, Customer, kept_id, "customer", for_update=True)
            duplicate = self.fetch(t.session, Customer, duplicate_id, "customer", field="duplicate_id")
            for model in (Contact, Touchpoint, Deal, Task):
                t.session.execute(
                    update(model).where(model.customer_id == duplicate_id).values(customer_id=kept_id)
                )
            filled = {}
            for column in ("legal_name", "registration_id", "tax_id", "email", "phone", "website", "address",
                           "city", "country", "industry", "source", "owner_id"):
                if getattr(kept, column) is None and getattr(duplicate, column) is not None:
                    filled[column] = getattr(duplicate, column)
            apply_changes(kept, filled)
            kept.custom_fields = {**duplicate.custom_fields, **kept.custom_fields}
            kept.tags = list({t_.name: t_ for t_ in [*duplicate.tags, *kept.tags]}.values())
            kept.marketing_consent = kept.marketing_consent and duplicate.marketing_consent
            t.session.flush()
            self.crm.hook.customers_merged(crm=self.crm, kept=kept, merged_id=duplicate_id, actor=actor)
            t.session.delete(duplicate)
            audit(t.session, actor, "customer", kept_id, "merge", {"merged_id": [duplicate_id, None], **filled})
            t.emit("customer_updated", customer=kept, changes={k: (None, v) for k, v in filled.items()},
                   actor=actor)
            t.emit("customer_deleted", customer_id=duplicate_id, actor=actor)
        return kept
