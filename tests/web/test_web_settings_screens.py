"""Users, pipelines, the audit log and the other model lists, as an admin meets them."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from crmcore.models import Pipeline, User


def test_an_admin_creates_a_user_through_the_service(ui_client, ui_crm, login):
    login(ui_client, "admin")

    response = ui_client.post("/users/new/", data={"email": "Nika@Example.com", "name": "Nika", "role": "manager",
                                                   "language": "fa", "active": "y",
                                                   "password": "a long enough password"})

    assert response.status_code == 302
    with ui_crm.db.session() as session:
        user = session.scalar(select(User).where(User.email == "nika@example.com"))
        assert (user.role.value, user.language) == ("manager", "fa")
        assert "a long enough password" not in user.password_hash


def test_a_user_without_a_password_is_refused_beside_the_field(ui_client, login):
    login(ui_client, "admin")

    page = ui_client.post("/users/new/", data={"email": "x@example.com", "role": "staff", "language": "en"}
                          ).get_data(as_text=True)

    assert "Missing data for required field." in page[page.index('id="password"'):][:1000]


def test_an_admin_creates_a_pipeline_with_its_stages(ui_client, ui_crm, login):
    login(ui_client, "admin")

    ui_client.post("/pipelines/new/", data={"name": "Wholesale", "stage_lines": "Inquiry | 10\nOffer | ۵۰\n"
                                                                               "Won | 100 | won\nLost | 0 | lost"})

    with ui_crm.db.session() as session:
        pipeline = session.scalar(select(Pipeline).where(Pipeline.name == "Wholesale"))
        assert [(s.name, s.probability) for s in pipeline.stages] == [("Inquiry", 10), ("Offer", 50), ("Won", 100),
                                                                       ("Lost", 0)]


def test_a_pipeline_without_a_won_stage_is_refused_with_the_reason(ui_client, login):
    login(ui_client, "admin")

    page = ui_client.post("/pipelines/new/", data={"name": "Odd", "stage_lines": "One | 10\nTwo | 20"}
                          ).get_data(as_text=True)

    assert "A pipeline needs exactly one won and one lost stage." in page


def test_the_audit_log_shows_who_changed_which_field_from_what_to_what(ui_client, ui_crm, add_customer, login):
    admin = login(ui_client, "admin", name="Auditor")
    customer = add_customer("Old name")
    ui_crm.services.customers.update(customer.id, {"name": "New name"}, actor=admin)

    page = ui_client.get("/audit/?flt0_0=customer").get_data(as_text=True)

    assert "Auditor" in page and "Old name" in page and "New name" in page


def test_the_audit_log_cannot_be_edited(ui_client, login):
    login(ui_client, "admin")

    assert ui_client.get("/audit/new/").status_code == 302
    assert ui_client.post("/audit/delete/", data={"id": "1"}).status_code == 302


@pytest.mark.parametrize("path", ["/deals/", "/touchpoints/", "/tasks/", "/contacts/"])
def test_lists_do_not_query_per_row(ui_client, ui_crm, add_customer, login, path):
    user = login(ui_client, "admin")

    def fill(count: int) -> None:
        for i in range(count):
            customer = add_customer(f"Row {path} {i}")
            ui_crm.services.contacts.create({"customer_id": customer.id, "first_name": f"P{i}"})
            ui_crm.services.deals.create({"customer_id": customer.id, "title": f"D{i}", "owner_id": user.id})
            ui_crm.services.touchpoints.record({"customer_id": customer.id, "channel": "phone", "subject": "s"})
            ui_crm.services.tasks.create({"customer_id": customer.id, "title": "t", "assignee_id": user.id})

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def queries() -> int:
        statements.clear()
        event.listen(ui_crm.db.engine, "before_cursor_execute", count)
        try:
            assert ui_client.get(path).status_code == 200
        finally:
            event.remove(ui_crm.db.engine, "before_cursor_execute", count)
        return len(statements)

    fill(2)
    few = queries()
    fill(12)

    assert queries() == few


def test_an_admin_adds_a_custom_field_on_screen_and_it_appears_on_the_customer_form(ui_client, ui_crm, login):
    from crmcore.models import CustomField

    login(ui_client, "admin")

    response = ui_client.post("/custom_fields/new/", data={"key": "segment", "label": "Segment", "type": "choice",
                                                           "choices": "smb\nenterprise\n"})

    assert response.status_code == 302
    with ui_crm.db.session() as session:
        definition = session.scalar(select(CustomField).where(CustomField.key == "segment"))
        assert definition.choices == ["smb", "enterprise"]
    assert "cf_segment" in ui_client.get("/customers/new/").get_data(as_text=True)


def test_a_bad_custom_field_key_is_refused_beside_the_field(ui_client, login):
    login(ui_client, "admin")

    page = ui_client.post("/custom_fields/new/", data={"key": "Bad Key", "label": "X", "type": "text"}
                          ).get_data(as_text=True)

    assert "Use lower-case letters, digits and _" in page


def test_an_admin_edits_a_pipelines_stages_on_screen(ui_client, ui_crm, login):
    login(ui_client, "admin")
    pipeline = ui_crm.services.pipelines.ensure_default()

    form = ui_client.get(f"/pipelines/edit/?id={pipeline.id}").get_data(as_text=True)
    response = ui_client.post(f"/pipelines/edit/?id={pipeline.id}", data={
        "name": "Sales", "is_default": "y",
        "stage_lines": "New | 10\nDemo | 30\nProposal | 50\nWon | 100 | won\nLost | 0 | lost"})

    assert "Negotiation | 75" in form
    assert response.status_code == 302
    with ui_crm.db.session() as session:
        stages = session.get(Pipeline, pipeline.id).stages
        assert [(s.name, s.probability) for s in stages] == [("New", 10), ("Demo", 30), ("Proposal", 50),
                                                             ("Won", 100), ("Lost", 0)]
