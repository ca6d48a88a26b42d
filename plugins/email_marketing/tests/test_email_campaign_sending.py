"""Campaigns sent by a real RQ worker to a real SMTP server on loopback."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from crm_email_marketing.models import Delivery, Suppression
from crm_email_marketing.sending import SEND_JOB, BatchSender, claim, send_for_a_while
from crm_email_marketing.services import CampaignService
from crm_email_marketing.settings import smtp_settings
from crm_email_marketing.smtp import SmtpSender
from sqlalchemy import event, func, select

from crmcore.errors import ValidationFailed
from crmcore.models import Touchpoint


@pytest.fixture
def campaigns(mail_crm):
    return CampaignService(mail_crm)


def statuses(crm, campaign_id):
    with crm.db.session() as session:
        rows = session.execute(select(Delivery.status, func.count()).where(Delivery.campaign_id == campaign_id)
                               .group_by(Delivery.status)).all()
    return {status.value: count for status, count in rows}


def test_the_audience_excludes_customers_without_consent_or_suppressed(mail_crm, add_customers, campaigns):
    add_customers(5)
    add_customers(3, consent=False, prefix="no-consent")
    with mail_crm.db.session() as session:
        session.add(Suppression(email="reader-0@example.org", reason="bounced"))

    assert campaigns.audience_count(["core:stage-customer"]) == 4


def test_every_recipient_gets_one_personalised_multipart_message(mail_crm, smtp_server, add_customers,
                                                                 make_campaign, campaigns, work_off):
    add_customers(12)
    campaign = make_campaign()

    campaigns.schedule(campaign.id)
    work_off(mail_crm)

    received = smtp_server.messages
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(f"reader-{n}@example.org" for n in range(12))
    message = next(m.message for m in received if m.rcpt_tos == ["reader-3@example.org"])
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "Offers for Reader 3"
    assert message["Reply-To"].addresses[0].addr_spec == "support@shop.example"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "mailto:" in message["List-Unsubscribe"]
    html = message.get_body(("html",)).get_content()
    assert "https://shop.example/sale" not in html  # rewritten to a tracked click link
    assert "http://crm.test/email/c/" in html and "http://crm.test/email/o/" in html
    assert len({m.message["Message-ID"] for m in received}) == 12
    assert statuses(mail_crm, campaign.id) == {"sent": 12}
    assert campaigns.get(campaign.id).status.value == "sent"


def test_a_send_job_keeps_several_connections_busy_and_each_recipient_gets_one_message(
        mail_crm, smtp_server, add_customers, make_campaign, campaigns, work_off):
    mail_crm.plugins.save_settings("email_marketing", {**mail_crm.plugins.settings("email_marketing"),
                                                       "batch_size": 5, "parallel_batches": 1,
                                                       "connections_per_job": 3})
    add_customers(60)
    campaign = make_campaign()

    campaigns.schedule(campaign.id)
    work_off(mail_crm)

    received = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    assert received == sorted(f"reader-{n}@example.org" for n in range(60))
    assert len({m.connection for m in smtp_server.messages}) > 1
    assert statuses(mail_crm, campaign.id) == {"sent": 60}


def test_a_send_job_out_of_time_hands_over_to_exactly_one_fresh_job(mail_crm, add_customers, make_campaign,
                                                                      campaigns):
    mail_crm.plugins.save_settings("email_marketing", {**mail_crm.plugins.settings("email_marketing"),
                                                       "connections_per_job": 3})
    add_customers(3)
    campaign = make_campaign()
    campaigns.schedule(campaign.id)
    campaigns.start(campaign.id)
    queue = mail_crm.jobs.queue()
    queued_before = [job.args[0] for job in queue.get_jobs()].count(SEND_JOB)

    counts = send_for_a_while(mail_crm, campaign.id, budget=0)

    assert counts["sent"] == 0
    assert [job.args[0] for job in queue.get_jobs()].count(SEND_JOB) == queued_before + 1


def test_persian_and_cyrillic_names_and_subjects_arrive_intact(mail_crm, smtp_server, add_customers,
                                                               make_campaign, campaigns, work_off):
    add_customers(2, names=["مریم احمدی", "Олена Коваленко"])
    campaign = make_campaign(subject="پیشنهاد ویژه / Спецпропозиція для {{ name }}")

    campaigns.schedule(campaign.id)
    work_off(mail_crm)

    by_to = {m.rcpt_tos[0]: m for m in smtp_server.messages}
    persian = by_to["reader-0@example.org"]
    assert persian.message["Subject"] == "پیشنهاد ویژه / Спецпропозиція для مریم احمدی"
    assert persian.message["To"].addresses[0].display_name == "مریم احمدی"
    assert persian.data.isascii()  # headers are RFC 2047 encoded, bodies quoted-printable
    assert by_to["reader-1@example.org"].message["To"].addresses[0].display_name == "Олена Коваленко"


def test_each_send_is_a_touchpoint_on_the_customer_timeline(mail_crm, add_customers, make_campaign,
                                                            campaigns, work_off):
    [customer_id] = add_customers(1)
    campaign = make_campaign()

    campaigns.schedule(campaign.id)
    work_off(mail_crm)

    with mail_crm.db.session() as session:
        touchpoint = session.scalars(select(Touchpoint).where(Touchpoint.customer_id == customer_id)).one()
    assert (touchpoint.channel.value, touchpoint.source, touchpoint.outcome) == ("email", "email_marketing", "sent")


def test_a_5xx_refusal_marks_the_address_bounced_and_suppressed(mail_crm, smtp_server, add_customers,
                                                                make_campaign, campaigns, work_off):
    add_customers(3)
    smtp_server.reject_recipient("reader-1@example.org", "550 5.1.1 No such user")
    campaign = make_campaign()

    campaigns.schedule(campaign.id)
    work_off(mail_crm)

    assert statuses(mail_crm, campaign.id) == {"sent": 2, "bounced": 1}
    with mail_crm.db.session() as session:
        assert session.get(Suppression, "reader-1@example.org").reason == "bounced"
    assert campaigns.audience_count(["core:stage-customer"]) == 2


def test_a_temporary_failure_is_retried_and_then_delivered(mail_crm, smtp_server, add_customers, make_campaign,
                                                           campaigns, work_off):
    from crm_email_marketing.sending import sweep

    mail_crm.plugins.save_settings("email_marketing", {"retry_base_seconds": 1})
    add_customers(2)
    smtp_server.reject_recipient("reader-0@example.org", "451 4.7.1 Greylisted, try again later")
    campaign = make_campaign()
    campaigns.schedule(campaign.id)
    work_off(mail_crm)
    assert statuses(mail_crm, campaign.id) == {"sent": 1, "queued": 1}

    smtp_server.clear_rejections()
    time.sleep(1.1)
    sweep(mail_crm)
    work_off(mail_crm)

    assert statuses(mail_crm, campaign.id) == {"sent": 2}
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["reader-0@example.org", "reader-1@example.org"]


def test_hook_consent_changed_mid_campaign_stops_that_recipients_message(mail_crm, smtp_server, add_customers,
                                                                         make_campaign, campaigns):
    add_customers(4)
    campaign = make_campaign()
    campaigns.schedule(campaign.id)
    campaigns.start(campaign.id)
    sender = BatchSender(mail_crm, campaign.id)
    with mail_crm.db.session() as session:
        token = claim(session, campaign.id, 2)
    with SmtpSender(smtp_settings(mail_crm)) as smtp:
        sender._send_batch(smtp, token)
    with mail_crm.db.session() as session:
        waiting = session.scalar(select(Delivery.customer_id).where(Delivery.status == "queued").limit(1))
        waiting_email = session.scalar(select(Delivery.email).where(Delivery.customer_id == waiting))

    mail_crm.services.customers.set_consent(waiting, False, "phone call")
    sender.run()

    received = [m.rcpt_tos[0] for m in smtp_server.messages]
    assert len(received) == 3
    assert waiting_email not in received
    assert statuses(mail_crm, campaign.id) == {"sent": 3, "cancelled": 1}


def test_a_worker_whose_picked_rows_another_claims_first_claims_the_next_ones(mail_crm, add_customers,
                                                                              make_campaign, campaigns):
    add_customers(4)
    campaign = make_campaign()
    campaigns.schedule(campaign.id)
    campaigns.start(campaign.id)
    other_worker: list[str | None] = []

    def claim_first(connection, cursor, statement, *args) -> None:  # noqa: ANN001
        if statement.startswith("UPDATE email_marketing_deliveries") and not other_worker:
            other_worker.append(None)
            with mail_crm.db.session() as other:
                other_worker[0] = claim(other, campaign.id, 2)

    event.listen(mail_crm.db.engine, "before_cursor_execute", claim_first)
    try:
        with mail_crm.db.session() as session:
            token = claim(session, campaign.id, 2)
    finally:
        event.remove(mail_crm.db.engine, "before_cursor_execute", claim_first)

    assert token is not None and other_worker[0] is not None and token != other_worker[0]
    with mail_crm.db.session() as session:
        claimed = dict(session.execute(select(Delivery.claim_token, func.count()).where(
            Delivery.campaign_id == campaign.id).group_by(Delivery.claim_token)).all())
    assert claimed == {token: 2, other_worker[0]: 2}


def test_a_message_that_cannot_be_built_fails_alone_and_the_rest_of_the_batch_is_sent(
        mail_crm, smtp_server, add_customers, make_campaign, campaigns, work_off):
    add_customers(5)
    campaign = make_campaign(html='<p>Hello {% if name == "Reader 2" %}{{ name.nickname }}{% endif %}{{ name }}</p>')

    campaigns.schedule(campaign.id)
    work_off(mail_crm)

    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        f"reader-{n}@example.org" for n in (0, 1, 3, 4)]
    assert statuses(mail_crm, campaign.id) == {"sent": 4, "failed": 1}
    with mail_crm.db.session() as session:
        error = session.scalar(select(Delivery.error).where(Delivery.status == "failed"))
    assert "nickname" in error


def test_a_campaign_with_a_broken_template_is_refused_naming_the_part(make_campaign):
    with pytest.raises(ValidationFailed) as error:
        make_campaign(html="<p>{{ name </p>")

    assert "html" in error.value.errors


def test_a_campaign_to_an_unknown_segment_is_refused(make_campaign):
    with pytest.raises(ValidationFailed) as error:
        make_campaign(segment_keys=["nobody:made-this"])

    assert list(error.value.errors) == ["segment_keys"]


def test_click_links_point_at_our_tracking_endpoint(mail_crm, smtp_server, add_customers, make_campaign,
                                                    campaigns, work_off):
    from crm_email_marketing import extract_links

    add_customers(1)
    campaigns.schedule(make_campaign().id)
    work_off(mail_crm)

    html = smtp_server.messages[0].message.get_body(("html",)).get_content()
    hosts = {urlsplit(link).netloc for link in extract_links(html)}
    assert hosts == {"crm.test"}


def test_a_paused_campaign_sends_nothing_until_resumed(mail_crm, smtp_server, add_customers, make_campaign,
                                                       campaigns, work_off):
    add_customers(3)
    campaign = make_campaign()
    campaigns.schedule(campaign.id)
    campaigns.start(campaign.id)
    campaigns.pause(campaign.id)

    work_off(mail_crm)
    assert smtp_server.messages == []

    campaigns.resume(campaign.id)
    work_off(mail_crm)
    assert len(smtp_server.messages) == 3


def test_a_cancelled_campaign_never_sends_what_is_left(mail_crm, smtp_server, add_customers, make_campaign,
                                                       campaigns, work_off):
    add_customers(3)
    campaign = make_campaign()
    campaigns.schedule(campaign.id)
    campaigns.start(campaign.id)

    campaigns.cancel(campaign.id)
    work_off(mail_crm)

    assert smtp_server.messages == []
    assert statuses(mail_crm, campaign.id) == {"cancelled": 3}


def test_sending_is_throttled_to_the_configured_rate(mail_crm, smtp_server, add_customers, make_campaign,
                                                     campaigns, work_off):
    add_customers(4)
    mail_crm.plugins.save_settings("email_marketing", {"max_per_minute": 300, "parallel_batches": 1})
    campaigns.schedule(make_campaign().id)

    started = time.monotonic()
    work_off(mail_crm)

    assert len(smtp_server.messages) == 4
    assert time.monotonic() - started >= 3 * 60 / 300


def test_scheduling_a_campaign_nobody_can_receive_is_refused(mail_crm, add_customers, make_campaign, campaigns):
    add_customers(2, consent=False)
    campaign = make_campaign()

    with pytest.raises(ValidationFailed) as error:
        campaigns.schedule(campaign.id)

    assert list(error.value.errors) == ["segment_keys"]
    assert campaigns.get(campaign.id).status.value == "draft"


def test_a_campaign_scheduled_for_later_waits_for_its_time(mail_crm, smtp_server, add_customers, make_campaign,
                                                           campaigns, work_off):
    from datetime import UTC, datetime, timedelta

    from crm_email_marketing.sending import sweep

    add_customers(2)
    campaign = make_campaign()
    campaigns.schedule(campaign.id, at=datetime.now(UTC) + timedelta(hours=1))
    sweep(mail_crm)
    work_off(mail_crm)
    assert smtp_server.messages == []

    sweep(mail_crm, now=datetime.now(UTC) + timedelta(hours=2))
    work_off(mail_crm)
    assert len(smtp_server.messages) == 2


def test_after_sending_every_pooled_connection_commits_durably_again(mail_crm, add_customers, make_campaign,
                                                                      campaigns, work_off):
    add_customers(3)
    campaigns.schedule(make_campaign().id)
    work_off(mail_crm)

    engine = mail_crm.db.engine
    pooled = [engine.connect() for _ in range(max(engine.pool.checkedin(), 1))]
    query = "SHOW synchronous_commit" if mail_crm.db.dialect == "postgresql" else "PRAGMA synchronous"
    settings = {str(connection.exec_driver_sql(query).scalar()) for connection in pooled}
    for connection in pooled:
        connection.close()
    assert settings == ({"on"} if mail_crm.db.dialect == "postgresql" else {"1"})


def test_a_delivery_is_found_by_the_time_it_was_sent(mail_crm, add_customers, make_campaign, campaigns, work_off):
    add_customers(2)
    campaigns.schedule(make_campaign().id)
    work_off(mail_crm)

    with mail_crm.db.session() as session:
        sent_at = session.scalar(select(Delivery.sent_at).order_by(Delivery.sent_at.desc()).limit(1))
        found = session.scalar(select(func.count()).where(Delivery.sent_at <= sent_at, Delivery.sent_at >= sent_at))
    assert found == 1
