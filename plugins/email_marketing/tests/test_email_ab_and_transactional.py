"""A/B subjects decided on a sample; transactional email for other plugins."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from crm_email_marketing.models import Delivery
from crm_email_marketing.sending import sweep
from crm_email_marketing.services import CampaignService
from sqlalchemy import select, update

from crmcore.db import utcnow


def test_an_ab_test_sends_both_subjects_to_a_sample_then_the_winner_to_the_rest(
        mail_crm, smtp_server, add_customers, make_campaign, work_off):
    add_customers(40)
    campaign = make_campaign(subject="A: offers", subject_b="B: offers", ab_sample_percent=50, ab_metric="opens")
    service = CampaignService(mail_crm)
    service.schedule(campaign.id)
    work_off(mail_crm)
    sample = Counter(m.message["Subject"] for m in smtp_server.messages)
    assert set(sample) == {"A: offers", "B: offers"}
    assert service.get(campaign.id).status.value == "testing"
    with mail_crm.db.session() as session:
        session.execute(update(Delivery).where(Delivery.variant == "b").values(opened_at=utcnow()))

    sweep(mail_crm, now=utcnow() + timedelta(minutes=campaign.ab_wait_minutes + 1))
    work_off(mail_crm)

    received = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert received == Counter({f"reader-{n}@example.org": 1 for n in range(40)})
    rest = Counter(m.message["Subject"] for m in smtp_server.messages) - sample
    assert set(rest) == {"B: offers"}
    assert service.get(campaign.id).ab_winner == "b"
    assert service.get(campaign.id).status.value == "sent"


def test_hook_send_transactional_email_queues_and_sends_with_unsubscribe_headers(mail_crm, smtp_server, add_customers,
                                                                           work_off):
    [customer_id] = add_customers(1, consent=False)

    queued = mail_crm.hook.send_transactional_email(crm=mail_crm, customer_id=customer_id, subject="How did we do?",
                                                    html="<p>Rate us 0-10</p>", text="Rate us 0-10", kind="nps")
    work_off(mail_crm)

    assert queued is True
    [received] = smtp_server.messages
    assert received.message["Subject"] == "How did we do?"
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with mail_crm.db.session() as session:
        assert session.scalar(select(Delivery.kind)) == "nps"


def test_hook_send_transactional_email_answers_none_without_an_address(mail_crm):
    customer = mail_crm.services.customers.create({"name": "No address"})

    answer = mail_crm.hook.send_transactional_email(crm=mail_crm, customer_id=customer.id, subject="Hi",
                                                    html="<p>Hi</p>", text="Hi", kind="notice")

    assert answer is None
