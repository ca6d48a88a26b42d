"""Nothing lost, nothing sent twice: Redis down at scheduling, a worker killed mid-batch."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from crm_email_marketing.sending import sweep
from crm_email_marketing.services import CampaignService

from crmcore.jobs.queue import JobsUnavailable

ROOT = Path(__file__).resolve().parents[3]


def test_with_redis_down_scheduling_says_so_and_the_sweep_sends_when_it_is_back(
        crm_factory, smtp_server, add_customers, make_campaign, mail_crm, work_off):
    add_customers(3)
    campaign = make_campaign()
    offline = crm_factory(redis_url="redis://127.0.0.1:1/0", smtp_host=smtp_server.host, smtp_port=smtp_server.port)

    with pytest.raises(JobsUnavailable, match="saved as scheduled"):
        CampaignService(offline).schedule(campaign.id)

    assert CampaignService(mail_crm).get(campaign.id).status.value == "scheduled"
    sweep(mail_crm)
    work_off(mail_crm)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [f"reader-{n}@example.org" for n in range(3)]


class SlowDelivery:
    """Makes the loopback server take ``delay`` seconds per message, and hold message number ``hold_at`` in
    RCPT (before the server owns it) for ``hold`` seconds while telling the test it got there."""

    def __init__(self, server, delay: float, hold_at: int, hold: float = 10.0) -> None:
        self.reached = threading.Event()
        self.count = 0
        original = server.handler.handle_RCPT

        async def slow_rcpt(*args, **kwargs):
            self.count += 1
            if self.count == hold_at:
                self.reached.set()
                await asyncio.sleep(hold)
            await asyncio.sleep(delay)
            return await original(*args, **kwargs)

        server.handler.handle_RCPT = slow_rcpt


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (an RQ worker runs each job in a forked work horse in its own session)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += process_tree(int(child))
    return found


def kill_with_children(pid: int) -> None:
    for member in process_tree(pid):
        os.kill(member, signal.SIGKILL)


def worker_env(crm_settings, smtp_server):
    return {**os.environ, "CRM_DATABASE_URL": crm_settings.database_url, "CRM_REDIS_URL": crm_settings.redis_url,
            "CRM_REDIS_PREFIX": crm_settings.redis_prefix, "CRM_ENV": "test", "CRM_SECRET_KEY": crm_settings.secret_key,
            "CRM_PUBLIC_URL": crm_settings.public_url, "CRM_SMTP_HOST": smtp_server.host,
            "CRM_SMTP_PORT": str(smtp_server.port), "CRM_MAIL_FROM": "news@shop.example", "PYTHONPATH": str(ROOT)}


def test_a_worker_killed_mid_batch_still_leaves_every_recipient_with_exactly_one_message(
        mail_crm, crm_settings, smtp_server, add_customers, make_campaign):
    add_customers(30)
    mail_crm.plugins.save_settings("email_marketing", {"batch_size": 20, "parallel_batches": 1,
                                                       "connections_per_job": 1, "claim_timeout_seconds": 1,
                                                       "retry_base_seconds": 0})
    slow = SlowDelivery(smtp_server, delay=0.02, hold_at=8)
    campaign = make_campaign()
    CampaignService(mail_crm).schedule(campaign.id)
    env = worker_env(crm_settings, smtp_server)

    worker = subprocess.Popen([sys.executable, "-m", "crmcore.cli", "worker", "--burst"], env=env, cwd=ROOT)
    assert slow.reached.wait(timeout=60)
    kill_with_children(worker.pid)
    worker.wait(timeout=10)
    delivered_before_kill = len(smtp_server.messages)
    time.sleep(1.5)  # past the claim timeout: the dead worker's rows are stale
    sweep(mail_crm)
    second = subprocess.run([sys.executable, "-m", "crmcore.cli", "worker", "--burst"], env=env, cwd=ROOT,
                            timeout=120, check=False)

    assert delivered_before_kill == 7
    assert second.returncode == 0
    per_recipient = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert per_recipient == Counter({f"reader-{n}@example.org": 1 for n in range(30)})
    assert CampaignService(mail_crm).get(campaign.id).status.value == "sent"
