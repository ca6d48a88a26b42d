"""Campaign sending throughput: N recipients through a local aiosmtpd sink with two `crm worker` processes,
against a plain smtplib loop sending the same prepared messages over one connection in the same run.

Two figures: the sink offering PIPELINING (RFC 2920) in its EHLO reply, as Postfix, Exim and the big mail
services do, so the workers write each envelope at once; and the sink not offering it, one command at a time
as the smtplib loop always goes.

The campaign figure covers everything a real send does per message: claiming batches, merge fields,
rendering in the sandbox, writing the MIME message with tracking, SMTP, and committing each delivery (the
touchpoints follow from a low-priority job). It is timed from the campaign's start (deliveries created) to its
last message; the worker processes' interpreter start-up is not part of it.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from sqlalchemy import func, insert, select

from bench import BenchmarkError, figure
from bench.generate import scratch_database
from crmcore.config import REPO_ROOT, load_settings

RECIPIENTS = {"pg-1m": 100_000, "sqlite-100k": 100_000, "small": 2_000}
WORKERS = 2


_SINK = """
import socket, sys
from aiosmtpd.controller import Controller

class Discard:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [responses[0], "250-PIPELINING", *responses[1:]] if sys.argv[1] == "pipelining" else responses

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"

probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
controller = Controller(Discard(), hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
sys.stdin.read()
"""


@contextmanager
def _smtp_sink(pipelining: bool) -> Any:
    """An aiosmtpd server in its own process that accepts and discards every message; yields its port."""
    process = subprocess.Popen([sys.executable, "-c", _SINK, "pipelining" if pipelining else "plain"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield int(process.stdout.readline())
    finally:
        process.stdin.close()
        process.terminate()
        process.wait(timeout=10)


def _prepare(crm: Any, recipients: int) -> None:
    from crmcore.migrations.runner import upgrade_core
    from crmcore.models import Customer

    upgrade_core(crm)
    crm.services.pipelines.ensure_default()
    crm.plugins.enable("email_marketing")
    crm.plugins.save_settings("email_marketing", {"batch_size": 200, "parallel_batches": WORKERS})
    with crm.db.session() as session:
        for start in range(0, recipients, 10_000):
            session.execute(insert(Customer), [
                {"name": f"Reader {n}", "email": f"reader-{n}@example.org", "marketing_consent": True,
                 "lifecycle_stage": "CUSTOMER", "kind": "person", "services": [], "custom_fields": {}, "version": 1}
                for n in range(start, min(start + 10_000, recipients))])


def _campaign_rate(crm: Any, env: dict[str, str], recipients: int) -> tuple[float, int]:
    from crm_email_marketing.models import Campaign, Delivery, DeliveryStatus
    from crm_email_marketing.services import CampaignService

    service = CampaignService(crm)
    campaign = service.create({
        "name": "Benchmark", "from_email": "news@shop.example", "from_name": "Shop",
        "subject": "Offers for {{ name }}", "segment_keys": ["core:stage-customer"],
        "html": '<p>Hello {{ name }} from {{ city | default("your city") }}</p>'
                '<p><a href="https://shop.example/sale">Sale</a> <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    })
    service.schedule(campaign.id)
    # Not --burst: a worker in burst mode leaves as soon as it finds the queues empty, which can happen while the
    # other one is still creating the deliveries, and then one worker sends the whole campaign.
    workers = [subprocess.Popen([sys.executable, "-m", "crmcore.cli", "worker"], env=env, cwd=REPO_ROOT)
               for _ in range(WORKERS)]
    try:
        _wait_until_sent(crm, campaign.id, workers)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    with crm.db.session() as session:
        started = session.scalar(select(Campaign.started_at).where(Campaign.id == campaign.id))
        last, sent = session.execute(select(func.max(Delivery.sent_at), func.count())
                                     .where(Delivery.campaign_id == campaign.id,
                                            Delivery.status == DeliveryStatus.SENT.value)).one()
    if sent != recipients:
        raise BenchmarkError(f"the campaign sent {sent} of {recipients} messages")
    started, last = (value if value.tzinfo else value.replace(tzinfo=UTC) for value in (started, last))
    return sent / (last - started).total_seconds(), campaign.id


def _wait_until_sent(crm: Any, campaign_id: int, workers: list[subprocess.Popen], timeout: float = 3600) -> None:
    from crm_email_marketing.models import Campaign, CampaignStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with crm.db.session() as session:
            if session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) is CampaignStatus.SENT:
                return
        if any(worker.poll() is not None for worker in workers):
            raise BenchmarkError("a worker failed")
        time.sleep(0.2)
    raise BenchmarkError(f"the campaign was not sent within {timeout:.0f} s")


def _baseline_rate(crm: Any, campaign_id: int, port: int) -> float:
    """Build every message of the campaign (not timed), then send them with a bare smtplib loop (timed)."""
    from crm_email_marketing.message import MessageBuilder
    from crm_email_marketing.models import Campaign, Delivery
    from crm_email_marketing.rendering import EmailTemplate, TemplateRenderer
    from crm_email_marketing.settings import message_settings, tracking_tokens

    with crm.db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        rows = session.execute(select(Delivery.id, Delivery.customer_id, Delivery.email)
                               .where(Delivery.campaign_id == campaign_id).order_by(Delivery.id)).all()
    builder = MessageBuilder(message_settings(crm, from_email=campaign.from_email, from_name=campaign.from_name),
                             tracking_tokens(crm))
    compiled = TemplateRenderer().compile(EmailTemplate(subject=campaign.subject, html=campaign.html))
    prepared = []
    for row in rows:
        fields = {"name": f"Reader {row.customer_id}", "customer_id": row.customer_id}
        content = compiled.render({**fields, "customer": fields, **builder.system_fields(row.id)})
        message = builder.prepare(delivery_id=row.id, to_email=row.email, content=content,
                                  campaign_links=campaign.links)
        prepared.append((row.email, message.data))
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for to_email, data in prepared:
            connection.sendmail(campaign.from_email, [to_email], data)
    return len(prepared) / (time.perf_counter() - started)


def run(profile: str) -> list[dict[str, Any]]:
    from crmcore.runtime import CRM

    if profile not in RECIPIENTS:
        raise BenchmarkError(f"unknown profile {profile!r}")
    recipients = RECIPIENTS[profile]
    prefix = f"crmbenchmail{uuid.uuid4().hex[:8]}"
    redis_url = os.environ.get("CRM_REDIS_URL") or "redis://127.0.0.1:6379/0"
    baseline_name = "plain smtplib loop over one connection sending the same prepared messages"
    figures = []
    with scratch_database(profile, "campaign") as url:
        settings = load_settings().with_overrides(
            database_url=url, redis_url=redis_url, redis_prefix=prefix, plugin_state_check_interval=0.0,
            mail_from="news@shop.example", public_url="http://crm.bench")
        crm = CRM(settings)
        if not crm.jobs.ping():
            raise BenchmarkError(f"Redis is not reachable at {redis_url}")
        try:
            _prepare(crm, recipients)
            for pipelining in (True, False):
                with _smtp_sink(pipelining) as port:
                    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_REDIS_URL": redis_url,
                           "CRM_REDIS_PREFIX": prefix, "CRM_SMTP_HOST": "127.0.0.1", "CRM_SMTP_PORT": str(port),
                           "CRM_MAIL_FROM": "news@shop.example", "CRM_PUBLIC_URL": "http://crm.bench",
                           "CRM_SECRET_KEY": settings.secret_key, "PYTHONPATH": str(REPO_ROOT)}
                    rate, campaign_id = _campaign_rate(crm, env, recipients)
                    baseline = _baseline_rate(crm, campaign_id, port)
                name = "campaign_send_rate" + ("" if pipelining else "_without_pipelining")
                figures.append(figure(name, rate, "messages/s", baseline_name, baseline, recipients=recipients,
                                      workers=WORKERS, sink="offers PIPELINING" if pipelining else
                                      "one command at a time"))
        finally:
            from crmcore.testing.redis import purge

            purge(crm.jobs.connection, prefix)
            crm.close()
    return figures
