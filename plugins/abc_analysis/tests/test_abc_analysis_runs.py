"""ABC(D), RFM and XYZ classes computed in SQL over won deals, kept as dated snapshots."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from crm_abc_analysis import hooks, partitions, services
from crm_abc_analysis.models import AbcCustomerClass, AbcProductClass
from crm_abc_analysis.services import (
    RunRequest,
    customer_history,
    default_period,
    latest_runs,
    moved_down,
    run_analysis,
)
from sqlalchemy import inspect, select

from crmcore.errors import ValidationFailed

END = date(2026, 6, 30)
IN_PERIOD = date(2026, 3, 15)
REVENUES = [500, 200, 100, 80, 50, 30, 20, 10, 5, 5]


@pytest.fixture
def abc_crm(crm_factory):
    return crm_factory(enabled=["abc_analysis"])


def buy(crm, customer_id: int, amount: float, on: date = IN_PERIOD, cost: float = 0, lines=None) -> None:
    data = {"customer_id": customer_id, "title": "Order", "amount": str(amount), "cost": str(cost),
            "status": "won", "closed_on": on.isoformat()}
    if lines:
        data = {k: v for k, v in data.items() if k not in ("amount", "cost")} | {"lines": lines}
    crm.services.deals.create(data)


@pytest.fixture
def customers(abc_crm):
    """Ten buyers with known revenue, one whose refund exceeds the purchase, one who bought long ago."""
    ids = {}
    for index, revenue in enumerate(REVENUES):
        customer = abc_crm.services.customers.create({"name": f"Buyer {index}", "lifecycle_stage": "customer"})
        buy(abc_crm, customer.id, revenue)
        ids[f"buyer{index}"] = customer.id
    refunder = abc_crm.services.customers.create({"name": "Refunder", "lifecycle_stage": "customer"})
    buy(abc_crm, refunder.id, 100)
    buy(abc_crm, refunder.id, -150, on=date(2026, 4, 1))
    lapsed = abc_crm.services.customers.create({"name": "Lapsed", "lifecycle_stage": "customer"})
    buy(abc_crm, lapsed.id, 300, on=date(2024, 1, 10))
    ids.update(refunder=refunder.id, lapsed=lapsed.id)
    return ids


def classes(crm, run_id: int) -> dict[int, AbcCustomerClass]:
    with crm.db.session() as session:
        rows = session.scalars(select(AbcCustomerClass).where(AbcCustomerClass.run_id == run_id)).all()
    return {row.customer_id: row for row in rows}


def test_customers_reaching_the_first_80_percent_are_class_a(abc_crm, customers):
    run = run_analysis(abc_crm, RunRequest(end=END))

    found = classes(abc_crm, run.id)
    assert [found[customers[f"buyer{i}"]].abc_class for i in range(10)] == list("AAABBBCCCC")


def test_zero_or_negative_net_revenue_is_class_d(abc_crm, customers):
    run = run_analysis(abc_crm, RunRequest(end=END))

    found = classes(abc_crm, run.id)
    assert found[customers["refunder"]].abc_class == "D"
    assert found[customers["refunder"]].value == Decimal("-50.00")
    assert found[customers["lapsed"]].abc_class == "D"


def test_run_summary_gives_counts_shares_and_the_top_20_percent_share(abc_crm, customers):
    run = run_analysis(abc_crm, RunRequest(end=END))

    assert run.customers == 12
    assert run.total_value == Decimal("950.00")
    assert {cls: f["count"] for cls, f in run.summary["classes"].items()} == {"A": 3, "B": 3, "C": 4, "D": 2}
    assert run.summary["classes"]["A"]["share"] == pytest.approx(800 / 950)
    assert run.top20_share == pytest.approx(800 / 950)


def test_thresholds_come_from_the_settings(abc_crm, customers):
    abc_crm.plugins.save_settings("abc_analysis", {"a_share": 50, "b_share": 30})

    run = run_analysis(abc_crm, RunRequest(end=END))

    found = classes(abc_crm, run.id)
    assert [found[customers[f"buyer{i}"]].abc_class for i in range(10)] == list("ABBCCCCCCC")


def test_profit_basis_ranks_by_amount_minus_cost(abc_crm):
    high_margin = abc_crm.services.customers.create({"name": "Margin", "lifecycle_stage": "customer"})
    high_volume = abc_crm.services.customers.create({"name": "Volume", "lifecycle_stage": "customer"})
    buy(abc_crm, high_margin.id, 100, cost=10)
    buy(abc_crm, high_volume.id, 300, cost=290)

    run = run_analysis(abc_crm, RunRequest(basis="profit", end=END))

    found = classes(abc_crm, run.id)
    assert found[high_margin.id].rank == 1
    assert found[high_margin.id].value == Decimal("90.00")


def test_products_are_classified_from_won_deal_lines(abc_crm):
    customer = abc_crm.services.customers.create({"name": "Shop", "lifecycle_stage": "customer"})
    big = abc_crm.services.products.create({"sku": "BIG", "name": "Big", "price": "90"})
    small = abc_crm.services.products.create({"sku": "SMALL", "name": "Small", "price": "1"})
    buy(abc_crm, customer.id, 0, lines=[{"product_id": big.id, "quantity": "10", "unit_price": "90"},
                                        {"product_id": small.id, "quantity": "10", "unit_price": "1"}])

    run = run_analysis(abc_crm, RunRequest(end=END))

    with abc_crm.db.session() as session:
        rows = dict(session.execute(select(AbcProductClass.product_id, AbcProductClass.abc_class)
                                    .where(AbcProductClass.run_id == run.id)).all())
    assert rows == {big.id: "A", small.id: "C"} or rows == {big.id: "A", small.id: "B"}
    assert rows[big.id] == "A"


def test_rfm_scores_recent_frequent_big_spenders_as_champions(abc_crm):
    ids = []
    for index in range(10):
        customer = abc_crm.services.customers.create({"name": f"R{index}", "lifecycle_stage": "customer"})
        for month in range(1, index + 2 if index < 6 else 7):
            buy(abc_crm, customer.id, 10 * (index + 1), on=date(2026, month, 1 + index))
        ids.append(customer.id)

    run = run_analysis(abc_crm, RunRequest(end=END))

    found = classes(abc_crm, run.id)
    best, worst = found[ids[-1]], found[ids[0]]
    assert (best.r_score, best.f_score, best.m_score, best.rfm_segment) == (5, 5, 5, "champions")
    assert (worst.r_score, worst.f_score, worst.m_score) == (1, 1, 1)
    assert worst.rfm_segment == "lost"
    assert worst.recency_days == (END - date(2026, 1, 1)).days


def test_steady_monthly_buyers_are_x_and_one_off_buyers_are_z(abc_crm):
    steady = abc_crm.services.customers.create({"name": "Steady", "lifecycle_stage": "customer"})
    once = abc_crm.services.customers.create({"name": "Once", "lifecycle_stage": "customer"})
    for month in range(1, 13):
        buy(abc_crm, steady.id, 100, on=date(2025, month, 10))
    buy(abc_crm, once.id, 1200, on=date(2025, 5, 10))

    run = run_analysis(abc_crm, RunRequest(start=date(2025, 1, 1), end=date(2025, 12, 31)))

    found = classes(abc_crm, run.id)
    assert found[steady.id].xyz_class == "X"
    assert found[once.id].xyz_class == "Z"


def test_a_purchase_before_the_start_in_the_first_month_counts_in_neither_value_nor_variation(abc_crm):
    steady = abc_crm.services.customers.create({"name": "Steady", "lifecycle_stage": "customer"})
    buy(abc_crm, steady.id, 5000, on=date(2025, 1, 5))
    buy(abc_crm, steady.id, 100, on=date(2025, 1, 20))
    for month in range(2, 13):
        buy(abc_crm, steady.id, 100, on=date(2025, month, 10))

    run = run_analysis(abc_crm, RunRequest(start=date(2025, 1, 15), end=date(2025, 12, 31)))

    found = classes(abc_crm, run.id)[steady.id]
    assert (found.value, found.purchases, found.xyz_class) == (Decimal("1200.00"), 12, "X")
    assert found.recency_days == 21


def test_every_run_is_kept_and_customers_who_moved_down_are_listed(abc_crm, customers):
    first = run_analysis(abc_crm, RunRequest(end=END))
    buy(abc_crm, customers["buyer9"], 2000, on=date(2026, 6, 1))

    second = run_analysis(abc_crm, RunRequest(end=END))

    with abc_crm.db.session() as session:
        moved = moved_down(session, second, first)
    assert second.id != first.id
    assert {m.customer_id: (m.before, m.after) for m in moved} == {
        customers["buyer1"]: ("A", "B"), customers["buyer2"]: ("A", "B"),
        customers["buyer4"]: ("B", "C"), customers["buyer5"]: ("B", "C")}
    assert len(classes(abc_crm, first.id)) == 12


def test_purging_the_plugin_leaves_none_of_its_tables_or_snapshots(abc_crm, customers):
    run_analysis(abc_crm, RunRequest(end=END))
    abc_crm.plugins.disable("abc_analysis")

    abc_crm.plugins.purge("abc_analysis")

    with abc_crm.db.engine.connect() as connection:
        database = inspect(connection)
        assert [name for name in database.get_table_names() if name.startswith("abc_")] == []
        assert partitions.SCHEMA not in database.get_schema_names()


def test_two_runs_at_the_same_time_both_complete(abc_crm, customers):
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: run_analysis(abc_crm, RunRequest(end=END)), range(2)))

    assert runs[0].id != runs[1].id
    assert [len(classes(abc_crm, run.id)) for run in runs] == [12, 12]


def test_while_a_run_is_being_written_readers_see_the_previous_run_whole(abc_crm, customers, monkeypatch):
    first = run_analysis(abc_crm, RunRequest(end=END))
    buy(abc_crm, customers["buyer9"], 2000, on=date(2026, 6, 1))
    written, release = threading.Event(), threading.Event()
    module, name = (partitions, "attach") if abc_crm.db.dialect == "postgresql" else (services, "_summarise")
    last_write = getattr(module, name)

    def write_then_wait(*args, **kwargs):
        last_write(*args, **kwargs)
        written.set()
        release.wait(30)

    monkeypatch.setattr(module, name, write_then_wait)
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(run_analysis, abc_crm, RunRequest(end=END))
        assert written.wait(30)
        try:
            segment = next(s for s in hooks.segments(abc_crm) if s.key == "abc:class-a")
            with abc_crm.db.session() as session:
                assert [run.id for run in latest_runs(session, 5)] == [first.id]
                assert set(session.scalars(segment.query())) == {customers[f"buyer{i}"] for i in range(3)}
                assert [run.id for run, _ in customer_history(session, customers["buyer9"])] == [first.id]
        finally:
            release.set()
        second = second.result()

    with abc_crm.db.session() as session:
        assert [run.id for run in latest_runs(session, 5)] == [second.id, first.id]
        assert set(session.scalars(segment.query())) == {customers["buyer9"], customers["buyer0"]}


def test_a_start_after_the_end_is_refused_and_nothing_is_written(abc_crm, customers):
    with pytest.raises(ValidationFailed) as failure:
        run_analysis(abc_crm, RunRequest(start=date(2026, 7, 1), end=END))

    assert "start" in failure.value.errors
    with abc_crm.db.session() as session:
        assert session.scalar(select(AbcCustomerClass.run_id).limit(1)) is None


def test_the_default_period_is_the_trailing_twelve_months():
    assert default_period(date(2026, 11, 23), 12) == (date(2025, 11, 24), date(2026, 11, 23))
    assert default_period(date(2024, 2, 29), 12) == (date(2023, 3, 1), date(2024, 2, 29))
