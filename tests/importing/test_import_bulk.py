"""Customers and contacts are imported a batch at a time: checked, de-duplicated and written per batch, with the
events plugins expect, and nothing of a batch written when writing it fails."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from sqlalchemy import func, select, text

from crmcore.hooks import hookimpl
from crmcore.importing import run_import
from crmcore.models import AuditEntry, Contact, Customer, Tag
from crmcore.plugins import Plugin
from crmcore.schemas import CustomerSchema
from tests.conftest import event_names
from tests.sample_plugins import recorder as recorder_module

received: list[tuple[str, Any]] = []


class BatchHooks:
    """A plugin that takes the batch hooks (and would record customer_created if it were called)."""

    @hookimpl
    def customers_imported(self, crm, customer_ids, actor) -> None:
        received.append(("customers_imported", list(customer_ids)))

    @hookimpl
    def contacts_imported(self, crm, contact_ids, actor) -> None:
        received.append(("contacts_imported", list(contact_ids)))

    @hookimpl
    def customer_created(self, crm, customer) -> None:
        received.append(("customer_created", customer.id))

    @hookimpl
    def contact_created(self, crm, contact) -> None:
        received.append(("contact_created", contact.id))


batcher = Plugin(name="batcher", title="Batcher", version="1", description="Takes imports a batch at a time.",
                 hooks=BatchHooks())


@pytest.fixture
def batch_crm(crm_factory, calls):
    """The batcher and the recorder (which knows only the per-record hooks), both enabled."""
    received.clear()
    crm = crm_factory(plugins=[batcher, recorder_module.recorder, recorder_module.dependent],
                      enabled=["batcher", "recorder"])
    calls.clear()
    return crm


def count(crm, model) -> int:
    with crm.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def names(crm) -> list[str]:
    with crm.db.session() as session:
        return list(session.scalars(select(Customer.name).order_by(Customer.id)))


@pytest.fixture
def refuse_poison(crm):
    """A database trigger that refuses to store a customer named "Poison Ltd": a write that fails for real."""
    with crm.db.engine.begin() as connection:
        if crm.db.dialect == "postgresql":
            connection.execute(text(
                "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN IF NEW.name = 'Poison Ltd' THEN "
                "RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            connection.execute(text("CREATE TRIGGER refuse_poison BEFORE INSERT ON customers FOR EACH ROW "
                                    "EXECUTE FUNCTION refuse_poison()"))
        else:
            connection.execute(text("CREATE TRIGGER refuse_poison BEFORE INSERT ON customers "
                                    "WHEN NEW.name = 'Poison Ltd' BEGIN SELECT RAISE(ABORT, 'poison refused'); END"))
    yield
    with crm.db.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse_poison" + (" ON customers" if crm.db.dialect == "postgresql"
                                                                 else "")))
        if crm.db.dialect == "postgresql":
            connection.execute(text("DROP FUNCTION refuse_poison()"))


def test_hook_customers_imported_gets_each_batch_once_instead_of_customer_created(batch_crm, write):
    path = write("c.csv", "Name,Email\nA,a@example.com\nB,b@example.com\nC,c@example.com\n")

    run_import(batch_crm, "customers", path, options={"batch_size": 2})

    with batch_crm.db.session() as session:
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
    assert received == [("customers_imported", ids[:2]), ("customers_imported", ids[2:])]


def test_hook_customers_imported_falls_back_to_customer_created_for_plugins_without_it(batch_crm, calls, write):
    run_import(batch_crm, "customers", write("c.csv", "Name\nA\nB\n"))

    assert event_names(calls) == ["customer_created", "customer_created"]
    assert [kwargs["customer"].name for _, kwargs in calls] == ["A", "B"]


def test_hook_contacts_imported_gets_the_new_contacts_and_the_others_get_contact_created(batch_crm, calls, write):
    batch_crm.services.customers.create({"name": "Acme"})
    received.clear()
    calls.clear()

    path = write("p.csv", "Company,First name,Last name\nAcme,Jane,Doe\nAcme,Ivan,Petrenko\n")

    run_import(batch_crm, "contacts", path)

    with batch_crm.db.session() as session:
        ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
    assert received == [("contacts_imported", ids)]
    assert event_names(calls) == ["contact_created", "contact_created"]


def test_a_batch_whose_write_fails_is_rolled_back_and_its_rows_reported_while_other_batches_are_kept(
        crm, write, refuse_poison):
    path = write("c.csv", "Name\nAlpha\nBeta\nGamma\nPoison Ltd\nDelta\n")

    report = run_import(crm, "customers", path, options={"batch_size": 2})

    assert names(crm) == ["Alpha", "Beta", "Delta"]
    assert [e.row for e in report.errors] == [4, 5]
    assert all("writing rows 4-5 failed" in e.reason and "poison refused" in e.reason for e in report.errors)
    assert (report.created, report.failed) == (3, 2)


def test_a_dry_run_finds_a_duplicate_of_a_row_in_an_earlier_batch(crm, write):
    path = write("c.csv", "Name,Email\nA,a@example.com\nB,b@example.com\nA again,A@EXAMPLE.COM\n")

    report = run_import(crm, "customers", path, dry_run=True, options={"batch_size": 2})

    assert (report.created, report.skipped) == (2, 1)
    assert count(crm, Customer) == 0


def test_on_duplicate_update_applies_a_later_row_to_one_earlier_in_the_same_batch(crm, write):
    path = write("c.csv", "Name,Email,City\nAcme,info@acme.example,Leeds\nAcme Ltd,info@acme.example,York\n")

    report = run_import(crm, "customers", path, on_duplicate="update")

    with crm.db.session() as session:
        (customer,) = session.scalars(select(Customer)).all()
    assert (customer.name, customer.city) == ("Acme Ltd", "York")
    assert (report.created, report.updated) == (1, 1)


def test_a_duplicate_by_phone_is_found_in_e164_whatever_the_spelling(crm, write):
    crm.services.customers.create({"name": "Acme", "phone": "+44 20 7946 0018"})

    report = run_import(crm, "customers", write("c.csv", "Name,Phone,Country\nAcme UK,020 7946 0018,GB\n"))

    assert (report.created, report.skipped) == (0, 1)


def test_imported_customers_and_contacts_are_in_the_audit_log(crm, write):
    run_import(crm, "customers", write("c.csv", "Name,Contact person\nAcme,Jane Doe\n"))

    with crm.db.session() as session:
        entries = session.execute(select(AuditEntry.entity, AuditEntry.action, AuditEntry.changes)
                                  .where(AuditEntry.entity.in_(["customer", "contact"])).order_by(AuditEntry.id)).all()
    assert [(entity, action) for entity, action, _ in entries] == [("customer", "create"), ("contact", "create")]
    assert entries[0].changes["name"] == [None, "Acme"] and entries[1].changes["name"] == [None, "Jane Doe"]


def test_tags_are_created_once_and_attached_to_every_customer_naming_them(crm, write):
    run_import(crm, "customers", write("c.csv", 'Name,Tags\nA,"vip, wholesale"\nB,vip\n'))

    with crm.db.session() as session:
        tagged = {c.name: sorted(t.name for t in c.tags) for c in session.scalars(select(Customer))}
    assert tagged == {"A": ["vip", "wholesale"], "B": ["vip"]}
    assert count(crm, Tag) == 2


def test_contacts_naming_an_unknown_company_create_it_once(crm, write):
    path = write("p.csv", "Company,First name\nNewco,Jane\nNewco,John\n")

    report = run_import(crm, "contacts", path, options={"batch_size": 1})

    assert names(crm) == ["Newco"]
    assert (report.created, count(crm, Contact)) == (2, 2)


def test_a_contact_with_the_same_name_at_the_same_company_is_a_duplicate_in_any_script_and_case(crm, write):
    customer = crm.services.customers.create({"name": "Шевченко ТОВ"})
    crm.services.contacts.create({"customer_id": customer.id, "first_name": "Іван", "last_name": "Франко"})

    report = run_import(crm, "contacts", write("p.csv", "Company,First name,Last name\nШевченко ТОВ,ІВАН,франко\n"))

    assert (report.created, report.skipped) == (0, 1)


def test_a_bad_phone_of_a_contact_is_reported_on_the_phone_column(crm, write):
    crm.services.customers.create({"name": "Acme", "country": "GB"})

    report = run_import(crm, "contacts", write("p.csv", "Company,Name,Phone\nAcme,Jane Doe,12\nAcme,John Roe,\n"))

    assert [(e.row, e.column) for e in report.errors] == [(2, "Phone")]
    assert report.created == 1


def test_staff_limited_to_their_own_records_cannot_add_contacts_to_another_users_customer(crm_factory, make_user,
                                                                                        write):
    crm = crm_factory(staff_see_own_records_only=True)
    owner, staff = make_user("manager"), make_user("staff")
    crm.services.customers.create({"name": "Theirs", "owner_id": owner.id})

    report = run_import(crm, "contacts", write("p.csv", "Company,Name\nTheirs,Jane Doe\nMine,John Roe\n"),
                        actor=staff)

    assert [(e.row, e.reason) for e in report.errors] == [(2, "This record belongs to another user.")]
    assert report.created == 1


def test_every_bad_row_of_a_file_is_reported_by_row_and_column_with_the_schemas_reason_and_every_good_one_kept(
        crm, write):
    lines, refused, kept = ["Name,Email,Phone,Country,Website"], [], []
    bad_cells = {1: ("Email", "firm-at-example"), 2: ("Phone", "12"), 3: ("Country", "Atlantis"),
                 4: ("Website", "not a url"), 5: ("Name", "")}
    for n in range(60):
        cells = {"Name": f"Firm {n}", "Email": f"firm{n}@example.com", "Phone": f"+38044{n:07d}", "Country": "UA",
                 "Website": "https://firm.example"}
        column, value = bad_cells.get(n % 9, (None, None))
        if column is None:
            kept.append(cells["Name"])
        else:
            cells[column] = value
            refused.append((n + 2, column))
        lines.append(",".join(cells.values()))

    report = run_import(crm, "customers", write("c.csv", "\n".join(lines) + "\n"), options={"batch_size": 7})

    assert [(e.row, e.column) for e in report.errors] == refused
    assert (report.created, report.failed) == (len(kept), len(refused))
    assert names(crm) == kept
    schema_reasons = {column: "; ".join(CustomerSchema().validate({"name": "x", field: value})[field])
                      for column, field, value in (("Email", "email", "firm-at-example"),
                                                   ("Website", "website", "not a url"))}
    assert {e.column: e.reason for e in report.errors if e.column in schema_reasons} == schema_reasons


def test_a_reference_longer_than_allowed_is_refused_rather_than_matched_to_one_it_begins_with(crm, write):
    crm.services.customers.create({"name": "Acme", "external_ref": "R" * 120})

    report = run_import(crm, "customers", write("c.csv", f"Name,Customer ID\nAcme again,{'R' * 130}\n"))

    assert report.skipped == 0
    assert [(e.row, e.column) for e in report.errors] == [(2, "Customer ID")]


def test_the_objects_an_import_finds_are_kept_from_the_collector_only_while_it_runs(crm, write):
    frozen_during: list[int] = []
    path = write("c.csv", "Name\nA\nB\n")

    run_import(crm, "customers", path, progress=lambda report: frozen_during.append(gc.get_freeze_count()))

    assert frozen_during and min(frozen_during) > 0
    assert gc.get_freeze_count() == 0


def test_an_import_leaves_a_process_that_freezes_objects_itself_to_its_own_policy(crm, write):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        run_import(crm, "customers", write("c.csv", "Name\nA\n"))
        assert 0 < gc.get_freeze_count() <= frozen  # some frozen objects are freed meanwhile, none is added
    finally:
        gc.unfreeze()
