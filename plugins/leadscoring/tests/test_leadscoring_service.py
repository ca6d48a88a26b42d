"""Stored lead scores: rules, engagement with decay, the learned model, and keeping scores current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from crm_leadscoring.models import LeadScore
from crm_leadscoring.services import call_next, rescore_all, save_rules, train_model
from sqlalchemy import select

from crmcore.errors import ValidationFailed
from crmcore.models import CustomField

RULES = {
    "base": 10,
    "half_life_days": 30,
    "rules": [
        {"type": "field", "label": "Has a phone", "field": "has_phone", "op": "eq", "value": True, "points": 20},
        {"type": "field", "label": "Tech industry", "field": "industry", "op": "eq", "value": "Software",
         "points": 15},
        {"type": "field", "label": "Big budget", "field": "custom_fields.budget", "op": "gte", "value": 10000,
         "points": 25},
        {"type": "engagement", "label": "Calls (90 days)", "points": 10, "channels": ["phone"], "within_days": 90,
         "half_life_days": 0, "max_points": 30},
    ],
}


@pytest.fixture
def scoring_crm(crm_factory):
    crm = crm_factory(enabled=["leadscoring"])
    with crm.db.session() as session:
        session.add_all([CustomField(entity="customer", key="budget", label="Budget", type="number"),
                         CustomField(entity="customer", key="employees", label="Employees", type="integer")])
    save_rules(crm, RULES)
    return crm


@pytest.fixture
def stored(work_off):
    """``stored(crm, customer_id)``: the lead's score once the queued rescoring has run."""

    def read(crm, customer_id: int) -> LeadScore | None:
        work_off(crm)
        with crm.db.session() as session:
            return session.get(LeadScore, customer_id)

    return read


def new_lead(crm, **fields):
    return crm.services.customers.create({"name": fields.pop("name", "Lead"), "lifecycle_stage": "lead", **fields})


def test_a_new_lead_is_scored_from_its_fields_with_an_explanation(scoring_crm, stored):
    lead = new_lead(scoring_crm, phone="+49 30 1234567", industry="Software", custom_fields={"budget": 20000})

    score = stored(scoring_crm, lead.id)
    assert score.score == pytest.approx(70)
    assert score.grade == "B"
    assert dict(map(tuple, score.explanation)) == {"base score": 10, "Has a phone": 20, "Tech industry": 15,
                                                   "Big budget": 25}


def test_a_recorded_call_raises_the_score(scoring_crm, stored):
    lead = new_lead(scoring_crm)
    before = stored(scoring_crm, lead.id).score

    scoring_crm.services.touchpoints.record({"customer_id": lead.id, "channel": "phone", "subject": "Intro call"})

    assert stored(scoring_crm, lead.id).score == pytest.approx(before + 10)


def test_old_engagement_fades_with_the_half_life(scoring_crm, stored):
    rules = {**RULES, "rules": [{"type": "engagement", "label": "Calls", "points": 40, "channels": ["phone"],
                                 "half_life_days": 30}]}
    save_rules(scoring_crm, rules)
    fresh, old = new_lead(scoring_crm, name="Fresh"), new_lead(scoring_crm, name="Old")
    now = datetime.now(UTC)
    scoring_crm.services.touchpoints.record({"customer_id": fresh.id, "channel": "phone", "occurred_at": now})
    scoring_crm.services.touchpoints.record({"customer_id": old.id, "channel": "phone",
                                             "occurred_at": now - timedelta(days=30)})

    assert stored(scoring_crm, fresh.id).score == pytest.approx(10 + 40, abs=0.1)
    assert stored(scoring_crm, old.id).score == pytest.approx(10 + 20, abs=0.1)


def test_a_lead_that_becomes_a_customer_leaves_the_list(scoring_crm, stored):
    lead = new_lead(scoring_crm)

    scoring_crm.services.customers.update(lead.id, {"lifecycle_stage": "customer"})

    assert stored(scoring_crm, lead.id) is None


def test_bulk_rescoring_scores_every_lead_and_prospect_only(scoring_crm):
    leads = [new_lead(scoring_crm, name=f"L{i}", phone="+49 30 1234567" if i % 2 else None) for i in range(7)]
    prospect = scoring_crm.services.customers.create({"name": "P", "lifecycle_stage": "prospect"})
    buyer = scoring_crm.services.customers.create({"name": "B", "lifecycle_stage": "customer"})
    with scoring_crm.db.session() as session:
        session.execute(LeadScore.__table__.delete())

    assert rescore_all(scoring_crm, chunk_size=3) == 8

    with scoring_crm.db.session() as session:
        scored = set(session.scalars(select(LeadScore.customer_id)))
    assert scored == {lead.id for lead in leads} | {prospect.id}
    assert buyer.id not in scored


