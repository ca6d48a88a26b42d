"""Fixtures for the feedback plugin's tests (``smtp_server`` and ``work_off`` come from crmcore's pytest plugin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from crm_feedback.services import FeedbackService


@pytest.fixture
def feedback_crm(crm_factory: Callable[..., Any]) -> Any:
    return crm_factory(enabled=["feedback"])


@pytest.fixture
def feedback(feedback_crm: Any) -> FeedbackService:
    return FeedbackService(feedback_crm)


@pytest.fixture
def product(feedback_crm: Any) -> Any:
    return feedback_crm.services.products.create({"sku": "KT-100", "name": "Kettle", "price": "40"})


@pytest.fixture
def make_customer(feedback_crm: Any) -> Callable[..., Any]:
    counter = iter(range(1, 100_000))

    def make(name: str | None = None, **fields: Any) -> Any:
        return feedback_crm.services.customers.create({"name": name or f"Customer {next(counter)}", **fields})

    return make


@pytest.fixture
def won(feedback_crm: Any) -> Callable[..., Any]:
    """``won(customer, amount, closed_on=None, product=None)`` records a purchase."""

    def make(customer: Any, amount: str, closed_on: Any = None, product: Any = None) -> Any:
        data: dict[str, Any] = {"customer_id": customer.id, "title": "Purchase", "status": "won"}
        if product is not None:
            data["lines"] = [{"product_id": product.id, "quantity": "1", "unit_price": amount}]
        else:
            data["amount"] = amount
        if closed_on is not None:
            data["closed_on"] = closed_on.isoformat()
        return feedback_crm.services.deals.create(data)

    return make
