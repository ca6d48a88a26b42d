"""Running queued jobs inside a test, as a worker would."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rq import SimpleWorker

from crmcore.jobs import runner

if TYPE_CHECKING:
    from crmcore.runtime import CRM


def work_off(crm: CRM) -> None:
    """Run every queued job of ``crm``'s queues with a real RQ worker in this process, until none is left."""
    runner.set_current(crm)
    try:
        SimpleWorker(crm.jobs.all_queues(), connection=crm.jobs.connection).work(burst=True)
    finally:
        runner.set_current(None)
