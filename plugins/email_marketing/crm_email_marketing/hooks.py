"""The plugin's hook implementations: core events, contributions, and the hooks it publishes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule

from .models import Delivery
from .sending import cancel_pending_for_customer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.models import Customer, User
    from crmcore.runtime import CRM


@hookimpl
def consent_changed(crm: CRM, customer: Customer, given: bool) -> None:
    """Consent withdrawn, even mid-campaign: the customer's pending deliveries are never sent."""
    if given:
        return
    with crm.db.session() as session:
        cancel_pending_for_customer(session, customer.id)


@hookimpl
def customers_merged(crm: CRM, kept: Customer, merged_id: int) -> None:
    """Move the duplicate's mail history to the kept customer (where both got a campaign, the kept one's stays;
    the duplicate's copy goes with the duplicate)."""
    from sqlalchemy.orm import object_session

    from .models import Event

    session = object_session(kept)
    already = select(Delivery.campaign_id).where(Delivery.customer_id == kept.id, Delivery.campaign_id.is_not(None))
    session.execute(update(Delivery)
                    .where(Delivery.customer_id == merged_id,
                           (Delivery.campaign_id.is_(None)) | Delivery.campaign_id.not_in(already))
                    .values(customer_id=kept.id).execution_options(synchronize_session=False))
    session.execute(update(Event).where(Event.customer_id == merged_id).values(customer_id=kept.id)
                    .execution_options(synchronize_session=False))


@hookimpl
def schedules(crm: CRM) -> list[Schedule]:
    return [Schedule(name="sweep", func="crm_email_marketing.jobs:sweep_campaigns", interval=60, queue="default")]


@hookimpl
def email_engagement(crm: CRM, session: Session, customer_ids: list[int],
                     since: datetime) -> dict[int, list[tuple[str, datetime]]]:
    from .tracking import engagement

    return engagement(session, customer_ids, since)


@hookimpl
def send_transactional_email(crm: CRM, customer_id: int, subject: str, html: str, text: str,
                             kind: str) -> bool | None:
    from .transactional import queue_transactional

    return queue_transactional(crm, customer_id, subject, html, text, kind)


@hookimpl
def personal_data_export(crm: CRM, session: Session, customer: Customer) -> dict[str, Any] | None:
    from .models import Campaign

    rows = session.execute(
        select(Delivery.id, Campaign.name, Delivery.kind, Delivery.status, Delivery.email, Delivery.sent_at,
               Delivery.opened_at, Delivery.clicked_at, Delivery.unsubscribed_at)
        .outerjoin(Campaign, Campaign.id == Delivery.campaign_id)
        .where(Delivery.customer_id == customer.id).order_by(Delivery.id)).all()
    if not rows:
        return None
    return {"deliveries": [{
        "campaign": row.name, "kind": row.kind, "status": row.status.value, "email": row.email,
        **{key: value.isoformat() if value else None for key, value in
           (("sent_at", row.sent_at), ("opened_at", row.opened_at), ("clicked_at", row.clicked_at),
            ("unsubscribed_at", row.unsubscribed_at))},
    } for row in rows]}


@hookimpl
def personal_data_erase(crm: CRM, session: Session, customer: Customer) -> None:
    """Forget the address and transactional content and stop pending mail; keep what campaign stats count."""
    cancel_pending_for_customer(session, customer.id)
    session.execute(update(Delivery).where(Delivery.customer_id == customer.id)
                    .values(email="", subject=None, html=None, text=None, error=None)
                    .execution_options(synchronize_session=False))


@hookimpl
def admin_views(crm: CRM) -> list[Any]:
    from .admin import CampaignAdmin

    return [CampaignAdmin(name="Email campaigns", endpoint="email_campaigns", url="/email-campaigns",
                          category="Marketing")]


@hookimpl
def web_blueprints(crm: CRM) -> list[Any]:
    from .public import blueprint

    return [blueprint]


@hookimpl
def api_blueprints(crm: CRM) -> list[Any]:
    from .api import api

    return [api]


@hookimpl
def customer_panels(crm: CRM, customer: Customer, user: User) -> Any:
    from .admin import customer_panel

    return customer_panel(crm, customer)


@hookimpl
def dashboard_widgets(crm: CRM, user: User) -> Any:
    from .admin import dashboard_widget

    return dashboard_widget(crm)


