"""Points left per earning lot: spent oldest first, expired by lot, always adding up to the balance."""

from __future__ import annotations

from datetime import date, timedelta

from alembic import command
from crm_loyalty import plugin
from crm_loyalty.ledger import ledger_balance, lock_member, open_points, post
from crm_loyalty.models import EntryKind, Lot, Member
from sqlalchemy import select

from crmcore.migrations.runner import _config, _plugin_owner


def lots(crm, member_id: int) -> list[int]:
    with crm.db.session() as session:
        return list(session.scalars(select(Lot.remaining).where(Lot.member_id == member_id).order_by(Lot.ledger_id)))


def consistent(crm, member_id: int) -> bool:
    """The cached balance equals the ledger's sum, and the open lots hold exactly the points not owed."""
    with crm.db.session() as session:
        balance = session.get(Member, member_id).balance
        return balance == ledger_balance(session, member_id) and open_points(session, member_id) == max(balance, 0)


def test_each_purchase_opens_a_lot_and_a_redemption_spends_the_oldest_first(loyalty_crm, loyalty, customer, purchase,
                                                                            member, reward):
    purchase(customer, "80")
    purchase(customer, "70")

    loyalty.redeem(member.id, reward.id)  # 100 points

    assert lots(loyalty_crm, member.id) == [50]
    assert consistent(loyalty_crm, member.id)


def test_points_taken_while_none_are_left_are_a_debt_the_next_purchase_pays_first(loyalty_crm, customer, purchase,
                                                                                   member, loyalty, reward):
    purchase(customer, "100")
    loyalty.redeem(member.id, reward.id)
    purchase(customer, "-30")  # a refund after the points were spent

    assert lots(loyalty_crm, member.id) == [] and consistent(loyalty_crm, member.id)
    purchase(customer, "50")

    assert lots(loyalty_crm, member.id) == [20]
    assert consistent(loyalty_crm, member.id)


def test_points_still_usable_are_spent_before_lapsed_ones_the_expiry_has_not_reached(loyalty_crm, member):
    today = date.today()
    with loyalty_crm.db.session() as session:
        locked = lock_member(session, member.id)
        post(session, locked, EntryKind.ADJUST, 40, reason="old", validity_days=10, today=today - timedelta(days=20))
        post(session, locked, EntryKind.ADJUST, 60, reason="new", validity_days=10, today=today)
        post(session, locked, EntryKind.ADJUST, -50, reason="spent", today=today)

    assert lots(loyalty_crm, member.id) == [40, 10]


def test_expiry_removes_the_lapsed_lots_and_leaves_the_others(loyalty_crm, loyalty, customer, purchase, member):
    loyalty.configure({"validity_days": 30})
    purchase(customer, "100")
    loyalty.configure({"validity_days": 90})
    purchase(customer, "25")

    assert loyalty.expire_due(today=date.today() + timedelta(days=30)) == 100

    assert lots(loyalty_crm, member.id) == [25]
    assert consistent(loyalty_crm, member.id)


def test_the_expiring_segment_sees_only_lots_with_points_left_in_the_window(loyalty_crm, loyalty, purchase, reward):
    loyalty.configure({"validity_days": 20})
    spent, keeps = (loyalty_crm.services.customers.create({"name": name}) for name in ("Spent", "Keeps"))
    purchase(spent, "100")
    purchase(keeps, "10")
    loyalty.redeem(loyalty.enroll(spent.id).id, reward.id)
    loyalty.configure({"validity_days": 200})
    purchase(spent, "100")  # lapses long after the window

    with loyalty_crm.db.session() as session:
        ids = session.scalars(loyalty_crm.segments.customer_ids("loyalty:points-expiring-30d")).all()
    assert ids == [keeps.id]


def test_the_migration_fills_the_lots_the_ledger_keeps(loyalty_crm, loyalty, customer, purchase, member, reward):
    purchase(customer, "80")
    purchase(customer, "70")
    loyalty.redeem(member.id, reward.id)
    other = loyalty_crm.services.customers.create({"name": "In debt"})
    purchase(other, "100")
    loyalty.redeem(loyalty.enroll(other.id).id, reward.id)
    purchase(other, "-30")
    with loyalty_crm.db.session() as session:
        kept = session.execute(select(Lot.ledger_id, Lot.member_id, Lot.expires_on, Lot.remaining)
                               .order_by(Lot.ledger_id)).all()

    config = _config(plugin.migrations, plugin.version_table, _plugin_owner(plugin))
    for target, step in (("loyalty_0001", command.downgrade), ("heads", command.upgrade)):
        with loyalty_crm.db.engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, target)

    with loyalty_crm.db.session() as session:
        assert session.execute(select(Lot.ledger_id, Lot.member_id, Lot.expires_on, Lot.remaining)
                               .order_by(Lot.ledger_id)).all() == kept
