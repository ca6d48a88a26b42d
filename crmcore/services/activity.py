from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import ValidationFailed
from crmcore.models import Contact, Customer, Deal, Task, Touchpoint, User
from crmcore.schemas import TaskSchema, TouchpointSchema
from crmcore.services.base import Service, Transaction, apply_changes, audit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _check_links(service: Service, session: Session, values: dict[str, Any]) -> None:
    """Linked contact and deal must exist and belong to the same customer."""
    customer_id = values.get("customer_id")
    for field, model, label in (("contact_id", Contact, "contact"), ("deal_id", Deal, "deal")):
        if values.get(field) is not None:
            record = service.fetch(session, model, values[field], label, field=field)
            if customer_id is not None and record.customer_id != customer_id:
                raise ValidationFailed({field: [f"This {label} belongs to another customer."]})


class TouchpointService(Service):
    schema = TouchpointSchema()

    def record(self, data: Mapping[str, Any], actor: User | None = None,
               tx: Transaction | None = None) -> Touchpoint:
        """Add an interaction to a customer's timeline."""
        policy.require(actor, "customers")
        values = self.validate(self.schema, data)
        values.setdefault("occurred_at", utcnow())
        values["subject"] = values.get("subject") or ""
        with self.transaction(tx) as t:
            customer = self.fetch(t.session, Customer, values["customer_id"], "customer", field="customer_id")
            policy.require_record(actor, self.crm.settings, customer)
            _check_links(self, t.session, values)
            touchpoint = Touchpoint(**values, user_id=actor.id if actor else None)
            t.session.add(touchpoint)
            t.session.flush()
            audit(t.session, actor, "touchpoint", touchpoint.id, "create",
                  {"customer_id": [None, touchpoint.customer_id], "channel": [None, touchpoint.channel]})
            t.emit("touchpoint_recorded", touchpoint=touchpoint, actor=actor)
        return touchpoint


class TaskService(Service):
    schema = TaskSchema()

    def create(self, data: Mapping[str, Any], actor: User | None = None, tx: Transaction | None = None) -> Task:
        policy.require(actor, "customers")
        values = self.validate(self.schema, data)
        with self.transaction(tx) as t:
            if values.get("customer_id") is not None:
                customer = self.fetch(t.session, Customer, values["customer_id"], "customer", field="customer_id")
                policy.require_record(actor, self.crm.settings, customer)
            if values.get("assignee_id") is not None:
                self.fetch(t.session, User, values["assignee_id"], "user", field="assignee_id")
            elif actor is not None:
                values["assignee_id"] = actor.id
            _check_links(self, t.session, values)
            task = Task(**values)
            t.session.add(task)
            t.session.flush()
            audit(t.session, actor, "task", task.id, "create", {"title": [None, task.title]})
            t.emit("task_created", task=task, actor=actor)
        return task

    def update(self, task_id: int, data: Mapping[str, Any], actor: User | None = None,
               tx: Transaction | None = None) -> Task:
        policy.require(actor, "customers")
        values = self.validate(self.schema, data, partial=True)
        with self.transaction(tx) as t:
            task = self.fetch(t.session, Task, task_id, "task", for_update=True)
            policy.require_record(actor, self.crm.settings, task)
            if values.get("assignee_id") is not None:
                self.fetch(t.session, User, values["assignee_id"], "user", field="assignee_id")
            changes = apply_changes(task, values)
            if changes:
                audit(t.session, actor, "task", task.id, "update", changes)
                t.emit("task_updated", task=task, changes=changes, actor=actor)
        return task

    def complete(self, task_id: int, actor: User | None = None, tx: Transaction | None = None) -> Task:
        policy.require(actor, "customers")
        with self.transaction(tx) as t:
            task = self.fetch(t.session, Task, task_id, "task", for_update=True)
            policy.require_record(actor, self.crm.settings, task)
            if task.done_at is None:
                task.done_at = utcnow()
                audit(t.session, actor, "task", task.id, "complete", {"done_at": [None, task.done_at]})
                t.emit("task_completed", task=task, actor=actor)
        return task
