from __future__ import annotations

import pytest

from crmcore.webhooks import service
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def quick_retries(monkeypatch):
    """Retry at once instead of after minutes, so one burst of the worker sees every attempt."""
    monkeypatch.setattr(service, "BACKOFF_SECONDS", [0, 0])
