"""The configured sending rate holds for the whole installation, however many senders run at once."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC

import redis
from crm_email_marketing.models import Delivery
from crm_email_marketing.sending import BatchSender
from crm_email_marketing.services import CampaignService
from crm_email_marketing.throttle import SendRate
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import select

PER_MINUTE = 600  # ten a second


def send_times(crm) -> list[float]:
    with crm.db.session() as session:
        stamps = session.scalars(select(Delivery.sent_at).where(Delivery.sent_at.is_not(None))).all()
    return sorted((s if s.tzinfo else s.replace(tzinfo=UTC)).timestamp() for s in stamps)


def most_in_one_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_two_senders_at_once_share_one_rate_limit(mail_crm, crm_factory, smtp_server, add_customers, make_campaign):
    add_customers(12)
    mail_crm.plugins.save_settings("email_marketing", {"max_per_minute": PER_MINUTE, "parallel_batches": 1,
                                                       "batch_size": 4})
    other_worker = crm_factory(smtp_host=smtp_server.host, smtp_port=smtp_server.port, mail_from="news@shop.example")
    campaigns = [make_campaign(name=f"Campaign {n}") for n in (1, 2)]
    for campaign in campaigns:
        CampaignService(mail_crm).schedule(campaign.id)
        CampaignService(mail_crm).start(campaign.id)
    senders = [BatchSender(crm, campaign.id) for crm, campaign in zip((mail_crm, other_worker), campaigns, strict=True)]
    threads = [threading.Thread(target=sender.run) for sender in senders]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    times = send_times(mail_crm)
    assert len(smtp_server.messages) == len(times) == 24
    assert all(sender.counts["sent"] == 12 for sender in senders)
    # Each sender alone would be allowed ten a second; together they still get ten a second, not twenty.
    assert times[-1] - times[0] >= 23 / 10 * 0.8
    assert most_in_one_second(times) <= 10 + 2


def test_without_redis_a_sender_paces_itself_alone():
    unreachable = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    rate = SendRate(unreachable, f"crmtest{uuid.uuid4().hex}:send-rate", PER_MINUTE)

    started = time.monotonic()
    for _ in range(4):
        rate.wait()

    assert time.monotonic() - started >= 3 / 10 * 0.9
