"""Background jobs on a real Redis: queued by the web or the CLI, run by RQ workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import SimpleWorker

from crmcore.jobs.queue import JobsUnavailable
from crmcore.jobs.worker import build_scheduler
from crmcore.testing.jobs import work_off
from tests.sample_plugins import recorder as sample

ROOT = Path(__file__).resolve().parents[1]



def test_a_queued_job_runs_with_the_crm_and_its_services(crm):
    crm.services.customers.create({"name": "Acme"})

    job = crm.jobs.enqueue("tests.jobs_helpers:rename_first_customer", "Acme Renamed")
    work_off(crm)

    assert job.refresh() or job.get_status() == "finished"
    assert job.return_value() == "Acme Renamed"


def test_a_job_of_a_plugin_disabled_after_queueing_is_skipped(crm_factory, calls):
    crm = crm_factory(plugins=[sample.recorder, sample.dependent], enabled=["recorder"])
    job = crm.jobs.enqueue("tests.sample_plugins.recorder:tick", plugin="recorder")
    crm.plugins.disable("recorder")

    work_off(crm)

    assert job.return_value() == {"skipped": "plugin recorder is disabled"}
    assert ("tick", {}) not in calls


def test_with_redis_down_queueing_says_so_and_queues_nothing(crm_factory):
    crm = crm_factory(redis_url="redis://127.0.0.1:1/0")

    with pytest.raises(JobsUnavailable, match="cannot be reached; nothing was queued"):
        crm.jobs.enqueue("tests.jobs_helpers:rename_first_customer", "x")


def test_hook_schedules_registers_periodic_jobs_of_installed_plugins(crm_factory):
    crm = crm_factory(plugins=[sample.recorder, sample.dependent], enabled=["recorder"])

    scheduler = build_scheduler(crm)

    jobs = {job.name: job for job in scheduler.get_jobs() if not job.name.startswith("core:")}
    assert list(jobs) == ["recorder:tick"]
    assert jobs["recorder:tick"].interval == 60


def test_two_worker_processes_share_the_queues_and_run_each_job_once(crm, crm_settings):
    jobs = [crm.jobs.enqueue("tests.jobs_helpers:record_pid", f"job{i}") for i in range(40)]
    env = {**os.environ, "CRM_DATABASE_URL": crm_settings.database_url, "CRM_REDIS_URL": crm_settings.redis_url,
           "CRM_REDIS_PREFIX": crm_settings.redis_prefix, "CRM_ENV": "test", "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, "-m", "crmcore.cli", "worker", "--burst"], env=env, cwd=ROOT)
               for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0

    ran = [entry.decode() for entry in crm.jobs.connection.lrange(f"{crm_settings.redis_prefix}:ran", 0, -1)]
    markers = sorted(entry.split(":")[0] for entry in ran)
    assert markers == sorted(f"job{i}" for i in range(40))
    assert all(job.get_status(refresh=True) == "finished" for job in jobs)
    assert len({entry.split(":")[1] for entry in ran}) >= 1
    crm.jobs.connection.delete(f"{crm_settings.redis_prefix}:ran")


def test_the_embedded_redis_serves_rq(tmp_path):
    import redis
    from rq import Queue

    from crmcore.jobs.embedded import EmbeddedRedis

    embedded = EmbeddedRedis(tmp_path / "redis.db")
    try:
        connection = redis.Redis.from_url(embedded.url)
        queue = Queue("embedded-check", connection=connection)
        job = queue.enqueue("builtins.len", "four")
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert job.return_value() == 4
    finally:
        embedded.shutdown()
    time.sleep(0.1)
    assert not Path(embedded.socket_path).exists()
