"""Webhooks: a real HTTP receiver on loopback gets signed POSTs, sent by a real RQ worker, retried on failure."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from crmcore.errors import PermissionDenied, ValidationFailed
from crmcore.jobs import runner
from crmcore.models import WebhookDelivery
from crmcore.webhooks import WebhookService, service, sign


class Receiver:
    """An HTTP server in a thread that answers with the queued status codes (then 200) and keeps requests."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": self.headers, "body": body})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def quick_retries(monkeypatch):
    """Retry at once instead of after minutes, so one burst of the worker sees every attempt."""
    monkeypatch.setattr(service, "BACKOFF_SECONDS", [0, 0])


def work_off(crm) -> None:
    runner.set_current(crm)
    try:
        SimpleWorker(crm.jobs.all_queues(), connection=crm.jobs.connection).work(burst=True)
    finally:
        runner.set_current(None)


def deliveries(crm) -> list[WebhookDelivery]:
    with crm.db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_won_deal_is_posted_signed_to_the_registered_url(crm, receiver):
    _webhook, secret = WebhookService(crm).create(receiver.url, ["deal_won"])
    customer = crm.services.customers.create({"name": "Acme"})

    crm.services.deals.create({"customer_id": customer.id, "title": "Order 1", "amount": "10", "status": "won"})
    work_off(crm)

    (request,) = receiver.requests
    headers = request["headers"]
    assert headers["X-CRM-Event"] == "deal_won"
    assert headers["X-CRM-Signature"] == sign(secret, headers["X-CRM-Timestamp"], request["body"])
    payload = json.loads(request["body"])
    assert payload["event"] == "deal_won" and payload["data"]["title"] == "Order 1"
    assert [(d.status, d.attempts, d.response_status) for d in deliveries(crm)] == [("delivered", 1, 200)]


def test_only_the_chosen_events_are_sent(crm, receiver):
    WebhookService(crm).create(receiver.url, ["deal_won"])

    crm.services.customers.create({"name": "Acme"})
    work_off(crm)

    assert receiver.requests == [] and deliveries(crm) == []


def test_a_failed_delivery_is_retried_and_logged(crm, receiver, quick_retries):
    WebhookService(crm).create(receiver.url, ["customer_created"])
    receiver.statuses = [500]

    crm.services.customers.create({"name": "Acme"})
    work_off(crm)

    assert len(receiver.requests) == 2
    assert [(d.status, d.attempts, d.response_status) for d in deliveries(crm)] == [("delivered", 2, 200)]


def test_a_delivery_that_keeps_failing_ends_as_failed_with_the_reason(crm, receiver, quick_retries):
    WebhookService(crm).create(receiver.url, ["customer_created"])
    receiver.statuses = [503, 503, 503]

    crm.services.customers.create({"name": "Acme"})
    work_off(crm)

    (delivery,) = deliveries(crm)
    assert (delivery.status, delivery.attempts, delivery.error) == ("failed", 3, "The receiver answered 503.")


def test_only_admins_register_webhooks_and_only_for_known_events(crm, make_user, receiver):
    with pytest.raises(PermissionDenied):
        WebhookService(crm).create(receiver.url, ["deal_won"], actor=make_user("manager"))
    with pytest.raises(ValidationFailed) as refused:
        WebhookService(crm).create("ftp://example.com", ["coffee_made"])
    assert set(refused.value.errors) == {"url", "events"}


def test_orders_of_a_bulk_transactions_import_reach_the_webhook_too(crm, receiver, tmp_path):
    from crmcore.importing import run_import

    WebhookService(crm).create(receiver.url, ["deal_won"])
    path = tmp_path / "orders.csv"
    path.write_text("InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n1,C1,2024-01-02,2,5\n2,C2,2024-01-03,1,7\n")

    run_import(crm, "transactions", path)
    work_off(crm)

    titles = sorted(json.loads(request["body"])["data"]["title"] for request in receiver.requests)
    assert titles == ["Order 1", "Order 2"]
