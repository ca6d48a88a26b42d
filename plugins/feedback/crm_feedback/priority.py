"""What to build next: each idea with the money behind it, sorted by a weighted value.

priority = weight_revenue x sum over asking customers of (their net revenue over 12 months x the weight of
their ABC class) + weight_open_deals x value of open deals linked to the idea + weight_per_request x askers.
Revenue and deal values are summed by the database; ABC classes come in one bulk call of the customers'
merge fields (present when the abc_analysis plugin is enabled; a customer without a class weighs 1).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_feedback.models import Idea, IdeaDeal, IdeaStatus, Item
from crmcore.models import Customer, Deal, DealStatus


@dataclass
class IdeaValue:
    id: int
    title: str
    status: IdeaStatus
    product_id: int | None
    requests: int = 0
    askers: list[dict[str, Any]] = field(default_factory=list)
    revenue_12m: Decimal = Decimal(0)
    open_deal_value: Decimal = Decimal(0)
    classes: dict[str, int] = field(default_factory=dict)
    priority: float = 0.0


def rank(crm: Any, session: Session, statuses: tuple[IdeaStatus, ...] | None = None,
         today: date | None = None) -> list[IdeaValue]:
    settings = crm.plugins.settings("feedback")
    since = (today or date.today()) - timedelta(days=365)
    query = select(Idea.id, Idea.title, Idea.status, Idea.product_id)
    if statuses:
        query = query.where(Idea.status.in_(statuses))
    ideas = {row.id: IdeaValue(row.id, row.title, row.status, row.product_id) for row in session.execute(query)}
    if not ideas:
        return []
    requests = session.execute(select(Item.idea_id, func.count(Item.id)).where(Item.idea_id.in_(list(ideas)))
                               .group_by(Item.idea_id)).all()
    for idea_id, count in requests:
        ideas[idea_id].requests = count
    asks = (select(Item.idea_id, Item.customer_id).distinct()
            .where(Item.idea_id.in_(list(ideas)), Item.customer_id.is_not(None)).subquery())
    revenue = session.execute(
        select(asks.c.idea_id, asks.c.customer_id, Customer.name, func.coalesce(func.sum(Deal.amount), 0))
        .join(Customer, Customer.id == asks.c.customer_id)
        .outerjoin(Deal, (Deal.customer_id == asks.c.customer_id) & (Deal.status == DealStatus.WON)
                   & (Deal.closed_on >= since))
        .group_by(asks.c.idea_id, asks.c.customer_id, Customer.name)).all()
    customer_ids = sorted({row[1] for row in revenue})
    classes = {cid: fields.get("abc_class") for cid, fields in
               crm.services.customers.merge_fields(customer_ids).items()} if customer_ids else {}
    weights = {"A": settings["abc_weight_a"], "B": settings["abc_weight_b"], "C": settings["abc_weight_c"],
               "D": settings["abc_weight_d"]}
    weighted: dict[int, float] = defaultdict(float)
    for idea_id, customer_id, name, amount in revenue:
        value = ideas[idea_id]
        abc = classes.get(customer_id)
        value.askers.append({"customer_id": customer_id, "name": name, "revenue_12m": Decimal(amount),
                             "abc_class": abc})
        value.revenue_12m += Decimal(amount)
        if abc:
            value.classes[abc] = value.classes.get(abc, 0) + 1
        weighted[idea_id] += float(amount) * weights.get(str(abc).upper(), 1.0)
    open_values = session.execute(
        select(IdeaDeal.idea_id, func.coalesce(func.sum(Deal.amount), 0))
        .join(Deal, Deal.id == IdeaDeal.deal_id)
        .where(IdeaDeal.idea_id.in_(list(ideas)), Deal.status == DealStatus.OPEN).group_by(IdeaDeal.idea_id)).all()
    for idea_id, amount in open_values:
        ideas[idea_id].open_deal_value = Decimal(amount)
    for value in ideas.values():
        value.askers.sort(key=lambda a: a["revenue_12m"], reverse=True)
        value.priority = round(settings["weight_revenue"] * weighted[value.id]
                               + settings["weight_open_deals"] * float(value.open_deal_value)
                               + settings["weight_per_request"] * len(value.askers), 2)
    return sorted(ideas.values(), key=lambda v: (-v.priority, v.id))
