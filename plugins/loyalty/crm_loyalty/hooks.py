"""The loyalty plugin's hook implementations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from crm_loyalty import queries
from crm_loyalty.cardlinks import card_token
from crm_loyalty.cards import card_qr_svg, format_card_number
from crm_loyalty.ledger import lock_member, post
from crm_loyalty.models import EntryKind, Member, Tier
from crm_loyalty.rendering import render
from crm_loyalty.services import LoyaltyService
from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule
from crmcore.segments import Segment
from crmcore.web.contributions import Panel


@hookimpl
def plugin_enabled(crm: Any, name: str) -> None:
    if name == "loyalty":
        with crm.db.session() as session:
            LoyaltyService(crm).programme(session)


@hookimpl
def deal_won(crm: Any, deal: Any, actor: Any) -> None:
    LoyaltyService(crm).earn_for_deal(deal)


@hookimpl
def deal_deleted(crm: Any, deal_id: int, customer_id: int, actor: Any) -> None:
    LoyaltyService(crm).reverse_deal(deal_id, customer_id, actor)


@hookimpl
def customers_merged(crm: Any, kept: Any, merged_id: int, actor: Any) -> None:
    """The duplicate's membership moves to the kept customer, or its balance joins the kept one's."""
    session = object_session(kept)
    merged = session.scalar(select(Member).where(Member.customer_id == merged_id))
    if merged is None:
        return
    current = session.scalar(select(Member).where(Member.customer_id == kept.id))
    if current is None:
        merged.customer_id = kept.id
        session.flush()
        return
    merged = lock_member(session, merged.id)
    if merged.balance > 0:
        current = lock_member(session, current.id)
        post(session, current, EntryKind.ADJUST, merged.balance, reason=f"merged card {merged.card_number}",
             user_id=actor.id if actor else None)


@hookimpl
def segments(crm: Any) -> list[Segment]:
    settings = crm.plugins.settings("loyalty")
    days = settings["expiring_window_days"]
    found = [Segment(key=f"loyalty:points-expiring-{days}d", title=f"Loyalty points expiring within {days} days",
                     query=lambda: queries.expiring_query(days), plugin="loyalty")]
    with crm.db.session() as session:
        names = session.scalars(select(Tier.name).distinct().order_by(Tier.name)).all()
    for name in names:
        found.append(Segment(key=f"loyalty:tier-{name}", title=f"Loyalty tier {name}",
                             query=lambda name=name: queries.tier_segment_query(name), plugin="loyalty"))
    return found


@hookimpl
def customer_merge_fields(crm: Any, session: Any, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
    return queries.merge_fields(session, customer_ids)


@hookimpl
def customer_panels(crm: Any, customer: Any, user: Any) -> Panel | None:
    with crm.db.session() as session:
        row = session.execute(select(Member, Tier).outerjoin(Tier, Tier.id == Member.tier_id)
                              .where(Member.customer_id == customer.id)).first()
        if row is None:
            return Panel(title="Loyalty", html=render("loyalty/panel_none.html", customer_id=customer.id), order=40)
        member, tier = row
        entries = queries.history(session, member.id)
    return Panel(title="Loyalty", order=40, html=render(
        "loyalty/panel.html", member=member, tier=tier, entries=entries,
        card=format_card_number(member.card_number), qr=card_qr_svg(member.card_number, scale=3),
        token=card_token(crm.settings.secret_key, member.id, member.card_number)))


@hookimpl
def personal_data_export(crm: Any, session: Any, customer: Any) -> dict[str, Any] | None:
    member = session.scalar(select(Member).where(Member.customer_id == customer.id))
    if member is None:
        return None
    return {"card_number": member.card_number, "balance": member.balance,
            "ledger": [{"kind": e.kind.value, "points": e.points, "at": e.created_at.isoformat(), "reason": e.reason}
                       for e in queries.history(session, member.id, limit=10_000)]}


@hookimpl
def schedules(crm: Any) -> list[Schedule]:
    return [Schedule(name="loyalty-expire-points", func="crm_loyalty.jobs:expire_points", cron="15 2 * * *"),
            Schedule(name="loyalty-review-tiers", func="crm_loyalty.jobs:review_tiers", cron="45 2 * * *")]


@hookimpl
def admin_views(crm: Any) -> list[Any]:
    from crm_loyalty.admin import CounterView, ReportView
    from crm_loyalty.programme_admin import ProgrammeView

    return [CounterView(name="Loyalty counter", endpoint="loyalty_counter", url="/loyalty-counter",
                        category="Loyalty"),
            ReportView(name="Loyalty report", endpoint="loyalty_report", url="/loyalty-report", category="Loyalty"),
            ProgrammeView(name="Loyalty programme", endpoint="loyalty_programme", url="/loyalty-programme",
                          category="Loyalty")]


@hookimpl
def web_blueprints(crm: Any) -> list[Any]:
    from crm_loyalty.web import blueprint

    return [blueprint]
