"""Customer screens: writes go through the services, errors appear beside the field, search hits indexes."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from crmcore.models import Customer


def names(events):
    return [name for name, _ in events]


def test_creating_a_customer_on_screen_goes_through_the_service(ui_client, ui_crm, login, events):
    login(ui_client, "staff")

    response = ui_client.post("/customers/new/", data={"name": "شرکت آلفا", "kind": "organisation",
                                                       "lifecycle_stage": "lead", "country": "IR",
                                                       "phone": "۰۹۱۲۱۲۳۴۵۶۷", "tag_list": "vip, tehran"})

    assert response.status_code == 302
    assert "customer_created" in names(events)
    with ui_crm.db.session() as session:
        customer = session.scalar(select(Customer))
        assert (customer.name, customer.phone) == ("شرکت آلفا", "+989121234567")
        assert sorted(tag.name for tag in customer.tags) == ["tehran", "vip"]


def test_a_refused_value_is_shown_beside_its_field(ui_client, ui_crm, login):
    login(ui_client, "staff")

    response = ui_client.post("/customers/new/", data={"name": "Acme", "kind": "organisation",
                                                       "lifecycle_stage": "lead", "email": "not-an-email"})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    email_box = page[page.index('id="email"'):]
    assert "Not a valid email address." in email_box[:1500]
    with ui_crm.db.session() as session:
        assert session.scalar(select(Customer.id)) is None


def test_editing_a_customer_fires_the_update_hook(ui_client, add_customer, login, events):
    login(ui_client, "admin")
    customer = add_customer("Acme")
    events.clear()

    ui_client.post(f"/customers/edit/?id={customer.id}", data={"name": "Acme Ltd", "kind": "organisation",
                                                                "lifecycle_stage": "prospect"})

    assert names(events) == ["customer_updated"]


def test_deleting_customers_in_bulk_goes_through_the_service(ui_client, add_customer, login, events):
    login(ui_client, "admin")
    ids = [str(add_customer(f"C{i}").id) for i in range(3)]
    events.clear()

    ui_client.post("/customers/action/", data={"action": "delete", "rowid": ids})

    assert names(events) == ["customer_deleted"] * 3


def test_bulk_assign_owner_changes_every_chosen_customer(ui_client, ui_crm, add_customer, login, make_user):
    login(ui_client, "admin")
    rep = make_user("staff", name="Rep")
    ids = [add_customer(f"C{i}").id for i in range(3)]

    response = ui_client.post("/customers/bulk/owner/", data={"ids": ",".join(map(str, ids)),
                                                              "owner_id": str(rep.id)})

    assert response.status_code == 302
    with ui_crm.db.session() as session:
        assert set(session.scalars(select(Customer.owner_id).where(Customer.id.in_(ids)))) == {rep.id}


def test_bulk_tag_adds_the_tag_and_keeps_the_others(ui_client, ui_crm, add_customer, login):
    login(ui_client, "admin")
    customer = add_customer("Acme", tags=["old"])

    ui_client.post("/customers/bulk/tag/", data={"ids": str(customer.id), "tag": "new"})

    with ui_crm.db.session() as session:
        assert sorted(t.name for t in session.get(Customer, customer.id).tags) == ["new", "old"]


def test_search_finds_a_phone_typed_in_persian_digits(ui_client, add_customer, login):
    login(ui_client, "staff")
    add_customer("Alpha", phone="+989121234567")
    add_customer("Beta", phone="+989351112233")

    page = ui_client.get("/customers/?search=۰۰۹۸۹۱۲۱۲۳۴۵۶۷").get_data(as_text=True)

    assert "Alpha" in page and "Beta" not in page


def test_search_by_email_is_exact_and_by_name_a_prefix(ui_client, add_customer, login):
    login(ui_client, "staff")
    add_customer("Alpha Trading", email="sales@alpha.example")
    add_customer("Beta Alpha", email="info@beta.example")

    by_email = ui_client.get("/customers/?search=SALES@alpha.example").get_data(as_text=True)
    by_name = ui_client.get("/customers/?search=alpha").get_data(as_text=True)

    assert "Alpha Trading" in by_email and "Beta Alpha" not in by_email
    assert "Alpha Trading" in by_name and "Beta Alpha" not in by_name


def test_the_customer_list_does_not_query_per_row(ui_client, ui_crm, add_customer, login, make_user):
    login(ui_client, "admin")
    owners = [make_user("staff") for _ in range(3)]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def list_queries() -> int:
        statements.clear()
        event.listen(ui_crm.db.engine, "before_cursor_execute", count)
        try:
            assert ui_client.get("/customers/").status_code == 200
        finally:
            event.remove(ui_crm.db.engine, "before_cursor_execute", count)
        return len(statements)

    for i in range(3):
        add_customer(f"Few {i}", owner_id=owners[i % 3].id, tags=["t"])
    few = list_queries()
    for i in range(30):
        add_customer(f"Many {i}", owner_id=owners[i % 3].id, tags=[f"t{i}"])

    assert list_queries() == few
    assert not any("count(" in s.lower() and "customers" in s.lower() for s in statements)


def test_staff_limited_to_their_own_records_see_only_those(crm_factory, login, make_user):
    from crmcore.web import create_app

    crm = crm_factory(staff_see_own_records_only=True)
    app = create_app(crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    staff = login(client, "staff")
    crm.services.customers.create({"name": "Mine", "owner_id": staff.id})
    theirs = crm.services.customers.create({"name": "Theirs", "owner_id": make_user("staff").id})

    page = client.get("/customers/").get_data(as_text=True)

    assert "Mine" in page and "Theirs" not in page
    assert client.get(f"/customer/{theirs.id}/").status_code == 403


def test_csv_export_follows_the_current_search(ui_client, add_customer, login):
    login(ui_client, "manager")
    add_customer("Alpha", email="a@alpha.example")
    add_customer("Beta", email="b@beta.example")

    response = ui_client.get("/customers/export/csv/?search=Alpha")

    assert response.status_code == 200
    assert "Alpha" in response.get_data(as_text=True) and "Beta" not in response.get_data(as_text=True)


def test_staff_cannot_export_customer_data(ui_client, add_customer, login):
    login(ui_client, "staff")
    add_customer("Alpha")

    assert ui_client.get("/customers/export/csv/").status_code == 403


@pytest.fixture
def budget_field(ui_crm):
    from crmcore.models import CustomField

    with ui_crm.db.session() as session:
        session.add(CustomField(entity="customer", key="budget", label="Budget", type="integer"))


def test_custom_fields_appear_on_the_form_and_are_saved(ui_client, ui_crm, login, budget_field):
    login(ui_client, "staff")

    assert 'name="cf_budget"' in ui_client.get("/customers/new/").get_data(as_text=True)
    ui_client.post("/customers/new/", data={"name": "Acme", "kind": "organisation", "lifecycle_stage": "lead",
                                            "cf_budget": "۱۲۰۰"})

    with ui_crm.db.session() as session:
        assert session.scalar(select(Customer.custom_fields)) == {"budget": 1200}


def test_a_refused_custom_field_is_shown_beside_it(ui_client, login, budget_field):
    login(ui_client, "staff")

    page = ui_client.post("/customers/new/", data={"name": "Acme", "kind": "organisation", "lifecycle_stage": "lead",
                                                   "cf_budget": "lots"}).get_data(as_text=True)

    assert "Not a number." in page[page.index('id="cf_budget"'):][:1500]


def test_the_customer_lookup_finds_by_name_prefix(ui_client, add_customer, login):
    login(ui_client, "staff")
    add_customer("Alpha Trading")
    add_customer("Beta Alpha")

    found = ui_client.get("/contacts/ajax/lookup/?name=customer&query=alp").json

    assert [label for _, label in found] == ["Alpha Trading"]
