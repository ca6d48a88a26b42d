"""Events about customers and their contact people. Called after the change is committed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    from crmcore.models import Contact, Customer, User
    from crmcore.runtime import CRM


@hookspec
def customer_created(crm: CRM, customer: Customer, actor: User | None) -> None:
    """A customer was created (on screen, through the API, an import or a job).

    ``actor`` is the user who did it, or None for the system. The return value is ignored.
    """


@hookspec
def customer_updated(crm: CRM, customer: Customer, changes: dict[str, tuple[Any, Any]], actor: User | None) -> None:
    """A customer's fields changed. ``changes`` maps each changed field to its (old, new) values."""


@hookspec
def customer_deleted(crm: CRM, customer_id: int, actor: User | None) -> None:
    """A customer and everything that belongs to it were deleted. Plugins drop or detach their own rows."""


@hookspec
def customers_merged(crm: CRM, kept: Customer, merged_id: int, actor: User | None) -> None:
    """Duplicate ``merged_id`` was merged into ``kept`` and deleted; plugins move their rows to ``kept``.

    Called inside the merge's transaction (``crm.session`` of the caller is not available: use
    ``kept``'s session via ``sqlalchemy.orm.object_session(kept)``), so a failure undoes the whole merge.
    """


@hookspec
def contact_created(crm: CRM, contact: Contact, actor: User | None) -> None:
    """A contact person was added to a customer."""


@hookspec
def contact_updated(crm: CRM, contact: Contact, changes: dict[str, tuple[Any, Any]], actor: User | None) -> None:
    """A contact person's fields changed; ``changes`` maps field to (old, new)."""


@hookspec
def contact_deleted(crm: CRM, contact_id: int, customer_id: int, actor: User | None) -> None:
    """A contact person was deleted."""


@hookspec
def consent_changed(crm: CRM, customer: Customer, given: bool, source: str, actor: User | None) -> None:
    """A customer's marketing consent was given (``given`` True) or withdrawn, through ``source``.

    Campaign senders stop mailing a customer whose consent is withdrawn, even mid-campaign.
    """


@hookspec
def customers_imported(crm: CRM, customer_ids: list[int], actor: User | None) -> None:
    """A batch of customers was created by a bulk write (an import), called once per batch after it commits.

    A plugin that implements this hook gets one call per batch and no ``customer_created`` call for these
    customers, so it can react with one query (rescore them together, queue one job). A plugin that does not
    implement it gets ``customer_created`` for each customer of the batch, as for one entered on screen.
    """


@hookspec
def contacts_imported(crm: CRM, contact_ids: list[int], actor: User | None) -> None:
    """A batch of contact people was created by a bulk write (an import), once per batch after it commits.

    As with ``customers_imported``: implementing it replaces the ``contact_created`` calls for these contacts;
    plugins that do not implement it get ``contact_created`` for each.
    """
