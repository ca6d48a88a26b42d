"""Churn: the at-risk and win-back segments, follow-up tasks, churn rate per month and why customers left."""

from __future__ import annotations

import datetime as dt

import pytest
from crm_clv.churn import TASK_SOURCE, create_at_risk_tasks
from crm_clv.models import ClvScore
from crm_clv.reports import churn_rate_by_month, leavers_report
from sqlalchemy import select, update

from crmcore.errors import ValidationFailed
from crmcore.models import Customer, Task


def members(crm, key: str) -> set[int]:
    with crm.db.session() as session:
        return set(session.scalars(crm.segments.customer_ids(key)))


def test_repeat_buyers_who_stopped_are_at_risk_and_regulars_are_not(clv_crm, shop) -> None:
    at_risk = members(clv_crm, "clv:at-risk")

    assert {shop["slipping"], shop["big_spender"]} <= at_risk
    assert shop["loyal"] not in at_risk
    assert shop["once"] not in at_risk


def test_the_at_risk_threshold_is_a_setting(clv_crm, shop) -> None:
    with clv_crm.db.session() as session:
        p_loyal = session.get(ClvScore, shop["loyal"]).p_alive
    clv_crm.plugins.save_settings("clv", {"at_risk_threshold": min(1.0, p_loyal + 0.01)})

    assert shop["loyal"] in members(clv_crm, "clv:at-risk")


def test_former_customers_are_not_at_risk_but_can_be_won_back(clv_crm, shop) -> None:
    clv_crm.services.customers.update(shop["big_spender"], {"lifecycle_stage": "former",
                                                            "churn_reason": "Moved to a competitor"})

    assert shop["big_spender"] not in members(clv_crm, "clv:at-risk")
    assert shop["big_spender"] in members(clv_crm, "clv:win-back")


def test_win_back_wants_gone_customers_who_brought_high_revenue(clv_crm, shop) -> None:
    win_back = members(clv_crm, "clv:win-back")

    assert shop["big_spender"] in win_back
    assert shop["slipping"] not in win_back  # gone too, but brought only 200
    assert shop["loyal"] not in win_back


def test_marking_a_customer_former_needs_a_reason(clv_crm, shop) -> None:
    with pytest.raises(ValidationFailed) as failure:
        clv_crm.services.customers.update(shop["slipping"], {"lifecycle_stage": "former"})

    assert "churn_reason" in failure.value.errors


def test_the_owner_of_an_at_risk_customer_gets_one_follow_up_task(clv_crm, shop) -> None:
    created = create_at_risk_tasks(clv_crm, today=dt.date(2025, 1, 1))

    with clv_crm.db.session() as session:
        tasks = session.scalars(select(Task).where(Task.source == TASK_SOURCE)).all()
    assert created == 1  # big_spender has no owner: nobody to give it to
    assert [(t.customer_id, t.assignee_id, t.due_on) for t in tasks] == [
        (shop["slipping"], shop["owner"], dt.date(2025, 1, 8))]


def test_scoring_again_does_not_duplicate_an_open_task(clv_crm, shop) -> None:
    clv_crm.plugins.save_settings("clv", {"create_tasks": True})
    from crm_clv.service import ClvService

    first = ClvService(clv_crm).score(as_of=dt.date(2025, 1, 1))
    second = ClvService(clv_crm).score(as_of=dt.date(2025, 1, 2))

    assert (first.tasks_created, second.tasks_created) == (1, 0)


def test_a_new_task_follows_once_the_previous_one_is_done(clv_crm, shop) -> None:
    create_at_risk_tasks(clv_crm)
    with clv_crm.db.session() as session:
        task_id = session.scalar(select(Task.id).where(Task.source == TASK_SOURCE))
    clv_crm.services.tasks.complete(task_id)

    assert create_at_risk_tasks(clv_crm) == 1


def _churn(crm, customer_id: int, when: dt.datetime, reason: str) -> None:
    crm.services.customers.update(customer_id, {"lifecycle_stage": "former", "churn_reason": reason})
    with crm.db.session() as session:
        session.execute(update(Customer).where(Customer.id == customer_id).values(churned_at=when))


def test_churn_rate_is_leavers_of_the_month_over_customers_active_at_its_start(clv_crm, customer) -> None:
    ids = [customer(f"Customer {i}") for i in range(4)]
    with clv_crm.db.session() as session:
        session.execute(update(Customer).values(created_at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC)))
    _churn(clv_crm, ids[0], dt.datetime(2024, 3, 5, tzinfo=dt.UTC), "Price")
    _churn(clv_crm, ids[1], dt.datetime(2024, 4, 20, tzinfo=dt.UTC), "Service")

    with clv_crm.db.session() as session:
        months = {m["month"]: m for m in churn_rate_by_month(session, today=dt.date(2024, 5, 15), months=5)}

    assert list(months) == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert months["2024-01"] == {"month": "2024-01", "churned": 0, "active_at_start": 0, "rate": None}
    assert (months["2024-03"]["churned"], months["2024-03"]["active_at_start"]) == (1, 4)
    assert (months["2024-04"]["churned"], months["2024-04"]["active_at_start"]) == (1, 3)
    assert months["2024-04"]["rate"] == pytest.approx(1 / 3)
    assert months["2024-05"]["active_at_start"] == 2


def test_leavers_are_grouped_by_reason_and_by_owner(clv_crm, customer, make_user) -> None:
    owner = make_user("staff", name="Petro")
    for index, reason in enumerate(["Price", "Price", "Moved away"]):
        _churn(clv_crm, customer(f"Gone {index}", owner_id=owner.id if index else None),
               dt.datetime(2024, 3, 1, tzinfo=dt.UTC), reason)

    report = leavers_report(clv_crm)

    assert report["total"] == 3
    assert report["by_reason"] == [{"label": "Price", "customers": 2}, {"label": "Moved away", "customers": 1}]
    assert report["by_owner"] == [{"label": "Petro", "customers": 2}, {"label": "(no owner)", "customers": 1}]
    assert report["by_abc_class"] is None


def test_leavers_are_grouped_by_abc_class_when_abc_analysis_is_enabled(clv_crm, customer, buy) -> None:
    from crm_abc_analysis.services import RunRequest, run_analysis

    clv_crm.plugins.enable("abc_analysis")
    big, small = customer("Big"), customer("Small")
    buy(big, "2024-03-01", 10_000)
    buy(small, "2024-03-01", 10)
    run_analysis(clv_crm, RunRequest(start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31)))
    for who in (big, small):
        _churn(clv_crm, who, dt.datetime(2024, 6, 1, tzinfo=dt.UTC), "Price")

    report = leavers_report(clv_crm)

    assert report["by_abc_class"] == [{"label": "A", "customers": 1}, {"label": "C", "customers": 1}]
