"""Fixtures for the feedback plugin's tests."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
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


class MailSink:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(bytes(envelope.original_content or b""), policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK: queued"


class _LoopbackController(Controller):
    """A controller on 127.0.0.1 and a port the OS chooses."""

    def __init__(self, handler: MailSink) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_sink() -> Iterator[tuple[MailSink, int]]:
    """A real SMTP server on loopback: ``(sink, port)``."""
    sink = MailSink()
    controller = _LoopbackController(sink)
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@pytest.fixture
def work_off() -> Callable[[Any], None]:
    """``work_off(crm)`` runs every queued job with a real RQ worker in this process until the queues are empty."""
    from rq import SimpleWorker

    from crmcore.jobs import runner

    def work(crm: Any) -> None:
        runner.set_current(crm)
        try:
            SimpleWorker(crm.jobs.all_queues(), connection=crm.jobs.connection).work(burst=True)
        finally:
            runner.set_current(None)

    return work
