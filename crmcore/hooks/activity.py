"""Events about the customer's timeline and planned work. Called after the change is committed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    from crmcore.models import Task, Touchpoint, User
    from crmcore.runtime import CRM


@hookspec
def touchpoint_recorded(crm: CRM, touchpoint: Touchpoint, actor: User | None) -> None:
    """An interaction (call, email, visit, campaign open, ...) was added to a customer's timeline."""


@hookspec
def task_created(crm: CRM, task: Task, actor: User | None) -> None:
    """A task (planned work) was created."""


@hookspec
def task_updated(crm: CRM, task: Task, changes: dict[str, tuple[Any, Any]], actor: User | None) -> None:
    """A task's fields changed; ``changes`` maps field to (old, new)."""


@hookspec
def task_completed(crm: CRM, task: Task, actor: User | None) -> None:
    """A task was marked done."""