def test_call_next_lists_the_best_leads_first_page_by_page(scoring_crm, work_off):
    for i in range(5):
        new_lead(scoring_crm, name=f"L{i}", custom_fields={"budget": i * 5000})
    work_off(scoring_crm)
    with scoring_crm.db.session() as session:
        first = call_next(session, limit=2)
        second = call_next(session, after=(first[-1][0].score, first[-1][0].customer_id), limit=10)

    scores = [row.score for row, _ in first + second]
    assert scores == sorted(scores, reverse=True)
    assert len(first + second) == 5
    assert {name for _, name in first}.isdisjoint({name for _, name in second})


def test_segments_select_hot_leads_and_grades(scoring_crm, work_off):
    hot = new_lead(scoring_crm, name="Hot", phone="+49 30 1234567", industry="Software",
                   custom_fields={"budget": 50000})
    cold = new_lead(scoring_crm, name="Cold")
    work_off(scoring_crm)
    scoring_crm.plugins.save_settings("leadscoring", {**scoring_crm.plugins.settings("leadscoring"),
                                                      "hot_threshold": 60})

    with scoring_crm.db.session() as session:
        hot_ids = set(session.scalars(scoring_crm.segments.customer_ids("leadscoring:hot")))
        grade_d = set(session.scalars(scoring_crm.segments.customer_ids("leadscoring:grade-d")))
    assert hot_ids == {hot.id}
    assert cold.id in grade_d


def test_rules_naming_an_unknown_field_are_refused(scoring_crm):
    bad = {**RULES, "rules": [{"type": "field", "label": "x", "field": "shoe_size", "op": "eq", "value": 1,
                               "points": 5}]}

    with pytest.raises(ValidationFailed) as failure:
        save_rules(scoring_crm, bad)

    assert "unknown field 'shoe_size'" in str(failure.value.errors["rules"])
    assert scoring_crm.plugins.settings("leadscoring")["rules"]["rules"][0]["label"] == "Has a phone"


def test_training_with_too_little_history_says_so_and_scores_fall_back_to_rules(scoring_crm, stored):
    lead = new_lead(scoring_crm, phone="+49 30 1234567")

    status = train_model(scoring_crm)

    assert status["status"] == "too_little_history"
    assert "too little history" in status["message"]
    assert stored(scoring_crm, lead.id).model_score is None


def history(crm, n: int = 160, seed: int = 3) -> None:
    """Former leads with a won or lost deal: software leads from fairs win far more often."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        software = bool(rng.random() < 0.5)
        fair = bool(rng.random() < 0.5)
        won = rng.random() < (0.8 if software and fair else 0.5 if software or fair else 0.1)
        customer = crm.services.customers.create({
            "name": f"H{i}", "lifecycle_stage": "lead", "industry": "Software" if software else "Retail",
            "source": "fair" if fair else "web", "custom_fields": {"employees": int(rng.integers(1, 500))}})
        crm.services.deals.create({"customer_id": customer.id, "title": "First order", "amount": "100",
                                   "status": "won" if won else "lost"})


def test_a_model_trained_on_won_and_lost_deals_ranks_better_than_chance(scoring_crm):
    history(scoring_crm)

    status = train_model(scoring_crm)

    assert status["status"] == "trained"
    assert status["kind"] == "logistic"
    assert status["n_leads"] == 160
    assert status["auc"] > 0.65


def test_the_model_is_blended_with_the_rules_and_explained(scoring_crm, stored):
    history(scoring_crm)
    train_model(scoring_crm)
    lead = new_lead(scoring_crm, industry="Software", source="fair")

    rescore_all(scoring_crm)

    score = stored(scoring_crm, lead.id)
    assert score.model_score is not None
    assert score.score == pytest.approx(0.5 * score.model_score + 0.5 * score.rule_score, abs=0.02)
    assert sum(points for _, points in score.explanation) == pytest.approx(score.score, abs=0.5)
    assert any(label.startswith("model: industry") or label.startswith("model: source")
               for label, _ in score.explanation)
