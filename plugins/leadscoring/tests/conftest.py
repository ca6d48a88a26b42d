"""What the lead scoring tests share: running the queued jobs as a worker would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def work_off() -> Callable[[Any], None]:
    """``work_off(crm)`` runs every queued job in this process, as a worker would, until none is left."""
    from rq import SimpleWorker

    from crmcore.jobs import runner

    def run(crm: Any) -> None:
        runner.set_current(crm)
        try:
            SimpleWorker(crm.jobs.all_queues(), connection=crm.jobs.connection).work(burst=True)
        finally:
            runner.set_current(None)

    return run
