"""What the lead scoring tests share: running the queued jobs once this process's marks have reached Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def work_off(work_off: Callable[[Any], None]) -> Callable[[Any], None]:
    """crmcore's ``work_off(crm)``, after the marks the hooks handed to this process's outbox are written."""
    from crm_leadscoring.pending import flush

    def run(crm: Any) -> None:
        flush()
        work_off(crm)

    return run
