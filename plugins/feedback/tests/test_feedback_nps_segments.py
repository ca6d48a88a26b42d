"""NPS surveys by email, answered on a signed link, and the segments built from feedback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from crm_feedback.models import Survey
from crm_feedback.services import FeedbackService
from sqlalchemy import select

from crmcore.errors import Refused, ValidationFailed
from crmcore.web import create_app


def segment(crm, key: str) -> list[int]:
    with crm.db.session() as session:
        return sorted(session.scalars(crm.segments.customer_ids(key)).all())


@pytest.fixture
def mailing_crm(crm_factory):
    return crm_factory(enabled=["email_marketing", "feedback"])


def test_without_email_marketing_no_survey_is_sent_and_the_result_says_so(feedback, make_customer):
    result = feedback.send_nps([make_customer(email="a@example.com").id])

    assert (result.sent, result.not_sent, result.email_enabled) == (0, 1, False)


def test_surveys_go_out_through_email_marketing(mailing_crm):
    customer = mailing_crm.services.customers.create({"name": "Reza", "email": "reza@example.com"})

    result = FeedbackService(mailing_crm).send_nps([customer.id])

    assert (result.sent, result.not_sent, result.email_enabled) == (1, 0, True)


def test_a_survey_is_answered_once_on_its_signed_public_link(mailing_crm):
    customer = mailing_crm.services.customers.create({"name": "Reza", "email": "reza@example.com"})
    service = FeedbackService(mailing_crm)
    service.send_nps([customer.id])

    with mailing_crm.db.session() as session:
        survey_id = session.scalar(select(Survey.id))
    app = create_app(mailing_crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    link = f"/feedback/nps/{service.survey_token(survey_id)}"

    assert client.get(link + "?score=9").status_code == 200
    assert client.post(link, data={"score": "9", "comment": "Good"}).status_code == 200
    assert client.post(link, data={"score": "3"}).status_code == 409
    assert client.get("/feedback/nps/forged-token").status_code == 404
    assert segment(mailing_crm, "feedback:promoters") == [customer.id]


def test_a_score_outside_0_to_10_is_refused_naming_the_field(mailing_crm):
    customer = mailing_crm.services.customers.create({"name": "Reza", "email": "reza@example.com"})
    service = FeedbackService(mailing_crm)
    service.send_nps([customer.id])

    with mailing_crm.db.session() as session:
        survey_id = session.scalar(select(Survey.id))

    with pytest.raises(ValidationFailed) as failure:
        service.answer(survey_id, 11)
    assert "score" in failure.value.errors
    service.answer(survey_id, 2)
    with pytest.raises(Refused):
        service.answer(survey_id, 10)


def test_promoters_and_detractors_follow_each_customers_latest_answer(mailing_crm):
    service = FeedbackService(mailing_crm)
    changed_mind, detractor = (mailing_crm.services.customers.create({"name": n, "email": f"{n}@example.com"})
                               for n in ("first", "second"))
    service.send_nps([changed_mind.id, detractor.id, changed_mind.id])

    with mailing_crm.db.session() as session:
        first, second, third = session.scalars(select(Survey.id).order_by(Survey.id)).all()
    service.answer(first, 3)
    service.answer(second, 6)
    service.answer(third, 10)

    assert segment(mailing_crm, "feedback:promoters") == [changed_mind.id]
    assert segment(mailing_crm, "feedback:detractors") == [detractor.id]


def test_complains_but_buys_are_customers_who_bought_after_a_recent_complaint(feedback_crm, feedback, make_customer,
                                                                              won):
    loyal, gone, old = make_customer("Loyal"), make_customer("Gone"), make_customer("Old")
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    for customer in (loyal, gone):
        feedback.record({"customer_id": customer.id, "kind": "complaint", "text": "late",
                         "created_at": ten_days_ago.isoformat()})
    feedback.record({"customer_id": old.id, "kind": "complaint", "text": "late",
                     "created_at": (ten_days_ago - timedelta(days=100)).isoformat()})
    won(loyal, "100", closed_on=date.today())
    won(gone, "100", closed_on=date.today() - timedelta(days=20))  # bought before complaining
    won(old, "100", closed_on=date.today())

    assert segment(feedback_crm, "feedback:complains-but-buys") == [loyal.id]
