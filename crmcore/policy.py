"""Who may do what. Screens, the API and the services ask the same questions here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcore.errors import PermissionDenied
from crmcore.models import Role

if TYPE_CHECKING:
    from crmcore.config import Settings
    from crmcore.models import User

#: Areas and the roles that may enter them.
AREAS: dict[str, frozenset[Role]] = {
    "customers": frozenset({Role.ADMIN, Role.MANAGER, Role.STAFF}),
    "reports": frozenset({Role.ADMIN, Role.MANAGER}),
    "catalog": frozenset({Role.ADMIN, Role.MANAGER}),
    "settings": frozenset({Role.ADMIN}),
    "users": frozenset({Role.ADMIN}),
    "plugins": frozenset({Role.ADMIN}),
    "audit": frozenset({Role.ADMIN}),
    "personal_data": frozenset({Role.ADMIN, Role.MANAGER}),
}


def may_enter(user: User | None, area: str) -> bool:
    """None is the system itself (CLI, jobs), which may do anything."""
    if user is None:
        return True
    return user.active and user.role in AREAS[area]


def require(user: User | None, area: str) -> None:
    if not may_enter(user, area):
        raise PermissionDenied("You are not allowed to do this.")


def owns_only(user: User | None, settings: Settings) -> bool:
    """Whether this user is limited to the records they own."""
    return user is not None and user.role is Role.STAFF and settings.staff_see_own_records_only


def require_record(user: User | None, settings: Settings, record: Any) -> None:
    """Staff limited to their own records may not touch a record owned by someone else."""
    if not owns_only(user, settings):
        return
    owner_id = getattr(record, "owner_id", None)
    if owner_id is None:
        owner_id = getattr(record, "assignee_id", None)
    if owner_id is not None and owner_id != user.id:
        raise PermissionDenied("This record belongs to another user.")
