"""People's rights over their data: export everything held about a customer, and erase it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.models import Customer
    from crmcore.runtime import CRM


@hookspec
def personal_data_export(crm: CRM, session: Session, customer: Customer) -> dict[str, Any] | None:
    """Return what this plugin holds about ``customer`` as JSON-ready data, or None if nothing.

    The result is placed under the plugin's name in the export.
    """


@hookspec
def personal_data_erase(crm: CRM, session: Session, customer: Customer) -> None:
    """Anonymise what this plugin holds about ``customer``, keeping business figures (amounts, counts).

    Called inside the erase's transaction; raising undoes the whole erase.
    """
