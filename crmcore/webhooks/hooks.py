"""The core's hook implementations that turn events into webhook deliveries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcore.hooks import hookimpl
from crmcore.webhooks.service import WebhookService

if TYPE_CHECKING:
    from crmcore.runtime import CRM


def _customer(customer: Any) -> dict[str, Any]:
    return {"id": customer.id, "name": customer.name, "email": customer.email, "phone": customer.phone,
            "country": customer.country, "lifecycle_stage": customer.lifecycle_stage,
            "external_ref": customer.external_ref, "owner_id": customer.owner_id}


def _deal(deal: Any) -> dict[str, Any]:
    return {"id": deal.id, "customer_id": deal.customer_id, "title": deal.title, "amount": deal.amount,
            "currency": deal.currency, "status": deal.status, "stage_id": deal.stage_id,
            "closed_on": deal.closed_on, "external_ref": deal.external_ref}


def _contact(contact: Any) -> dict[str, Any]:
    return {"id": contact.id, "customer_id": contact.customer_id, "first_name": contact.first_name,
            "last_name": contact.last_name}


def _send(crm: CRM, event: str, data: dict[str, Any]) -> None:
    WebhookService(crm).dispatch(event, data)


@hookimpl
def customer_created(crm: CRM, customer: Any, actor: Any) -> None:
    _send(crm, "customer_created", _customer(customer))


@hookimpl
def customer_updated(crm: CRM, customer: Any, changes: dict[str, Any], actor: Any) -> None:
    _send(crm, "customer_updated", {**_customer(customer), "changed": sorted(changes)})


@hookimpl
def customer_deleted(crm: CRM, customer_id: int, actor: Any) -> None:
    _send(crm, "customer_deleted", {"id": customer_id})


@hookimpl
def contact_created(crm: CRM, contact: Any, actor: Any) -> None:
    _send(crm, "contact_created", _contact(contact))


@hookimpl
def contact_updated(crm: CRM, contact: Any, changes: dict[str, Any], actor: Any) -> None:
    _send(crm, "contact_updated", {**_contact(contact), "changed": sorted(changes)})


@hookimpl
def contact_deleted(crm: CRM, contact_id: int, customer_id: int, actor: Any) -> None:
    _send(crm, "contact_deleted", {"id": contact_id, "customer_id": customer_id})


@hookimpl
def deal_created(crm: CRM, deal: Any, actor: Any) -> None:
    _send(crm, "deal_created", _deal(deal))


@hookimpl
def deal_updated(crm: CRM, deal: Any, changes: dict[str, Any], actor: Any) -> None:
    _send(crm, "deal_updated", {**_deal(deal), "changed": sorted(changes)})


@hookimpl
def deal_stage_changed(crm: CRM, deal: Any, from_stage: Any, to_stage: Any, actor: Any) -> None:
    _send(crm, "deal_stage_changed", {**_deal(deal), "from_stage": from_stage.name, "to_stage": to_stage.name})


@hookimpl
def deal_won(crm: CRM, deal: Any, actor: Any) -> None:
    _send(crm, "deal_won", _deal(deal))


@hookimpl
def deal_lost(crm: CRM, deal: Any, actor: Any) -> None:
    _send(crm, "deal_lost", {**_deal(deal), "lost_reason": deal.lost_reason})


@hookimpl
def deal_deleted(crm: CRM, deal_id: int, customer_id: int, actor: Any) -> None:
    _send(crm, "deal_deleted", {"id": deal_id, "customer_id": customer_id})


@hookimpl
def touchpoint_recorded(crm: CRM, touchpoint: Any, actor: Any) -> None:
    _send(crm, "touchpoint_recorded", {"id": touchpoint.id, "customer_id": touchpoint.customer_id,
                                       "channel": touchpoint.channel, "occurred_at": touchpoint.occurred_at})


@hookimpl
def task_created(crm: CRM, task: Any, actor: Any) -> None:
    _send(crm, "task_created", {"id": task.id, "title": task.title, "customer_id": task.customer_id,
                                "due_on": task.due_on})


@hookimpl
def task_completed(crm: CRM, task: Any, actor: Any) -> None:
    _send(crm, "task_completed", {"id": task.id, "title": task.title, "customer_id": task.customer_id})
