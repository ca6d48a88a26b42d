"""The ideas board: requests merged into ideas, the money behind each, statuses and telling who asked."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from crm_email_marketing.models import Delivery
from crm_feedback.priority import rank
from crm_feedback.services import FeedbackService
from sqlalchemy import select

from crmcore.errors import ValidationFailed
from crmcore.models import Task


@pytest.fixture
def ideas(feedback, product, make_customer, won):
    """Two ideas: "Bigger kettle" asked by a big customer, "Blue colour" by a small one with an open deal."""
    big, small = make_customer("Big buyer"), make_customer("Small buyer")
    won(big, "9000")
    won(big, "1000", closed_on=date.today() - timedelta(days=400))  # older than 12 months: not counted
    won(small, "500")
    bigger = feedback.create_idea({"title": "Bigger kettle", "product_id": product.id})
    blue = feedback.create_idea({"title": "Blue colour", "product_id": product.id})
    asks = [feedback.record({"customer_id": c.id, "kind": "idea", "text": t})
            for c, t in ((big, "2 litres"), (big, "larger"), (small, "blue?"))]
    feedback.merge([asks[0].id, asks[1].id], bigger.id)
    feedback.merge([asks[2].id], blue.id)
    return {"bigger": bigger, "blue": blue, "big": big, "small": small}


def test_each_idea_shows_requests_askers_and_their_12_month_revenue(feedback_crm, ideas):
    with feedback_crm.db.session() as session:
        ranked = {v.title: v for v in rank(feedback_crm, session)}

    bigger = ranked["Bigger kettle"]
    assert (bigger.requests, len(bigger.askers), bigger.revenue_12m) == (2, 1, Decimal("9000"))
    assert bigger.askers[0]["name"] == "Big buyer"


def test_ideas_are_sorted_by_weighted_value_including_open_deals_that_depend_on_them(feedback_crm, feedback, ideas):
    deal = feedback_crm.services.deals.create({"customer_id": ideas["small"].id, "title": "Fleet order",
                                               "amount": "30000"})
    feedback.link_deal(ideas["blue"].id, deal.id)

    with feedback_crm.db.session() as session:
        ranked = rank(feedback_crm, session)

    assert [(v.title, v.priority) for v in ranked] == [("Blue colour", 500 + 0.5 * 30000),
                                                       ("Bigger kettle", 9000.0)]


def test_priority_weights_come_from_the_settings(feedback_crm, ideas):
    feedback_crm.plugins.save_settings("feedback", {"weight_revenue": 2.0})

    with feedback_crm.db.session() as session:
        ranked = {v.title: v.priority for v in rank(feedback_crm, session)}

    assert ranked["Bigger kettle"] == 18000.0


def test_merging_an_unknown_item_refuses_the_whole_list(feedback, ideas):
    with pytest.raises(ValidationFailed, match="999999"):
        feedback.merge([999999], ideas["bigger"].id)


def test_an_unknown_status_is_refused_naming_the_field(feedback, ideas):
    with pytest.raises(ValidationFailed) as failure:
        feedback.set_status(ideas["bigger"].id, "done")

    assert "status" in failure.value.errors


def test_shipping_an_idea_without_email_marketing_makes_a_task_for_each_askers_owner(feedback_crm, feedback, ideas,
                                                                                     make_user):
    owner = make_user("staff")
    feedback_crm.services.customers.update(ideas["big"].id, {"owner_id": owner.id})

    notified = feedback.set_status(ideas["bigger"].id, "shipped")

    assert (notified.emailed, notified.tasks) == (0, 1)
    with feedback_crm.db.session() as session:
        task = session.scalar(select(Task).where(Task.customer_id == ideas["big"].id))
    assert task.assignee_id == owner.id and "Bigger kettle" in task.title


def test_shipping_an_idea_emails_askers_through_email_marketing(crm_factory):
    crm = crm_factory(enabled=["email_marketing", "feedback"])
    service = FeedbackService(crm)
    asker = crm.services.customers.create({"name": "Ali", "email": "ali@example.com"})
    idea = service.create_idea({"title": "Timer"})
    service.merge([service.record({"customer_id": asker.id, "kind": "idea", "text": "timer"}).id], idea.id)

    notified = service.set_status(idea.id, "shipped")

    assert (notified.emailed, notified.tasks) == (1, 0)
    with crm.db.session() as session:
        assert session.scalar(select(Delivery.kind).where(Delivery.customer_id == asker.id)) == \
            "feedback_idea_shipped"
