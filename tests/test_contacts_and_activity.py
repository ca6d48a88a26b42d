"""Contacts, the timeline of touchpoints, and tasks."""

from __future__ import annotations

import pytest

from crmcore.errors import ValidationFailed
from tests.conftest import event_names


@pytest.fixture
def customer(crm):
    return crm.services.customers.create({"name": "Acme", "country": "UA"})


def test_hook_contact_created_with_emails_and_local_phones_normalised(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Світанок", "country": "UA"})
    calls.clear()

    contact = recording_crm.services.contacts.create({
        "customer_id": customer.id, "first_name": "Олена", "middle_name": "Петрівна", "last_name": "Шевченко",
        "emails": ["Olena@Svitanok.example"], "phones": ["044 123 4567"],
        "messengers": [{"kind": "telegram", "value": "@olena"}],
    })

    assert event_names(calls) == ["contact_created"]
    assert contact.full_name == "Олена Петрівна Шевченко"
    assert contact.emails == ["olena@svitanok.example"]
    assert contact.phones == ["+380441234567"]


def test_a_contact_needs_an_existing_customer(crm):
    with pytest.raises(ValidationFailed) as refused:
        crm.services.contacts.create({"customer_id": 12345, "first_name": "Ann"})

    assert "customer_id" in refused.value.errors


def test_an_invalid_phone_among_several_names_its_position(crm, customer):
    with pytest.raises(ValidationFailed) as refused:
        crm.services.contacts.create({"customer_id": customer.id, "first_name": "Ann",
                                      "phones": ["+380441234567", "call me"]})

    assert "phones" in str(refused.value.errors)


def test_hook_contact_updated_with_the_changed_fields(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    contact = recording_crm.services.contacts.create({"customer_id": customer.id, "first_name": "Ann"})
    calls.clear()

    recording_crm.services.contacts.update(contact.id, {"position": "Buyer"})

    assert event_names(calls) == ["contact_updated"]
    assert calls[0][1]["changes"] == {"position": (None, "Buyer")}


def test_hook_contact_deleted_names_the_customer(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    contact = recording_crm.services.contacts.create({"customer_id": customer.id, "first_name": "Ann"})
    calls.clear()

    recording_crm.services.contacts.delete(contact.id)

    assert event_names(calls) == ["contact_deleted"]
    assert calls[0][1]["customer_id"] == customer.id and calls[0][1]["contact_id"] == contact.id


def test_hook_touchpoint_recorded_on_the_customer_timeline(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    calls.clear()

    touchpoint = recording_crm.services.touchpoints.record({
        "customer_id": customer.id, "channel": "phone", "direction": "inbound", "subject": "Asked for prices",
        "occurred_at": "2026-03-01T10:00:00+03:30",
    })

    assert event_names(calls) == ["touchpoint_recorded"]
    assert touchpoint.channel.value == "phone" and touchpoint.occurred_at.utcoffset() is not None


def test_a_touchpoint_cannot_link_another_customers_contact(crm, customer):
    other = crm.services.customers.create({"name": "Other"})
    stranger = crm.services.contacts.create({"customer_id": other.id, "first_name": "Bob"})

    with pytest.raises(ValidationFailed) as refused:
        crm.services.touchpoints.record({"customer_id": customer.id, "contact_id": stranger.id, "channel": "email"})

    assert "contact_id" in refused.value.errors


def test_an_unknown_channel_is_refused(crm, customer):
    with pytest.raises(ValidationFailed) as refused:
        crm.services.touchpoints.record({"customer_id": customer.id, "channel": "pigeon"})

    assert "channel" in refused.value.errors


def test_hook_task_created_assigns_the_creator_by_default(recording_crm, calls, make_user):
    owner = make_user("staff")
    customer = recording_crm.services.customers.create({"name": "Acme"})
    calls.clear()

    task = recording_crm.services.tasks.create({"title": "Call back", "customer_id": customer.id,
                                                "due_on": "2026-12-01"}, actor=owner)

    assert event_names(calls) == ["task_created"]
    assert task.assignee_id == owner.id


def test_hook_task_updated_with_the_new_due_date(recording_crm, calls):
    task = recording_crm.services.tasks.create({"title": "Call back", "due_on": "2026-12-01"})
    calls.clear()

    recording_crm.services.tasks.update(task.id, {"due_on": "2026-12-02"})

    assert event_names(calls) == ["task_updated"]
    assert [str(v) for v in calls[0][1]["changes"]["due_on"]] == ["2026-12-01", "2026-12-02"]


def test_hook_task_completed_once(recording_crm, calls):
    task = recording_crm.services.tasks.create({"title": "Call back"})
    calls.clear()

    done = recording_crm.services.tasks.complete(task.id)
    recording_crm.services.tasks.complete(task.id)

    assert event_names(calls) == ["task_completed"]
    assert done.done_at is not None
