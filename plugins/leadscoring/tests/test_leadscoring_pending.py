"""Scores follow changes in the background: an event marks the lead, a queued job rescores the marked leads."""

from __future__ import annotations

import threading

import pytest
from crm_leadscoring import pending
from crm_leadscoring.models import LeadScore
from crm_leadscoring.outbox import Outbox
from crm_leadscoring.pending import flush, rescore_pending, waiting
from crm_leadscoring.services import call_next, save_rules

from crmcore.importing import run_import

RULES = {
    "base": 10,
    "rules": [
        {"type": "field", "label": "Has a phone", "field": "has_phone", "op": "eq", "value": True, "points": 20},
        {"type": "engagement", "label": "Calls", "points": 30, "channels": ["phone"], "within_days": 90,
         "half_life_days": 0, "max_points": 60},
    ],
}


@pytest.fixture
def scoring_crm(crm_factory, work_off):
    crm = crm_factory(enabled=["leadscoring"])
    save_rules(crm, RULES)
    work_off(crm)  # nothing left over from earlier tests
    return crm


def score_of(crm, customer_id: int) -> float | None:
    with crm.db.session() as session:
        row = session.get(LeadScore, customer_id)
        return None if row is None else row.score


def new_lead(crm, **fields):
    return crm.services.customers.create({"name": fields.pop("name", "Lead"), "lifecycle_stage": "lead", **fields})


def test_creating_a_lead_marks_it_and_the_queued_job_scores_it(scoring_crm, work_off):
    lead = new_lead(scoring_crm, phone="+49 30 1234567")

    assert score_of(scoring_crm, lead.id) is None
    assert waiting(scoring_crm) == 1

    work_off(scoring_crm)

    assert score_of(scoring_crm, lead.id) == pytest.approx(30)
    assert waiting(scoring_crm) == 0


def test_the_request_hands_the_mark_over_and_does_not_wait_for_redis(scoring_crm, monkeypatch):
    redis_written = threading.Event()
    release = threading.Event()

    def slow_write(crm, customer_ids):
        release.wait(10)
        pending.write(crm, customer_ids)
        redis_written.set()

    monkeypatch.setattr(pending, "_outbox", Outbox(slow_write, retry_seconds=0.01))

    lead = new_lead(scoring_crm)

    assert not redis_written.is_set()
    assert pending._outbox.held() in ({scoring_crm: [lead.id]}, {})  # held, or taken by the writing thread
    release.set()
    assert redis_written.wait(10)
    assert waiting(scoring_crm) == 1


def test_a_job_writes_its_marks_before_it_ends(scoring_crm, monkeypatch, work_off):
    lead = new_lead(scoring_crm)
    work_off(scoring_crm)
    sequence = pending._keys(scoring_crm)[1]
    marks_before = int(scoring_crm.jobs.connection.get(sequence))
    handed_over = []
    monkeypatch.setattr(pending._outbox, "add", lambda crm, ids: handed_over.append(ids))

    scoring_crm.jobs.enqueue("crm_leadscoring.pending:mark", [lead.id], plugin="leadscoring")
    work_off(scoring_crm)

    assert handed_over == []
    assert int(scoring_crm.jobs.connection.get(sequence)) == marks_before + 1


def test_a_burst_of_changes_queues_one_job(scoring_crm):
    for i in range(5):
        new_lead(scoring_crm, name=f"L{i}")

    assert waiting(scoring_crm) == 5
    assert scoring_crm.jobs.queue("default").count == 1


def test_after_the_job_the_call_next_list_shows_the_change(scoring_crm, work_off):
    first, second = new_lead(scoring_crm, name="First", phone="+49 30 1234567"), new_lead(scoring_crm, name="Second")
    work_off(scoring_crm)
    scoring_crm.services.touchpoints.record({"customer_id": second.id, "channel": "phone", "subject": "Call"})

    with scoring_crm.db.session() as session:
        assert [name for _, name in call_next(session)] == ["First", "Second"]
    work_off(scoring_crm)

    with scoring_crm.db.session() as session:
        assert [name for _, name in call_next(session)] == ["Second", "First"]
    assert score_of(scoring_crm, first.id) == pytest.approx(30)
    assert score_of(scoring_crm, second.id) == pytest.approx(40)


def test_the_job_drops_the_score_of_a_lead_that_became_a_customer(scoring_crm, work_off):
    lead = new_lead(scoring_crm)
    work_off(scoring_crm)

    scoring_crm.services.customers.update(lead.id, {"lifecycle_stage": "customer"})
    work_off(scoring_crm)

    assert score_of(scoring_crm, lead.id) is None


def test_the_job_rescores_in_batches_until_every_mark_is_done(scoring_crm):
    leads = [new_lead(scoring_crm, name=f"L{i}") for i in range(7)]

    result = rescore_pending(scoring_crm, batch=3)

    assert result == {"checked": 7, "scored": 7}
    assert all(score_of(scoring_crm, lead.id) == pytest.approx(10) for lead in leads)
    assert waiting(scoring_crm) == 0


def test_calls_count_for_leads_marked_far_apart(scoring_crm, work_off):
    first = new_lead(scoring_crm, name="First")
    for i in range(10):
        scoring_crm.services.customers.create({"name": f"Buyer {i}", "lifecycle_stage": "customer"})
    last = new_lead(scoring_crm, name="Last")
    work_off(scoring_crm)

    for lead in (first, last):
        scoring_crm.services.touchpoints.record({"customer_id": lead.id, "channel": "phone", "subject": "Call"})
    work_off(scoring_crm)

    assert (score_of(scoring_crm, first.id), score_of(scoring_crm, last.id)) == (40, 40)


def test_imported_leads_wait_for_one_queued_job_that_scores_them(scoring_crm, work_off, tmp_path):
    source = tmp_path / "leads.csv"
    source.write_text("name,phone,lifecycle_stage\n" + "".join(f"Lead {i},+49 30 123456{i},lead\n" for i in range(4)),
                      encoding="utf-8")

    report = run_import(scoring_crm, "customers", source)

    assert report.created == 4
    assert waiting(scoring_crm) == 4
    assert scoring_crm.jobs.queue("default").count == 1
    work_off(scoring_crm)
    with scoring_crm.db.session() as session:
        assert sorted(row.score for row, _ in call_next(session)) == [30, 30, 30, 30]


def test_with_redis_unreachable_the_lead_is_scored_at_once(crm_factory):
    crm = crm_factory(enabled=["leadscoring"], redis_url="redis://127.0.0.1:1/0")

    first = new_lead(crm, phone="+49 30 1234567")
    assert flush()  # the outbox's thread found Redis down and scored the lead itself
    second = new_lead(crm, phone="+49 30 7654321")  # Redis is known to be down: scored inside the request

    assert score_of(crm, first.id) == score_of(crm, second.id) == pytest.approx(20)  # base 10, a phone 10


def test_with_no_redis_configured_the_lead_is_scored_inside_the_request(crm_factory):
    crm = crm_factory(enabled=["leadscoring"], redis_url="")

    lead = new_lead(crm, phone="+49 30 1234567")

    assert score_of(crm, lead.id) == pytest.approx(20)
