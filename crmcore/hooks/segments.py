"""Segments: named sets of customers, the common language between plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.runtime import CRM
    from crmcore.segments import Segment


@hookspec
def segments(crm: CRM) -> list[Segment]:
    """Return the segments this plugin offers (ABC class A, lead score over 70, loyalty tier gold, ...).

    Each ``Segment`` builds a SELECT of customer ids; any plugin can target it without knowing who made it.
    Called whenever the list of segments is needed, only for enabled plugins.
    """


@hookspec
def customer_merge_fields(crm: CRM, session: Session, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Return extra fields per customer id for templates and exports, e.g. ``{7: {"loyalty_balance": 120}}``.

    Called in bulk for a batch of customers (campaign sending); answer with one or two queries, not one per id.
    Keys should start with the plugin's name. Customers with nothing to add may be left out.
    """
