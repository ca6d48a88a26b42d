"""A scheduler process for the scheduler-lock test: one plugin with a one-second schedule that names this process.

Run as ``python -m tests.scheduler_process`` with the CRM_* settings in the environment.
"""

from __future__ import annotations

import os
from typing import Any

from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule
from crmcore.jobs.worker import run_scheduler
from crmcore.plugins import Plugin
from crmcore.runtime import CRM


class TickerHooks:
    @hookimpl
    def schedules(self, crm: Any) -> list[Schedule]:
        return [Schedule(name="tick", func="tests.jobs_helpers:record_pid", interval=1,
                         kwargs={"marker": f"scheduler-{os.getpid()}"})]


ticker = Plugin(name="ticker", title="Ticker", version="1", description="Ticks every second.", hooks=TickerHooks())

if __name__ == "__main__":
    run_scheduler(CRM(plugins=[ticker]))
