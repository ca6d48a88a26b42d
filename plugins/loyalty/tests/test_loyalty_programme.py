"""Tiers, segments, merge fields, the customer panel and the programme report."""

from __future__ import annotations

from datetime import date, timedelta

from crm_loyalty.models import TierChange
from sqlalchemy import select

from crmcore.web.contributions import customer_panels


def test_a_member_moves_up_a_tier_when_12_month_spend_reaches_it_and_the_move_is_recorded(
        loyalty_crm, loyalty, customer, purchase, member):
    gold = loyalty.add_tier({"name": "gold", "basis": "spend", "threshold": "500", "multiplier": "1.5"})

    purchase(customer, "600")

    with loyalty_crm.db.session() as session:
        moves = session.execute(select(TierChange.to_tier_id, TierChange.direction)).all()
    assert moves == [(gold.id, "up")]


def test_a_member_moves_down_when_the_spending_leaves_the_12_month_window(loyalty_crm, loyalty, customer, purchase,
                                                                         member):
    loyalty.add_tier({"name": "gold", "basis": "spend", "threshold": "500"})
    purchase(customer, "600", closed_on=date.today() - timedelta(days=300))

    assert loyalty.review_tiers(today=date.today() + timedelta(days=100)) == 1

    with loyalty_crm.db.session() as session:
        assert session.scalars(select(TierChange.direction).order_by(TierChange.id)).all() == ["up", "down"]


def test_tier_multiplier_scales_earning(loyalty_crm, loyalty, customer, purchase, member):
    loyalty.add_tier({"name": "silver", "basis": "points", "threshold": "100", "multiplier": "2"})
    purchase(customer, "100")

    purchase(customer, "10")

    assert loyalty_crm.services.customers.merge_fields([customer.id])[customer.id]["loyalty_balance"] == 120


def test_each_tier_is_a_segment(loyalty_crm, loyalty, customer, purchase, member):
    loyalty.add_tier({"name": "gold", "basis": "spend", "threshold": "100"})
    other = loyalty_crm.services.customers.create({"name": "Иван Петров"})
    purchase(customer, "150")
    purchase(other, "20")

    with loyalty_crm.db.session() as session:
        ids = session.scalars(loyalty_crm.segments.customer_ids("loyalty:tier-gold")).all()
    assert ids == [customer.id]


def test_points_expiring_within_30_days_is_a_segment_of_those_with_such_points_left(loyalty_crm, loyalty, purchase):
    loyalty.configure({"validity_days": 20})
    spent_all = loyalty_crm.services.customers.create({"name": "Spent"})
    keeps = loyalty_crm.services.customers.create({"name": "Keeps"})
    purchase(spent_all, "50")
    purchase(spent_all, "-50")
    purchase(keeps, "50")

    with loyalty_crm.db.session() as session:
        ids = session.scalars(loyalty_crm.segments.customer_ids("loyalty:points-expiring-30d")).all()
    assert ids == [keeps.id]


def test_merge_fields_give_balance_tier_and_card(loyalty_crm, loyalty, customer, purchase, member):
    loyalty.add_tier({"name": "gold", "basis": "spend", "threshold": "1"})
    purchase(customer, "42")

    fields = loyalty_crm.services.customers.merge_fields([customer.id])[customer.id]

    assert (fields["loyalty_balance"], fields["loyalty_tier"], fields["loyalty_card"]) == (42, "gold",
                                                                                           member.card_number)


def test_the_customer_panel_shows_card_balance_and_history(loyalty_crm, customer, purchase, member, make_user):
    purchase(customer, "42")

    panel = next(p for p in customer_panels(loyalty_crm, customer, make_user("staff")) if p.plugin == "loyalty")

    assert member.card_number[:4] in panel.html and "<svg" in panel.html
    assert "42" in panel.html and "earn" in panel.html


def test_the_report_counts_members_liability_redemption_and_repeat_purchase_rates(loyalty_crm, loyalty, purchase,
                                                                                   reward):
    loyalty.configure({"point_value": "0.05"})
    members = [loyalty_crm.services.customers.create({"name": f"Member {i}"}) for i in range(2)]
    outsider = loyalty_crm.services.customers.create({"name": "Outsider"})
    purchase(members[0], "300")
    purchase(members[0], "100")
    purchase(members[1], "100")
    loyalty_crm.plugins.save_settings("loyalty", {"auto_enroll": False})
    purchase(outsider, "10")
    member_id = loyalty.find(loyalty.enroll(members[0].id).card_number)[0][0].id
    loyalty.redeem(member_id, reward.id)

    from crm_loyalty.queries import report

    with loyalty_crm.db.session() as session:
        figures = report(session)
    assert (figures.members, figures.active_members) == (2, 2)
    assert figures.points_outstanding == 400 and str(figures.liability) == "20.00"
    assert figures.redemption_rate == 100 / 500
    assert (figures.repeat_rate_members, figures.repeat_rate_others) == (0.5, 0.0)
