"""The points ledger: earning once per deal, refunds and deletions, manual adjustments, expiry."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from crm_loyalty.ledger import ledger_balance
from crm_loyalty.models import EntryKind, LedgerEntry, Member
from sqlalchemy import select

from crmcore.errors import ValidationFailed


def entries(crm, member_id: int) -> list[tuple[str, int]]:
    with crm.db.session() as session:
        rows = session.execute(select(LedgerEntry.kind, LedgerEntry.points).where(LedgerEntry.member_id == member_id)
                               .order_by(LedgerEntry.id)).all()
    return [(kind.value, points) for kind, points in rows]


def balance(crm, customer_id: int) -> int:
    with crm.db.session() as session:
        member = session.scalar(select(Member).where(Member.customer_id == customer_id))
        assert member.balance == ledger_balance(session, member.id)
        return member.balance


def test_a_purchase_enrols_the_customer_and_earns_points_rounded_down(loyalty_crm, loyalty, customer, purchase):
    loyalty.configure({"points_per_unit": "1", "unit_amount": "10"})

    purchase(customer, "129.90")

    assert balance(loyalty_crm, customer.id) == 12


def test_a_deal_won_event_delivered_twice_earns_once(loyalty_crm, loyalty, customer, purchase):
    deal = purchase(customer, "50")

    loyalty_crm.hook.deal_won(crm=loyalty_crm, deal=deal, actor=None)

    assert balance(loyalty_crm, customer.id) == 50


def test_a_refund_takes_the_points_of_its_amount_back_with_a_new_row(loyalty_crm, customer, purchase, member):
    purchase(customer, "80")
    purchase(customer, "-30")

    assert entries(loyalty_crm, member.id) == [("earn", 80), ("refund", -30)]
    assert balance(loyalty_crm, customer.id) == 50


def test_deleting_a_deal_reverses_its_points_once(loyalty_crm, customer, purchase, member):
    deal = purchase(customer, "40")

    loyalty_crm.services.deals.delete(deal.id)
    loyalty_crm.hook.deal_deleted(crm=loyalty_crm, deal_id=deal.id, customer_id=customer.id, actor=None)

    assert entries(loyalty_crm, member.id) == [("earn", 40), ("reverse", -40)]


def test_first_purchase_and_birthday_month_bonuses(loyalty_crm, loyalty, purchase):
    loyalty.configure({"first_purchase_bonus": 50, "birthday_month_bonus": 20})
    today = date.today()
    customer = loyalty_crm.services.customers.create({"name": "Олена Коваль", "kind": "person"})
    loyalty_crm.services.contacts.create({"customer_id": customer.id, "first_name": "Олена",
                                          "birthday": today.replace(year=1990, day=1).isoformat()})

    purchase(customer, "10")
    purchase(customer, "10")

    assert balance(loyalty_crm, customer.id) == (10 + 50 + 20) + (10 + 20)


def test_customers_of_the_bonus_segment_earn_with_its_multiplier(loyalty_crm, loyalty, customer, purchase, member):
    loyalty.add_tier({"name": "gold", "basis": "spend", "threshold": "100"})
    purchase(customer, "100")  # reaches gold
    loyalty.configure({"bonus_segment": "loyalty:tier-gold", "segment_multiplier": "2"})

    purchase(customer, "10")

    assert entries(loyalty_crm, member.id)[-1] == ("earn", 20)


def test_a_bonus_segment_that_does_not_exist_is_refused(loyalty):
    with pytest.raises(Exception, match="abc:class-a"):
        loyalty.configure({"bonus_segment": "abc:class-a"})


def test_a_manual_adjustment_keeps_its_reason_and_user(loyalty_crm, loyalty, member, make_user):
    manager = make_user("manager")

    entry = loyalty.adjust(member.id, {"points": 25, "reason": "Goodwill after late delivery"}, actor=manager)

    assert (entry.kind, entry.points, entry.reason, entry.user_id) == (
        EntryKind.ADJUST, 25, "Goodwill after late delivery", manager.id)


def test_an_adjustment_without_a_reason_is_refused_naming_the_field(loyalty_crm, loyalty, member):
    with pytest.raises(ValidationFailed) as failure:
        loyalty.adjust(member.id, {"points": 25, "reason": ""})

    assert "reason" in failure.value.errors
    assert entries(loyalty_crm, member.id) == []


def test_an_adjustment_cannot_take_the_balance_below_zero(loyalty, member):
    with pytest.raises(ValidationFailed, match="cannot go below zero"):
        loyalty.adjust(member.id, {"points": -5, "reason": "typo"})


def test_staff_may_not_adjust_points(loyalty, member, make_user):
    with pytest.raises(Exception, match="not allowed"):
        loyalty.adjust(member.id, {"points": 5, "reason": "friend"}, actor=make_user("staff"))


def test_expiry_posts_lapsed_points_oldest_first_and_a_rerun_posts_nothing(loyalty_crm, loyalty, customer, purchase,
                                                                          member):
    loyalty.configure({"validity_days": 30})
    purchase(customer, "100")
    purchase(customer, "-40")  # spends from the oldest lot
    later = date.today() + timedelta(days=31)

    assert loyalty.expire_due(today=later) == 60
    assert loyalty.expire_due(today=later) == 0
    assert entries(loyalty_crm, member.id)[-1] == ("expire", -60)
    assert balance(loyalty_crm, customer.id) == 0


def test_points_not_yet_due_do_not_expire(loyalty, customer, purchase, member):
    loyalty.configure({"validity_days": 30})
    purchase(customer, "100")

    assert loyalty.expire_due(today=date.today() + timedelta(days=29)) == 0


def test_the_same_deal_won_delivered_by_two_workers_at_once_earns_once(loyalty_crm, crm_factory, customer, purchase,
                                                                       member):
    deal = purchase(customer, "70")
    workers = [crm_factory(enabled=["loyalty"]) for _ in range(4)]
    start = threading.Barrier(len(workers))

    def deliver(crm) -> None:
        start.wait()
        crm.hook.deal_won(crm=crm, deal=deal, actor=None)

    threads = [threading.Thread(target=deliver, args=(crm,)) for crm in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert entries(loyalty_crm, member.id) == [("earn", 70)]


def test_posted_rows_never_change_only_new_rows_are_added(loyalty_crm, loyalty, customer, purchase, member, reward):
    def snapshot() -> list[tuple]:
        with loyalty_crm.db.session() as session:
            return [tuple(row) for row in session.execute(select(
                LedgerEntry.id, LedgerEntry.kind, LedgerEntry.points, LedgerEntry.deal_id, LedgerEntry.reason,
                LedgerEntry.expires_on, LedgerEntry.created_at).order_by(LedgerEntry.id))]

    deal = purchase(customer, "300")
    before = snapshot()

    purchase(customer, "-50")
    loyalty.redeem(member.id, reward.id)
    loyalty_crm.services.deals.delete(deal.id)

    after = snapshot()
    assert after[:len(before)] == before
    assert [row[1].value for row in after] == ["earn", "refund", "redeem", "reverse"]


def test_merging_customers_moves_the_membership_to_the_kept_one(loyalty_crm, customer, purchase, member):
    kept = loyalty_crm.services.customers.create({"name": "Maryam R."})
    purchase(customer, "30")

    loyalty_crm.services.customers.merge(kept.id, customer.id)

    assert balance(loyalty_crm, kept.id) == 30
