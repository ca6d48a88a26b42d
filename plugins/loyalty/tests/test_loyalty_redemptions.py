"""Spending points: rewards with single-use codes, and no overspending under simultaneous redemptions."""

from __future__ import annotations

import threading

import pytest
from crm_loyalty.coupons import is_well_formed_coupon_code
from crm_loyalty.ledger import ledger_balance
from crm_loyalty.models import Member
from crm_loyalty.services import LoyaltyService
from sqlalchemy import event, select

from crmcore.errors import Refused, ValidationFailed


def test_redeeming_spends_points_and_gives_a_well_formed_code(loyalty, member, reward):
    loyalty.adjust(member.id, {"points": 150, "reason": "opening balance"})

    result = loyalty.redeem(member.id, reward.id)

    assert (result.points, result.balance) == (100, 50)
    assert is_well_formed_coupon_code(result.code)


def test_a_reward_the_balance_cannot_pay_is_refused_and_nothing_is_written(loyalty_crm, loyalty, member, reward):
    loyalty.adjust(member.id, {"points": 99, "reason": "opening balance"})

    with pytest.raises(Refused, match="99 available, 100 needed"):
        loyalty.redeem(member.id, reward.id)

    with loyalty_crm.db.session() as session:
        assert session.get(Member, member.id).balance == ledger_balance(session, member.id) == 99


def test_an_unknown_reward_is_refused_naming_the_field(loyalty, member):
    with pytest.raises(ValidationFailed) as failure:
        loyalty.redeem(member.id, 987654)

    assert "reward_id" in failure.value.errors


def test_a_code_is_accepted_once_in_any_spelling(loyalty, member, reward):
    loyalty.adjust(member.id, {"points": 100, "reason": "opening balance"})
    code = loyalty.redeem(member.id, reward.id).code

    loyalty.use_code(code.lower().replace("-", " "))

    with pytest.raises(Refused, match="already been used"):
        loyalty.use_code(code)


def test_an_unknown_code_is_refused(loyalty):
    with pytest.raises(ValidationFailed, match="No such code"):
        loyalty.use_code("AAAA-BBBB-CCCC")


def test_simultaneous_redemptions_never_overspend(loyalty_crm, crm_factory, loyalty, member, reward):
    """Eight workers, each with its own CRM (engine, connections, sessions), redeem at the same moment a
    balance that pays for three. PostgreSQL locks the member row; SQLite lets one writer in at a time."""
    loyalty.adjust(member.id, {"points": 350, "reason": "opening balance"})
    workers = [LoyaltyService(crm_factory(enabled=["loyalty"])) for _ in range(8)]
    statements: list[str] = []
    for service in workers:
        event.listen(service.crm.db.engine, "before_cursor_execute",
                     lambda _c, _cur, sql, *_a: statements.append(sql))
    start = threading.Barrier(len(workers))
    outcomes: list[str] = []

    def redeem(service: LoyaltyService) -> None:
        start.wait()
        try:
            service.redeem(member.id, reward.id)
            outcomes.append("ok")
        except Refused:
            outcomes.append("refused")

    threads = [threading.Thread(target=redeem, args=(service,)) for service in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
    with loyalty_crm.db.session() as session:
        final = session.scalar(select(Member.balance).where(Member.id == member.id))
        assert final == ledger_balance(session, member.id) == 50
        lock_seq = session.scalar(select(Member.lock_seq).where(Member.id == member.id))
    locks = [sql for sql in statements if "FOR UPDATE" in sql or "SET lock_seq" in sql]
    if loyalty_crm.db.dialect == "postgresql":
        assert len(locks) == 8 and all("FOR UPDATE" in sql for sql in locks)
    else:  # SQLite: each worker became the single writer before reading the balance; refused ones rolled back
        assert len(locks) == 8 and lock_seq == 1 + 3
