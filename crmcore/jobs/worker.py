from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from rq import Worker
from rq.cron import CronScheduler

from crmcore.jobs import runner

if TYPE_CHECKING:
    from crmcore.runtime import CRM

log = logging.getLogger(__name__)
LOCK_SECONDS = 60


def run_worker(crm: CRM, burst: bool = False, name: str | None = None) -> bool:
    """Work the configured queues in priority order. Several workers on several hosts share them safely."""
    runner.set_current(crm)
    worker = Worker(crm.jobs.all_queues(), connection=crm.jobs.connection, name=name)
    return worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")


def build_scheduler(crm: CRM) -> CronScheduler:
    scheduler = CronScheduler(connection=crm.jobs.connection, logging_level="WARNING")
    for plugin_name, schedule in crm.plugins.contributions("schedules", crm=crm):
        scheduler.register(
            runner.run,
            queue_name=crm.jobs.queue_name(schedule.queue),
            args=(schedule.func, plugin_name, (), schedule.kwargs),
            cron=schedule.cron,
            interval=schedule.interval,
            name=f"{plugin_name}:{schedule.name}",
        )
    return scheduler


def run_scheduler(crm: CRM, stop: threading.Event | None = None) -> None:
    """Enqueue periodic jobs. Only the holder of a Redis lock schedules, so starting one per host is safe."""
    connection = crm.jobs.connection
    lock = connection.lock(f"{crm.settings.redis_prefix}:scheduler", timeout=LOCK_SECONDS)
    stop = stop or threading.Event()
    while not stop.is_set():
        if lock.acquire(blocking=False):
            break
        stop.wait(LOCK_SECONDS / 3)
    else:
        return
    scheduler = build_scheduler(crm)
    try:
        while not stop.is_set():
            scheduler.enqueue_jobs()
            lock.extend(LOCK_SECONDS, replace_ttl=True)
            stop.wait(min(max(scheduler.calculate_sleep_interval(), 1.0), LOCK_SECONDS / 3))
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - the lock may have expired already; nothing to undo
            log.debug("scheduler lock already released")
        time.sleep(0)
