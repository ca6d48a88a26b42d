"""Fitting from the CRM's won deals and scoring every buyer, as the jobs and `crm clv` do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from crm_clv.data import load_purchase_days
from crm_clv.models import ClvModel, ClvScore
from crm_clv.service import ClvService
from sqlalchemy import func, select

from crmcore.errors import Refused, ValidationFailed
from crmcore.models import Deal


def test_same_day_purchases_count_as_one_and_refunds_are_netted(clv_crm, customer, buy) -> None:
    anna = customer("Anna")
    buy(anna, "2024-01-02", 10)
    buy(anna, "2024-01-02", 15)
    buy(anna, "2024-02-01", 40)
    buy(anna, "2024-02-01", -40)
    buy(anna, "2024-03-01", 30)
    buy(anna, "2024-03-01", -5)

    purchases = load_purchase_days(clv_crm)

    assert purchases.days.astype(str).tolist() == ["2024-01-02", "2024-03-01"]
    assert purchases.amounts.tolist() == [25.0, 25.0]


def test_open_and_lost_deals_are_not_purchases(clv_crm, customer) -> None:
    boris = customer("Boris")
    clv_crm.services.deals.create({"customer_id": boris, "title": "Quote", "amount": "500"})

    assert len(load_purchase_days(clv_crm)) == 0


def test_fit_stores_the_parameters_and_the_holdout_check(clv_crm, simulated_shop) -> None:
    result = ClvService(clv_crm).fit(end=dt.date(2024, 9, 30))

    with clv_crm.db.session() as session:
        stored = session.get(ClvModel, result.model_id)
    assert stored.calibration_end == dt.date(2024, 9, 30)
    assert stored.holdout_end > stored.calibration_end
    assert (stored.r, stored.alpha, stored.a, stored.b) == (result.bgnbd.r, result.bgnbd.alpha, result.bgnbd.a,
                                                             result.bgnbd.b)
    assert stored.customers == len(simulated_shop)
    assert stored.tracking["actual"] > 0
    assert stored.tracking["predicted"] == pytest.approx(stored.tracking["actual"], rel=0.35)
    assert [g["group"] for g in stored.tracking["by_frequency"]] == ["0", "1", "2", "3", "4", "5", "6", "7+"]


def test_fit_on_a_sample_estimates_from_that_many_customers(clv_crm, simulated_shop) -> None:
    result = ClvService(clv_crm).fit(end=dt.date(2024, 9, 30), sample=300, seed=1)

    assert result.sample_size == 300
    assert result.bgnbd.n_customers == 300
    assert result.customers == len(simulated_shop)


def test_fitting_without_purchases_is_refused_with_a_reason(clv_crm) -> None:
    with pytest.raises(Refused, match="no won deals"):
        ClvService(clv_crm).fit()


def test_fitting_without_repeat_purchases_is_refused_with_a_reason(clv_crm, customer, buy) -> None:
    buy(customer("Once"), "2024-01-02", 10)

    with pytest.raises(Refused, match="Not enough purchases"):
        ClvService(clv_crm).fit(end=dt.date(2024, 6, 1))


def test_a_holdout_ending_before_the_calibration_is_rejected(clv_crm, customer, buy) -> None:
    buy(customer("Once"), "2024-01-02", 10)

    with pytest.raises(ValidationFailed) as failure:
        ClvService(clv_crm).fit(end=dt.date(2024, 6, 1), holdout_end=dt.date(2024, 5, 1))
    assert "holdout_end" in failure.value.errors


def test_scoring_before_any_fit_is_refused(clv_crm, customer, buy) -> None:
    buy(customer("Once"), "2024-01-02", 10)

    with pytest.raises(Refused, match="crm clv fit"):
        ClvService(clv_crm).score()


def _scores(crm: Any) -> dict[int, ClvScore]:
    with crm.db.session() as session:
        return {s.customer_id: s for s in session.scalars(select(ClvScore))}


def test_scoring_writes_one_row_per_buyer(clv_crm, simulated_shop) -> None:
    service = ClvService(clv_crm)
    service.fit(end=dt.date(2024, 9, 30))

    result = service.score(as_of=dt.date(2025, 1, 1))

    scores = _scores(clv_crm)
    assert result.customers == len(simulated_shop) == len(scores)
    assert all(0.0 <= s.p_alive <= 1.0 and s.clv >= 0 and s.expected_purchases >= 0 for s in scores.values())


def test_scoring_again_updates_rows_and_drops_customers_who_no_longer_bought(clv_crm, simulated_shop) -> None:
    service = ClvService(clv_crm)
    service.fit(end=dt.date(2024, 9, 30))
    service.score(as_of=dt.date(2025, 1, 1))
    gone = simulated_shop[0]
    assert gone in _scores(clv_crm)
    with clv_crm.db.session() as session:
        deal_ids = session.scalars(select(Deal.id).where(Deal.customer_id == gone)).all()
    for deal_id in deal_ids:
        clv_crm.services.deals.delete(deal_id)

    service.score(as_of=dt.date(2025, 2, 1))

    scores = _scores(clv_crm)
    assert gone not in scores
    assert len(scores) == len(simulated_shop) - 1
    assert {s.scored_on for s in scores.values()} == {dt.date(2025, 2, 1)}


def test_a_buyer_who_has_been_silent_longer_is_less_likely_active(clv_crm, customer, buy, simulated_shop) -> None:
    recent, silent = customer("Recent"), customer("Silent")
    for who, days in ((recent, ["2024-01-05", "2024-03-05", "2024-05-05", "2024-12-20"]),
                      (silent, ["2024-01-05", "2024-01-20", "2024-02-05", "2024-02-20"])):
        for day in days:
            buy(who, day, 20)
    service = ClvService(clv_crm)
    service.fit(end=dt.date(2024, 9, 30))
    service.score(as_of=dt.date(2025, 1, 1))

    scores = _scores(clv_crm)
    assert scores[recent].p_alive > scores[silent].p_alive
    assert scores[recent].clv > scores[silent].clv
    assert scores[recent].revenue == 80.0


def test_scores_count_only_purchases_up_to_the_scoring_day(clv_crm, customer, buy, simulated_shop) -> None:
    late = customer("Late")
    buy(late, "2024-01-05", 20)
    buy(late, "2025-03-01", 20)
    service = ClvService(clv_crm)
    service.fit(end=dt.date(2024, 9, 30))

    service.score(as_of=dt.date(2025, 1, 1))

    assert _scores(clv_crm)[late].frequency == 0


def test_scores_are_written_in_chunks_without_duplicates(clv_crm, simulated_shop, monkeypatch) -> None:
    from crm_clv import writing

    service = ClvService(clv_crm)
    service.fit(end=dt.date(2024, 9, 30))
    monkeypatch.setattr(writing, "CHUNK", 7)
    monkeypatch.setattr(writing, "POSTGRES_CHUNK", 7)

    service.score(as_of=dt.date(2025, 1, 1))
    service.score(as_of=dt.date(2025, 1, 1))

    with clv_crm.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ClvScore)) == len(simulated_shop)
