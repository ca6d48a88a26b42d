"""The screens for imports, duplicates and API tokens, as a logged-in user meets them."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from crmcore.models import Customer
from crmcore.testing.jobs import work_off


def test_an_uploaded_file_is_previewed_dry_run_then_imported_with_a_report(client, login, crm):
    login(client, "staff")
    preview = client.post("/imports/preview", data={
        "kind": "customers", "file": (io.BytesIO(b"Name,Email\nAcme,info@acme.example\nBad,nope\n"), "c.csv")},
        content_type="multipart/form-data")
    assert preview.status_code == 200 and b"Acme" in preview.data
    dry_id = int(re.search(rb"/imports/(\d+)/run", preview.data)[1])
    work_off(crm)

    started = client.post(f"/imports/{dry_id}/run", data={"map_name": "Name", "map_email": "Email",
                                                                "dry_run": "0", "on_duplicate": "skip"})
    work_off(crm)
    job_url = started.headers["Location"]
    status = client.get(job_url + "/status.json").json
    report = client.get(job_url + "/report.csv")

    assert status["status"] == "finished" and status["summary"]["created"] == 1
    assert b"nope" in report.data
    with crm.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 1


def test_duplicates_are_listed_and_merged_keeping_everything(client, login, crm):
    login(client, "manager")
    kept = crm.services.customers.create({"name": "Acme", "email": "info@acme.example"})
    duplicate = crm.services.customers.create({"name": "ACME Ltd", "email": "info@acme.example"})
    crm.services.deals.create({"customer_id": duplicate.id, "title": "Order"})

    page = client.get("/duplicates/")
    merged = client.post("/duplicates/merge", data={"kept_id": kept.id, "duplicate_id": duplicate.id})

    assert b"ACME Ltd" in page.data and merged.status_code == 302
    with crm.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 1


def test_a_token_is_shown_once_works_and_can_be_revoked(client, login, app):
    login(client, "staff")

    created = client.post("/tokens/create", data={"name": "phone app", "days": "30"})
    token = re.search(rb'id="new-token"[^>]*>(crm_[^<]+)<', created.data)[1].decode()
    api = app.test_client()
    assert api.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token.encode() not in client.get("/tokens/").data

    token_id = re.search(rb"/tokens/(\d+)/revoke", created.data)[1].decode()
    client.post(f"/tokens/{token_id}/revoke")
    assert api.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401
