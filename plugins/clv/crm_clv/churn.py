"""Who is at risk of leaving, who is worth winning back, and follow-up tasks for their owners."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, exists, or_, select

from crm_clv.models import ClvScore
from crmcore.models import Customer, LifecycleStage, Task

if TYPE_CHECKING:
    from crmcore.runtime import CRM

TASK_SOURCE = "clv:at-risk"
TASK_BATCH = 1_000


def at_risk_query(threshold: float) -> Select:
    """Customers (not already marked former) whose P(active) is below ``threshold``."""
    return (
        select(ClvScore.customer_id)
        .join(Customer, Customer.id == ClvScore.customer_id)
        .where(ClvScore.p_alive < threshold, Customer.lifecycle_stage != LifecycleStage.FORMER)
    )


def win_back_query(p_alive_below: float, min_revenue: float) -> Select:
    """Customers who left (former, or P(active) very low) after bringing at least ``min_revenue``."""
    return (
        select(ClvScore.customer_id)
        .join(Customer, Customer.id == ClvScore.customer_id)
        .where(
            or_(Customer.lifecycle_stage == LifecycleStage.FORMER, ClvScore.p_alive < p_alive_below),
            ClvScore.revenue >= min_revenue,
        )
    )


def _open_task_exists() -> Any:
    return exists().where(Task.customer_id == ClvScore.customer_id, Task.source == TASK_SOURCE,
                          Task.done_at.is_(None))


def create_at_risk_tasks(crm: CRM, today: dt.date | None = None) -> int:
    """Give the owner of each at-risk customer a follow-up task, unless one from us is still open.

    The customers are found in one query per batch; the tasks are created through the task service so
    the audit log and the hooks see them like any other task.
    """
    settings = crm.plugins.settings("clv")
    due = (today or dt.date.today()) + dt.timedelta(days=settings["task_due_days"])
    created, after = 0, 0
    while True:
        with crm.db.session() as session:
            batch = session.execute(
                at_risk_query(settings["at_risk_threshold"])
                .add_columns(Customer.owner_id, ClvScore.p_alive)
                .where(Customer.owner_id.is_not(None), ClvScore.customer_id > after, ~_open_task_exists())
                .order_by(ClvScore.customer_id)
                .limit(TASK_BATCH)
            ).all()
        if not batch:
            return created
        for customer_id, owner_id, p_alive in batch:
            crm.services.tasks.create({
                "title": f"At risk of leaving: P(active) {p_alive:.0%}. Get in touch",
                "customer_id": customer_id,
                "assignee_id": owner_id,
                "due_on": due,
                "source": TASK_SOURCE,
            })
            created += 1
        after = batch[-1][0]
