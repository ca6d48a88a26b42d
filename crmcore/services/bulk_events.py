"""Events for records written in bulk: one call per batch to the plugins that take it, one per record to the rest.

A bulk write fires a batch hook (``customers_imported``) on the plugins that implement it, and the record hook
(``customer_created``) for each record on every other plugin and on the webhooks, so a plugin written before
the batch hook existed sees an import exactly as it sees records entered on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmcore.services.base import fire_with

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.models import User
    from crmcore.runtime import CRM

#: Records loaded per query when firing the per-record hook.
CHUNK = 500
WEBHOOKS = "core.webhooks"  # the name the plugin manager registers the webhook hook implementations under


@dataclass(frozen=True)
class BulkEvent:
    """A batch hook and the record hook it stands in for, with the names of their arguments."""

    batch_hook: str
    ids_argument: str
    record_hook: str
    record_argument: str


CUSTOMERS_IMPORTED = BulkEvent("customers_imported", "customer_ids", "customer_created", "customer")
CONTACTS_IMPORTED = BulkEvent("contacts_imported", "contact_ids", "contact_created", "contact")


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def implementers(caller: Any) -> list[Any]:
    return caller.get_hookimpls() if hasattr(caller, "get_hookimpls") else []


def listened(crm: CRM, caller: Any, event: str) -> bool:
    """Whether a call reaches anyone: a plugin, or a webhook subscribed to ``event``.

    When no one listens, the records are not loaded back just to fire events nobody receives.
    """
    from crmcore.webhooks.service import subscriptions

    impls = implementers(caller)
    if any(impl.plugin_name != WEBHOOKS for impl in impls):
        return True
    return bool(impls) and bool(subscriptions.for_event(crm, event))


def fire_bulk(crm: CRM, event: BulkEvent, ids: Sequence[int], actor: User | None,
              load: Callable[[Session, Sequence[int]], Sequence[Any]]) -> None:
    """Fire ``event`` for the records ``ids`` (committed already); ``load`` reads a chunk of them in id order."""
    if not ids:
        return
    batch_caller = getattr(crm.hook, event.batch_hook)
    batch_plugins = frozenset(impl.plugin_name for impl in implementers(batch_caller))
    if batch_plugins:
        fire_with(crm, batch_caller, event.batch_hook, {event.ids_argument: list(ids), "actor": actor})
    record_caller = crm.plugins.hook_caller(event.record_hook, without=batch_plugins)
    if not listened(crm, record_caller, event.record_hook):
        return
    for part in chunks(list(ids)):
        with crm.db.session() as session:
            records = load(session, part)
        for record in records:
            fire_with(crm, record_caller, event.record_hook, {event.record_argument: record, "actor": actor})
