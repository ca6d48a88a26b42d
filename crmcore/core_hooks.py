"""The core's own hook implementations: the basic segments every installation has, and its periodic jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule
from crmcore.models import Customer, LifecycleStage, Tag, User, customer_tags
from crmcore.segments import Segment

if TYPE_CHECKING:
    from crmcore.runtime import CRM


def _by_stage(stage: LifecycleStage) -> Segment:
    return Segment(
        key=f"core:stage-{stage.value}",
        title=f"Lifecycle stage: {stage.value}",
        query=lambda: select(Customer.id).where(Customer.lifecycle_stage == stage),
        plugin="core",
    )


@hookimpl
def segments(crm: CRM) -> list[Segment]:
    found = [_by_stage(stage) for stage in LifecycleStage]
    found.append(Segment(
        key="core:consent-given",
        title="Marketing consent given",
        query=lambda: select(Customer.id).where(Customer.marketing_consent.is_(True)),
        plugin="core",
    ))
    with crm.db.session() as session:
        tags = session.execute(select(Tag.id, Tag.name).order_by(Tag.name).limit(500)).all()
        owners = session.execute(select(User.id, User.email).where(User.active.is_(True)).limit(500)).all()
    for tag_id, tag_name in tags:
        found.append(Segment(
            key=f"core:tag-{tag_id}",
            title=f"Tagged {tag_name}",
            query=lambda tag_id=tag_id: select(customer_tags.c.customer_id).where(customer_tags.c.tag_id == tag_id),
            plugin="core",
        ))
    for user_id, email in owners:
        found.append(Segment(
            key=f"core:owner-{user_id}",
            title=f"Owned by {email}",
            query=lambda user_id=user_id: select(Customer.id).where(Customer.owner_id == user_id),
            plugin="core",
        ))
    return found


@hookimpl
def schedules(crm: CRM) -> list[Schedule]:
    from crmcore.importing.cleanup import SCHEDULE

    return [SCHEDULE]
