from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crmcore.web import create_app
from tests.sample_plugins import recorder as recorder_module


@pytest.fixture
def ui_crm(crm_factory: Callable[..., Any]) -> Any:
    """A CRM with the recorder test plugin installed and enabled, so every service call leaves a trace."""
    crm = crm_factory(plugins=[recorder_module.recorder, recorder_module.dependent], enabled=["recorder"])
    recorder_module.CALLS.clear()
    return crm


@pytest.fixture
def ui_app(ui_crm: Any) -> Any:
    application = create_app(ui_crm, testing=True)
    application.config["WTF_CSRF_ENABLED"] = False
    return application


@pytest.fixture
def ui_client(ui_app: Any) -> Any:
    return ui_app.test_client()


@pytest.fixture
def events() -> list[tuple[str, dict[str, Any]]]:
    return recorder_module.CALLS


@pytest.fixture
def add_customer(ui_crm: Any) -> Callable[..., Any]:
    def add(name: str = "Acme", **fields: Any) -> Any:
        return ui_crm.services.customers.create({"name": name, **fields})

    return add
