"""Background jobs of the feedback plugin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crm_feedback.queries import early_warning


def complaint_early_warning(crm: Any) -> int:
    """Flag products whose complaints rose significantly in the last 7 days; returns how many."""
    with crm.db.session() as session:
        return len(early_warning(session, crm.plugins.settings("feedback")))


def send_nps_to_segment(crm: Any, segment_key: str, batch: int = 500) -> dict[str, int]:
    """Send the NPS question to every customer of a segment, in batches of ids."""
    from crm_feedback.services import FeedbackService

    service = FeedbackService(crm)
    totals = {"sent": 0, "not_sent": 0}
    last_id = 0
    ids_query = crm.segments.customer_ids(segment_key).subquery()
    column = ids_query.c[0]
    while True:
        with crm.db.session() as session:
            ids = session.scalars(select(column).where(column > last_id).order_by(column).limit(batch)).all()
        if not ids:
            return totals
        result = service.send_nps(list(ids))
        totals["sent"] += result.sent
        totals["not_sent"] += result.not_sent
        last_id = ids[-1]
