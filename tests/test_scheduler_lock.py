"""Schedulers started on several hosts: only the one holding the Redis lock enqueues the periodic jobs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_of_two_scheduler_processes_only_one_enqueues(crm, crm_settings):
    env = {**os.environ, "CRM_DATABASE_URL": crm_settings.database_url, "CRM_REDIS_URL": crm_settings.redis_url,
           "CRM_REDIS_PREFIX": crm_settings.redis_prefix, "PYTHONPATH": str(ROOT)}
    schedulers = [subprocess.Popen([sys.executable, "-m", "tests.scheduler_process"], env=env, cwd=ROOT)
                  for _ in range(2)]
    queue = crm.jobs.queue("low")

    def ticks() -> list:
        """The ticker's jobs (the core's own schedules go to the same queue)."""
        return [job for job in queue.jobs if job.args[0] == "tests.jobs_helpers:record_pid"]

    try:
        deadline = time.monotonic() + 60
        while len(ticks()) < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        markers = {job.args[3]["marker"] for job in ticks()}
    finally:
        for process in schedulers:
            process.terminate()
        for process in schedulers:
            process.wait(timeout=30)

    assert len(ticks()) >= 4
    assert len(markers) == 1
    assert markers <= {f"scheduler-{process.pid}" for process in schedulers}
