"""Webhooks: a real HTTP receiver on loopback gets signed POSTs, sent by a real RQ worker, retried on failure."""

from __future__ import annotations

import json

import pytest

from crmcore.errors import PermissionDenied, ValidationFailed
from crmcore.testing.jobs import work_off
from crmcore.webhooks import WebhookService, sign
from tests.webhooks.receiver import deliveries


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
