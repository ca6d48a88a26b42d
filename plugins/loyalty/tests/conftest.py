"""Fixtures for the loyalty plugin's tests: a CRM with the plugin enabled, customers and purchases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from crm_loyalty.services import LoyaltyService


@pytest.fixture
def loyalty_crm(crm_factory: Callable[..., Any]) -> Any:
    return crm_factory(enabled=["loyalty"])


@pytest.fixture
def loyalty(loyalty_crm: Any) -> LoyaltyService:
    return LoyaltyService(loyalty_crm)


@pytest.fixture
def customer(loyalty_crm: Any) -> Any:
    return loyalty_crm.services.customers.create({"name": "Maryam Rahimi", "phone": "+989121234567",
                                                  "kind": "person"})


@pytest.fixture
def purchase(loyalty_crm: Any) -> Callable[..., Any]:
    """``purchase(customer, amount, closed_on=None)`` records a won deal (a refund when negative)."""

    def make(customer: Any, amount: str | int, closed_on: date | None = None) -> Any:
        data: dict[str, Any] = {"customer_id": customer.id, "title": "Purchase", "amount": str(Decimal(amount)),
                                "status": "won"}
        if closed_on is not None:
            data["closed_on"] = closed_on.isoformat()
        return loyalty_crm.services.deals.create(data)

    return make


@pytest.fixture
def member(loyalty: LoyaltyService, customer: Any) -> Any:
    return loyalty.enroll(customer.id)


@pytest.fixture
def reward(loyalty: LoyaltyService) -> Any:
    return loyalty.add_reward({"name": "10% off", "kind": "coupon", "cost_points": 100, "discount_percent": "10"})
