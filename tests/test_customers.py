"""Customers: validation, one transaction per change, events after commit, the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crmcore.errors import Conflict, NotFound, ValidationFailed
from crmcore.models import AuditEntry, Contact, Customer, Deal, Task, Touchpoint
from tests.conftest import event_names


def count(crm, model) -> int:
    with crm.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_hook_customer_created_receives_the_committed_customer(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme Ltd", "country": "gb"})

    assert event_names(calls) == ["customer_created"]
    received = calls[0][1]["customer"]
    assert received.id == customer.id and received.name == "Acme Ltd"
    assert customer.country == "GB"
    assert count(recording_crm, Customer) == 1


def test_names_in_persian_and_cyrillic_are_kept_as_typed(crm):
    persian = crm.services.customers.create({"name": "شرکت بازرگانی آریا"})
    cyrillic = crm.services.customers.create({"name": "ТОВ «Світанок»"})

    assert crm.services.customers.get(persian.id).name == "شرکت بازرگانی آریا"
    assert crm.services.customers.get(cyrillic.id).name == "ТОВ «Світанок»"


def test_phone_typed_with_persian_digits_is_stored_as_e164(crm):
    customer = crm.services.customers.create({"name": "Aria", "country": "IR", "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷"})

    assert customer.phone == "+989121234567"


def test_email_is_stored_normalised(crm):
    customer = crm.services.customers.create({"name": "Aria", "email": "  Sales@Aria.Example.COM "})

    assert customer.email == "sales@aria.example.com"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x", "email": "not-an-email"}, "email"),
        ({"name": "x", "phone": "12"}, "phone"),
        ({"name": "x", "country": "Iran"}, "country"),
        ({"name": "x" * 10_000_000}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x", "owner_id": "7"}, "owner_id"),
        ({"name": "x", "owner_id": 999}, "owner_id"),
        ({"name": "x", "lifecycle_stage": "vip"}, "lifecycle_stage"),
        ({"name": "x", "nmae": "typo"}, "nmae"),
        ({"name": "x", "lifecycle_stage": "former"}, "churn_reason"),
        ({"name": "x\x00y"}, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(recording_crm, calls, data, field):
    with pytest.raises(ValidationFailed) as refused:
        recording_crm.services.customers.create(data)

    assert field in refused.value.errors
    assert count(recording_crm, Customer) == 0
    with recording_crm.db.session() as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.entity == "customer")).all() == []
    assert calls == []


def test_refused_update_leaves_the_record_as_it_was(crm):
    customer = crm.services.customers.create({"name": "Acme", "email": "a@acme.example"})

    with pytest.raises(ValidationFailed):
        crm.services.customers.update(customer.id, {"name": "Acme 2", "email": "broken"})

    assert crm.services.customers.get(customer.id).name == "Acme"


def test_hook_customer_updated_lists_old_and_new_values(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    calls.clear()

    recording_crm.services.customers.update(customer.id, {"name": "Acme Group", "industry": "retail"})

    assert event_names(calls) == ["customer_updated"]
    assert calls[0][1]["changes"] == {"name": ("Acme", "Acme Group"), "industry": (None, "retail")}


def test_an_update_that_changes_nothing_fires_no_event(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    calls.clear()

    recording_crm.services.customers.update(customer.id, {"name": "Acme"})

    assert calls == []


def test_a_stale_version_cannot_overwrite_a_newer_change(crm):
    customer = crm.services.customers.create({"name": "Acme"})
    read_version = customer.version
    crm.services.customers.update(customer.id, {"name": "Acme by Alice"}, expected_version=read_version)

    with pytest.raises(Conflict):
        crm.services.customers.update(customer.id, {"name": "Acme by Bob"}, expected_version=read_version)

    assert crm.services.customers.get(customer.id).name == "Acme by Alice"


def test_every_change_is_written_to_the_audit_log(crm, make_user):
    admin = make_user("admin")
    customer = crm.services.customers.create({"name": "Acme"}, actor=admin)
    crm.services.customers.update(customer.id, {"name": "Acme Group"}, actor=admin)

    with crm.db.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "customer")
                                  .order_by(AuditEntry.id)).all()
    assert [(e.action, e.user_id) for e in entries] == [("create", admin.id), ("update", admin.id)]
    assert entries[1].changes == {"name": ["Acme", "Acme Group"]}


def test_a_former_customer_keeps_the_reason_they_left(crm):
    customer = crm.services.customers.create({"name": "Acme", "lifecycle_stage": "customer"})

    crm.services.customers.update(customer.id, {"lifecycle_stage": "former", "churn_reason": "moved abroad"})

    stored = crm.services.customers.get(customer.id)
    assert stored.churn_reason == "moved abroad" and stored.churned_at is not None


def test_tags_are_created_once_and_shared(crm):
    first = crm.services.customers.create({"name": "A", "tags": ["vip", "partner"]})
    second = crm.services.customers.create({"name": "B", "tags": ["vip"]})

    assert sorted(t.name for t in first.tags) == ["partner", "vip"]
    assert [t.id for t in second.tags if t.name == "vip"] == [t.id for t in first.tags if t.name == "vip"]


def test_hook_consent_changed_when_consent_is_withdrawn(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme", "marketing_consent": True})
    calls.clear()

    recording_crm.services.customers.set_consent(customer.id, False, source="phone call")

    assert "consent_changed" in event_names(calls)
    consent = dict(calls)["consent_changed"]
    assert consent["given"] is False and consent["source"] == "phone call"


def test_hook_customer_deleted_and_everything_of_the_customer_goes(recording_crm, calls):
    services = recording_crm.services
    customer = services.customers.create({"name": "Acme"})
    contact = services.contacts.create({"customer_id": customer.id, "first_name": "Ann"})
    services.touchpoints.record({"customer_id": customer.id, "contact_id": contact.id, "channel": "phone"})
    services.deals.create({"customer_id": customer.id, "title": "Order"})
    services.tasks.create({"customer_id": customer.id, "title": "Call back"})
    calls.clear()

    services.customers.delete(customer.id)

    assert event_names(calls) == ["customer_deleted"]
    assert calls[0][1]["customer_id"] == customer.id
    for model in (Customer, Contact, Touchpoint, Deal, Task):
        assert count(recording_crm, model) == 0
    with pytest.raises(NotFound):
        services.customers.get(customer.id)


def test_hook_customers_merged_and_the_duplicate_records_move_to_the_kept_customer(recording_crm, calls):
    services = recording_crm.services
    kept = services.customers.create({"name": "Acme", "tags": ["vip"]})
    duplicate = services.customers.create({"name": "ACME Ltd", "email": "info@acme.example", "tags": ["partner"]})
    services.contacts.create({"customer_id": duplicate.id, "first_name": "Ann"})
    services.touchpoints.record({"customer_id": duplicate.id, "channel": "email"})
    services.deals.create({"customer_id": duplicate.id, "title": "Order"})
    services.tasks.create({"customer_id": duplicate.id, "title": "Call back"})
    calls.clear()

    merged = services.customers.merge(kept.id, duplicate.id)

    assert merged.email == "info@acme.example"
    assert sorted(t.name for t in merged.tags) == ["partner", "vip"]
    assert "customers_merged" in event_names(calls)
    assert dict(calls)["customers_merged"]["merged_id"] == duplicate.id
    with recording_crm.db.session() as session:
        for model in (Contact, Touchpoint, Deal, Task):
            assert session.scalar(select(func.count()).select_from(model).where(model.customer_id == kept.id)) == 1
        assert session.get(Customer, duplicate.id) is None


def test_custom_fields_are_typed_and_validated(crm):
    from crmcore.models import CustomField

    with crm.db.session() as session:
        session.add(CustomField(key="employees", label="Employees", type="integer"))
        session.add(CustomField(key="segment", label="Segment", type="choice", choices=["smb", "enterprise"]))

    customer = crm.services.customers.create({"name": "Acme", "custom_fields": {"employees": "۲۵"}})
    assert customer.custom_fields == {"employees": 25}

    with pytest.raises(ValidationFailed) as refused:
        crm.services.customers.create({"name": "B", "custom_fields": {"segment": "huge", "colour": "red"}})
    assert set(refused.value.errors) == {"custom_fields.segment", "custom_fields.colour"}


def test_merge_fields_combine_the_core_and_enabled_plugins(recording_crm):
    from tests.sample_plugins.recorder import add_note

    customer = recording_crm.services.customers.create({"name": "Acme", "city": "Kyiv"})
    add_note(recording_crm, customer.id, "likes green")

    fields = recording_crm.services.customers.merge_fields([customer.id])

    assert fields[customer.id]["name"] == "Acme"
    assert fields[customer.id]["recorder_note"] == "likes green"


def test_hook_customer_merge_fields_is_not_asked_of_a_disabled_plugin(recording_crm):
    from tests.sample_plugins.recorder import add_note

    customer = recording_crm.services.customers.create({"name": "Acme"})
    add_note(recording_crm, customer.id, "likes green")
    recording_crm.plugins.disable("recorder")

    assert "recorder_note" not in recording_crm.services.customers.merge_fields([customer.id])[customer.id]
