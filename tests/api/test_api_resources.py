"""The REST API as another system meets it: a token, JSON in and out, pages, ETags and clear errors."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def token(crm, make_user):
    def make(role: str = "admin", **fields):
        user = make_user(role, **fields)
        secret, _record = crm.services.users.create_token(user.id, "test")
        return {"Authorization": f"Bearer {secret}"}, user

    return make


@pytest.fixture
def auth(token):
    return token()[0]


def test_without_a_token_or_session_the_api_answers_401_in_json(client):
    response = client.get("/api/v1/customers")

    assert response.status_code == 401
    assert response.is_json


def test_a_customer_created_through_the_api_is_read_back_with_an_etag(client, auth):
    created = client.post("/api/v1/customers", json={"name": "Acme", "email": "Info@Acme.example"}, headers=auth)

    assert created.status_code == 201, created.json
    read = client.get(f"/api/v1/customers/{created.json['id']}", headers=auth)
    assert read.json["email"] == "info@acme.example"
    assert read.headers["ETag"] == created.headers["ETag"]


def test_invalid_input_names_the_field_and_the_reason(client, auth):
    response = client.post("/api/v1/customers", json={"name": "Acme", "email": "nope"}, headers=auth)

    assert response.status_code == 422
    assert "email" in str(response.json["errors"])


def test_an_update_needs_if_match_and_a_stale_etag_is_refused_with_412(client, auth):
    created = client.post("/api/v1/customers", json={"name": "Acme"}, headers=auth)
    url, etag = f"/api/v1/customers/{created.json['id']}", created.headers["ETag"]

    assert client.patch(url, json={"city": "Leeds"}, headers=auth).status_code == 428
    first = client.patch(url, json={"city": "Leeds"}, headers={**auth, "If-Match": etag})
    stale = client.patch(url, json={"city": "York"}, headers={**auth, "If-Match": etag})

    assert first.status_code == 200 and first.json["city"] == "Leeds"
    assert stale.status_code == 412
    assert client.get(url, headers=auth).json["city"] == "Leeds"


def test_lists_are_paged_with_a_cursor_in_the_chosen_order(client, auth, crm):
    for name in ("Delta", "Alpha", "Charlie", "Bravo", "Echo"):
        crm.services.customers.create({"name": name})

    first = client.get("/api/v1/customers?sort=name&limit=2", headers=auth).json
    second = client.get(f"/api/v1/customers?sort=name&limit=2&cursor={first['next_cursor']}", headers=auth).json
    third = client.get(f"/api/v1/customers?sort=name&limit=2&cursor={second['next_cursor']}", headers=auth).json

    names = [c["name"] for page in (first, second, third) for c in page["items"]]
    assert names == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    assert third["next_cursor"] is None


def test_search_finds_a_customer_by_name_prefix_email_or_phone(client, auth, crm):
    crm.services.customers.create({"name": "Acme", "email": "info@acme.example", "phone": "+442079460018"})
    crm.services.customers.create({"name": "Beta"})

    for q in ("Ac", "INFO@acme.example", "+44 20 7946 0018"):
        found = client.get("/api/v1/customers", query_string={"q": q}, headers=auth).json["items"]
        assert [c["name"] for c in found] == ["Acme"], q


def test_staff_limited_to_their_own_records_see_only_those(client, token, crm, make_user):
    crm_other = make_user("staff")
    headers, staff = token("staff")
    crm.services.customers.create({"name": "Mine", "owner_id": staff.id})
    theirs = crm.services.customers.create({"name": "Theirs", "owner_id": crm_other.id})
    crm.settings = crm.settings.with_overrides(staff_see_own_records_only=True)

    listed = client.get("/api/v1/customers", headers=headers).json["items"]

    assert [c["name"] for c in listed] == ["Mine"]
    assert client.get(f"/api/v1/customers/{theirs.id}", headers=headers).status_code == 404


def test_users_are_only_for_admins(client, token):
    staff_headers, _ = token("staff")
    admin_headers, _ = token("admin")

    assert client.get("/api/v1/users", headers=staff_headers).status_code == 403
    assert client.get("/api/v1/users", headers=admin_headers).status_code == 200


def test_a_deal_is_created_and_listed_by_status(client, auth, crm):
    customer = crm.services.customers.create({"name": "Acme"})

    created = client.post("/api/v1/deals", json={"customer_id": customer.id, "title": "Website", "amount": "100",
                                                 "status": "won"}, headers=auth)
    won = client.get("/api/v1/deals?status=won", headers=auth).json["items"]

    assert created.status_code == 201 and [d["title"] for d in won] == ["Website"]
    assert won[0]["amount"] == "100.00"


def test_export_streams_the_filtered_list_as_csv_without_formulas(client, auth, crm):
    crm.services.customers.create({"name": "=HYPERLINK(\"http://evil\")", "country": "GB"})
    crm.services.customers.create({"name": "Acme", "country": "UA"})

    response = client.get("/api/v1/customers/export.csv?country=GB", headers=auth)

    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert "'=HYPERLINK" in text and "Acme" not in text


def test_a_session_write_needs_the_csrf_token_and_a_token_write_does_not(crm, make_user, auth):
    from crmcore.web import create_app

    app = create_app(crm, testing=True)
    browser = app.test_client()
    user = make_user("admin")
    page = browser.get("/login").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    assert browser.post("/login", data={"email": user.email, "password": "correct horse battery",
                                        "csrf_token": csrf_token}).status_code == 302
    page = browser.get("/login").get_data(as_text=True)  # logging in starts a new session with a new token
    csrf_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]

    forged = browser.post("/api/v1/customers", json={"name": "Acme"})
    genuine = browser.post("/api/v1/customers", json={"name": "Acme"}, headers={"X-CSRFToken": csrf_token})
    by_token = app.test_client().post("/api/v1/customers", json={"name": "Beta"}, headers=auth)

    assert (forged.status_code, genuine.status_code, by_token.status_code) == (400, 201, 201)


def test_the_openapi_document_and_the_offline_reference_are_served(client, auth, login):
    login(client)
    spec = client.get("/api/v1/openapi.json")
    page = client.get("/api/v1/docs/")
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")

    assert "/api/v1/customers" in spec.json["paths"]
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data and b"http" not in page.data.split(
        b"<body>")[1].replace(b"http-equiv", b"")
    assert asset.status_code == 200


def test_reading_a_customer_returns_every_tag_in_one_round_trip(client, crm, auth):
    from sqlalchemy import event

    customer = crm.services.customers.create({"name": "Tagged", "tags": ["vip", "wholesale", "north"]})
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(crm.db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(f"/api/v1/customers/{customer.id}", headers=auth)
    finally:
        event.remove(crm.db.engine, "before_cursor_execute", listener)

    assert sorted(response.json["tags"]) == ["north", "vip", "wholesale"]
    assert len([s for s in statements if "FROM customers" in s or "customer_tags" in s]) == 1
