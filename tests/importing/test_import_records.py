"""Importing customers, contacts, deals, touchpoints and leads: every good row in, every bad row reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from crmcore.importing import run_import
from crmcore.models import Contact, Customer, CustomField, Deal, DealStatus, LifecycleStage, Touchpoint
from tests.conftest import event_names

CUSTOMERS = """Name,E-mail,Phone,Country,Customer ID,Tags,Contact person
Acme Ltd,info@acme.example,+44 20 7946 0018,United Kingdom,A-1,"vip, wholesale",Jane Doe
Шевченко ТОВ,office@shevchenko.example,044 123 4567,Україна,A-2,,
Broken Co,not-an-email,,GB,A-3,,
Acme Ltd (again),INFO@acme.example,,GB,A-9,,
"""


def count(crm, model) -> int:
    with crm.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def customers(crm) -> dict[str, Customer]:
    with crm.db.session() as session:
        return {c.external_ref: c for c in session.scalars(select(Customer))}


@pytest.fixture
def customers_file(write) -> Path:
    return write("customers.csv", CUSTOMERS)


def test_good_customer_rows_are_imported_and_a_bad_one_is_reported_by_row_and_column(crm, customers_file):
    report = run_import(crm, "customers", customers_file)

    imported = customers(crm)
    assert set(imported) == {"A-1", "A-2"}
    assert imported["A-2"].phone == "+380441234567" and imported["A-2"].country == "UA"
    assert [(e.row, e.column) for e in report.errors] == [(4, "E-mail")]
    assert (report.created, report.failed) == (2, 1)


def test_a_customer_row_can_bring_its_contact_person(crm, customers_file):
    run_import(crm, "customers", customers_file)

    with crm.db.session() as session:
        contact = session.scalar(select(Contact))
        assert (contact.first_name, contact.last_name, contact.emails) == ("Jane", "Doe", ["info@acme.example"])


def test_a_duplicate_in_the_file_by_normalised_email_is_skipped(crm, customers_file):
    report = run_import(crm, "customers", customers_file)

    assert "A-9" not in customers(crm)
    assert report.skipped == 1


def test_running_the_same_file_again_creates_nothing_new(crm, customers_file):
    run_import(crm, "customers", customers_file)

    again = run_import(crm, "customers", customers_file)

    assert count(crm, Customer) == 2 and count(crm, Contact) == 1
    assert (again.created, again.skipped) == (0, 3)


def test_on_duplicate_update_changes_the_existing_record(crm, write):
    crm.services.customers.create({"name": "Acme", "email": "info@acme.example"})

    report = run_import(crm, "customers", write("c.csv", "Name,Email,City\nAcme Ltd,info@acme.example,Leeds\n"),
                        on_duplicate="update")

    (customer,) = customers(crm).values()
    assert (customer.name, customer.city) == ("Acme Ltd", "Leeds")
    assert report.updated == 1


def test_on_duplicate_create_imports_the_duplicate_anyway(crm, customers_file):
    run_import(crm, "customers", customers_file, on_duplicate="create")

    assert count(crm, Customer) == 3


def test_a_dry_run_reports_the_same_counts_and_writes_nothing(crm, customers_file):
    report = run_import(crm, "customers", customers_file, dry_run=True)

    assert (report.created, report.skipped, report.failed) == (2, 1, 1)
    assert count(crm, Customer) == 0


def test_hook_customer_created_fires_for_each_imported_customer(recording_crm, calls, customers_file):
    run_import(recording_crm, "customers", customers_file)

    assert event_names(calls).count("customer_created") == 2


def test_unknown_columns_become_custom_fields_when_asked(crm, write):
    path = write("c.csv", "Name,Shoe size,Favourite colour\nAcme,42,green\nBeta,38,blue\n")

    run_import(crm, "customers", path, options={"create_custom_fields": True})

    with crm.db.session() as session:
        fields = {f.key: f.type for f in session.scalars(select(CustomField))}
        acme = session.scalar(select(Customer).where(Customer.name == "Acme"))
    assert fields == {"shoesize": "integer", "favouritecolour": "text"}
    assert acme.custom_fields == {"shoesize": 42, "favouritecolour": "green"}


def test_contacts_are_attached_to_their_company_and_deduplicated_by_name_within_it(crm, write):
    crm.services.customers.create({"name": "Acme", "country": "GB"})
    path = write("p.csv", "Company,First name,Last name,Phone\nAcme,Jane,Doe,020 7946 0018\nAcme,Jane,Doe,\n"
                          "Beta,John,Smith,\n")

    report = run_import(crm, "contacts", path)

    with crm.db.session() as session:
        names = session.execute(select(Customer.name, Contact.first_name).join(Contact.customer)
                                .order_by(Contact.id)).all()
        jane = session.scalar(select(Contact).where(Contact.first_name == "Jane"))
        assert jane.phones == ["+442079460018"]
    assert names == [("Acme", "Jane"), ("Beta", "John")]
    assert (report.created, report.skipped) == (2, 1)


def test_deals_need_a_known_customer_and_take_their_stage_from_the_status(crm, write):
    crm.services.customers.create({"name": "Acme", "external_ref": "A-1"})
    path = write("d.csv", "Deal,Customer,Amount,Status,ID\nWebsite,A-1,1 200.50,won,D-1\nShop,Nobody,10,,D-2\n")

    report = run_import(crm, "deals", path)

    with crm.db.session() as session:
        (deal,) = session.scalars(select(Deal)).all()
    assert (deal.title, str(deal.amount), deal.status) == ("Website", "1200.50", DealStatus.WON)
    assert [(e.row, e.column) for e in report.errors] == [(3, "Customer")]


def test_touchpoints_land_on_the_timeline_once(crm, write):
    crm.services.customers.create({"name": "Acme"})
    path = write("t.csv", "Customer,Date,Channel,Subject\nAcme,2024-03-01 10:00,call,Intro\nAcme,2024-03-02,"
                          "e-mail,Offer\nAcme,yesterday,call,Bad\n")

    first = run_import(crm, "touchpoints", path)
    again = run_import(crm, "touchpoints", path)

    assert count(crm, Touchpoint) == 2
    assert [(e.row, e.column) for e in first.errors] == [(4, "Date")]
    assert (again.created, again.skipped) == (0, 2)


def test_leads_become_lead_customers_with_a_won_or_lost_deal_from_their_outcome(crm, write):
    path = write("l.csv", "MOSTYPE,MAANTHUI,Purchase\n33,1,No\n37,1,Yes\n33,1,No\n")

    report = run_import(crm, "leads", path, ["outcome=Purchase"],
                        options={"won_value": "Yes", "create_custom_fields": True})

    with crm.db.session() as session:
        stages = set(session.scalars(select(Customer.lifecycle_stage)))
        statuses = sorted(session.scalars(select(Deal.status)))
        first = session.scalar(select(Customer).order_by(Customer.id))
    assert report.created == 3 and stages == {LifecycleStage.LEAD}
    assert statuses == [DealStatus.LOST, DealStatus.LOST, DealStatus.WON]
    assert first.custom_fields == {"mostype": 33, "maanthui": 1}
    again = run_import(crm, "leads", path, ["outcome=Purchase"], options={"won_value": "Yes",
                                                                          "create_custom_fields": True})
    assert (again.created, again.skipped) == (0, 3)


def test_a_leads_files_other_columns_become_custom_fields_without_being_asked(crm, write):
    path = write("l.csv", "MOSTYPE,Purchase\n33,No\n37,Yes\n")

    run_import(crm, "leads", path, ["outcome=Purchase"], options={"won_value": "Yes"})

    with crm.db.session() as session:
        values = sorted(c["mostype"] for c in session.scalars(select(Customer.custom_fields)))
    assert values == [33, 37]
