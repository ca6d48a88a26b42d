"""Admins manage webhooks on screen and through the API: the secret is shown once, the log shows every try."""

from __future__ import annotations

import re

import pytest

from crmcore.testing.jobs import work_off
from crmcore.webhooks import WebhookService, sign
from tests.webhooks.receiver import deliveries


@pytest.fixture
def admin_client(client, login):
    login(client, "admin")
    return client


@pytest.fixture
def bearer(crm, make_user):
    def make(role: str = "admin") -> dict[str, str]:
        secret, _record = crm.services.users.create_token(make_user(role).id, "test")
        return {"Authorization": f"Bearer {secret}"}

    return make


def test_an_admin_adds_a_webhook_on_screen_and_sees_its_secret_once(crm, admin_client, receiver):
    page = admin_client.post("/webhooks/create", data={"url": receiver.url, "events": ["customer_created"],
                                                       "description": "shop"}).get_data(as_text=True)
    secret = re.search(r'<code id="new-secret"[^>]*>([^<]+)</code>', page).group(1)

    crm.services.customers.create({"name": "Acme"})
    work_off(crm)

    (request,) = receiver.requests
    assert request["headers"]["X-CRM-Signature"] == sign(secret, request["headers"]["X-CRM-Timestamp"],
                                                         request["body"])
    assert secret not in admin_client.get("/webhooks/").get_data(as_text=True)


def test_a_bad_address_and_no_events_are_shown_beside_their_fields(crm, admin_client):
    response = admin_client.post("/webhooks/create", data={"url": "javascript:alert(1)"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give an http:// or https:// address" in page and "Choose events among" in page
    assert WebhookService(crm).list() == []


def test_a_paused_webhook_gets_nothing_until_resumed(crm, admin_client, receiver):
    webhook, _secret = WebhookService(crm).create(receiver.url, ["customer_created"])

    admin_client.post(f"/webhooks/{webhook.id}/active", data={"active": "0"})
    crm.services.customers.create({"name": "While paused"})
    admin_client.post(f"/webhooks/{webhook.id}/active", data={"active": "1"})
    crm.services.customers.create({"name": "After resuming"})
    work_off(crm)

    assert [b'"After resuming"' in r["body"] for r in receiver.requests] == [True]


def test_the_delivery_log_lists_each_try_and_a_failed_one_can_be_sent_again(crm, admin_client, receiver,
                                                                              quick_retries):
    webhook, _secret = WebhookService(crm).create(receiver.url, ["customer_created"])
    receiver.statuses = [503, 503, 503]
    crm.services.customers.create({"name": "Acme"})
    work_off(crm)
    (failed,) = deliveries(crm)
    log = admin_client.get(f"/webhooks/{webhook.id}/").get_data(as_text=True)
    assert f'data-delivery="{failed.id}" data-status="failed"' in log and "The receiver answered 503." in log

    admin_client.post(f"/webhooks/deliveries/{failed.id}/again")
    work_off(crm)

    assert [(d.status, d.attempts) for d in deliveries(crm)] == [("delivered", 4)]
    assert len(receiver.requests) == 4


def test_removing_a_webhook_stops_its_deliveries(crm, admin_client, receiver):
    webhook, _secret = WebhookService(crm).create(receiver.url, ["customer_created"])

    admin_client.post(f"/webhooks/{webhook.id}/delete")
    crm.services.customers.create({"name": "Acme"})
    work_off(crm)

    assert receiver.requests == [] and WebhookService(crm).list() == []


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_only_admins_reach_the_webhooks_screen(app, login, role):
    client = app.test_client()
    login(client, role)

    assert client.get("/webhooks/").status_code == 403
    assert client.post("/webhooks/create", data={"url": "https://example.com/h", "events": ["deal_won"]}
                       ).status_code == 403


def test_the_api_registers_a_webhook_and_returns_the_secret_only_then(crm, client, bearer, receiver):
    headers = bearer()
    created = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["deal_won"]}, headers=headers)

    listed = client.get("/api/v1/webhooks", headers=headers).json["items"]

    assert created.status_code == 201 and len(created.json["secret"]) > 30
    assert [item["url"] for item in listed] == [receiver.url] and "secret" not in listed[0]


def test_the_api_refuses_unknown_events_with_the_field_and_reason(client, bearer):
    response = client.post("/api/v1/webhooks", json={"url": "https://example.com/h", "events": ["coffee_made"]},
                           headers=bearer())

    assert response.status_code == 422
    assert "events" in response.json["errors"]["json"]


def test_the_api_pauses_a_webhook_and_reads_its_deliveries(crm, client, bearer, receiver):
    headers = bearer()
    webhook, _secret = WebhookService(crm).create(receiver.url, ["customer_created"])
    crm.services.customers.create({"name": "Acme"})
    work_off(crm)

    paused = client.patch(f"/api/v1/webhooks/{webhook.id}", json={"active": False}, headers=headers)
    log = client.get(f"/api/v1/webhooks/{webhook.id}/deliveries", headers=headers)

    assert paused.status_code == 200 and paused.json["active"] is False
    assert [(d["event"], d["status"], d["response_status"]) for d in log.json["items"]] == [
        ("customer_created", "delivered", 200)]


def test_sending_again_a_delivery_that_did_not_fail_is_refused(crm, client, bearer, receiver):
    WebhookService(crm).create(receiver.url, ["customer_created"])
    crm.services.customers.create({"name": "Acme"})
    work_off(crm)
    (delivered,) = deliveries(crm)

    response = client.post(f"/api/v1/webhooks/deliveries/{delivered.id}/redeliver", headers=bearer())

    assert response.status_code == 409 and "failed" in response.json["message"]


def test_the_webhooks_api_is_for_admins_only(client, bearer):
    assert client.get("/api/v1/webhooks", headers=bearer("manager")).status_code == 403
