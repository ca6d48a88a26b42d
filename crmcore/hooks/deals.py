"""Events about deals in the sales pipeline. Called after the change is committed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    from crmcore.models import Deal, Stage, User
    from crmcore.runtime import CRM


@hookspec
def deal_created(crm: CRM, deal: Deal, actor: User | None) -> None:
    """A deal was created. A shop purchase is created already won: then ``deal_won`` follows this call."""


@hookspec
def deal_updated(crm: CRM, deal: Deal, changes: dict[str, tuple[Any, Any]], actor: User | None) -> None:
    """A deal's fields changed; ``changes`` maps field to (old, new). Stage moves also fire the hooks below."""


@hookspec
def deal_stage_changed(crm: CRM, deal: Deal, from_stage: Stage, to_stage: Stage, actor: User | None) -> None:
    """A deal moved from one stage to another (e.g. dragged on the pipeline board)."""


@hookspec
def deal_won(crm: CRM, deal: Deal, actor: User | None) -> None:
    """A deal was won (or created as won, such as a purchase or a refund with a negative amount).

    May be delivered more than once for the same deal (retried jobs, re-imports): implementations that
    record money or points must be idempotent per ``deal.id``.
    """


@hookspec
def deal_lost(crm: CRM, deal: Deal, actor: User | None) -> None:
    """A deal was lost; ``deal.lost_reason`` says why when known."""


@hookspec
def deal_deleted(crm: CRM, deal_id: int, customer_id: int, actor: User | None) -> None:
    """A deal was deleted. Plugins that derived figures from it (points, scores) reverse them."""
