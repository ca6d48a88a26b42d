"""Background jobs, queued with ``crm.jobs.enqueue("crm_email_marketing.jobs:<name>", plugin="email_marketing")``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .sending import enqueue_senders, send_for_a_while, start_due, sweep
from .sending import record_sends as _record_sends

if TYPE_CHECKING:
    from crmcore.runtime import CRM


def start_campaign(crm: CRM, campaign_id: int) -> dict[str, Any]:
    """Create the deliveries of a due campaign and queue its send jobs (a retry starts nothing twice)."""
    with crm.db.session() as session:
        started = start_due(crm, session, campaign_id)
    if started:
        enqueue_senders(crm, campaign_id)
    return {"started": started}


def send_campaign(crm: CRM, campaign_id: int) -> dict[str, int]:
    """Send batches of a campaign for up to a minute, then hand over to a fresh job."""
    return send_for_a_while(crm, campaign_id)


def send_transactional(crm: CRM) -> dict[str, int]:
    """Send queued transactional emails."""
    return send_for_a_while(crm, None)


def sweep_campaigns(crm: CRM) -> dict[str, Any]:
    """The periodic sweep: start due campaigns, decide A/B tests, recover dead workers and lost jobs."""
    return sweep(crm)


def record_sends(crm: CRM, delivery_ids: list[int]) -> int:
    """Add the touchpoints of a batch of sent deliveries to the customers' timelines."""
    return _record_sends(crm, delivery_ids)
