from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.sample_plugins import recorder as recorder_module


@pytest.fixture
def calls() -> list[tuple[str, dict[str, Any]]]:
    """The events the recorder plugin received during this test."""
    recorder_module.CALLS.clear()
    return recorder_module.CALLS


@pytest.fixture
def recording_crm(crm_factory: Callable[..., Any], calls: list) -> Any:
    """A CRM with only the recorder and dependent test plugins installed, the recorder enabled."""
    crm = crm_factory(plugins=[recorder_module.recorder, recorder_module.dependent], enabled=["recorder"])
    calls.clear()
    return crm


def event_names(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in calls]
