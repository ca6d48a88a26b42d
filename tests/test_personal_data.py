"""People's rights over their data: a complete export and an erase that keeps the business figures."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from crmcore.models import AuditEntry, Deal
from tests.sample_plugins.recorder import add_note


def customer_with_history(crm):
    services = crm.services
    customer = services.customers.create({"name": "Иван Петров", "email": "ivan@example.com", "kind": "person"})
    contact = services.contacts.create({"customer_id": customer.id, "first_name": "Иван",
                                        "emails": ["ivan.p@example.com"], "phones": ["+74951234567"]})
    services.touchpoints.record({"customer_id": customer.id, "contact_id": contact.id, "channel": "phone",
                                 "subject": "Asked about his order", "notes": "Lives at Tverskaya 1"})
    services.deals.create({"customer_id": customer.id, "title": "Order 1", "status": "won", "amount": "150.00"})
    return customer


def test_hook_personal_data_export_gathers_what_the_core_and_plugins_hold(recording_crm):
    customer = customer_with_history(recording_crm)
    add_note(recording_crm, customer.id, "prefers calls")

    exported = recording_crm.services.personal_data.export(customer.id)

    assert exported["customer"]["email"] == "ivan@example.com"
    assert exported["contacts"][0]["points"][0]["value"] == "ivan.p@example.com"
    assert exported["touchpoints"][0]["notes"] == "Lives at Tverskaya 1"
    assert exported["deals"][0]["amount"] == "150.00"
    assert exported["plugins"] == {"recorder": {"notes": ["prefers calls"]}}


def test_hook_personal_data_erase_anonymises_and_keeps_the_figures(recording_crm):
    customer = customer_with_history(recording_crm)
    add_note(recording_crm, customer.id, "prefers calls")

    recording_crm.services.personal_data.erase(customer.id)

    exported = recording_crm.services.personal_data.export(customer.id)
    text = str(exported)
    for personal in ("Иван", "ivan@example.com", "ivan.p@example.com", "+74951234567", "Tverskaya"):
        assert personal not in text
    assert exported["plugins"] == {"recorder": {"notes": ["(erased)"]}}
    with recording_crm.db.session() as session:
        assert session.scalar(select(Deal.amount)) == Decimal("150.00")
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == customer.id)).all()
    assert "personal_data_erase" in actions and "personal_data_export" in actions


def test_staff_may_not_export_personal_data(crm, make_user):
    import pytest

    from crmcore.errors import PermissionDenied

    customer = crm.services.customers.create({"name": "Acme"})
    with pytest.raises(PermissionDenied):
        crm.services.personal_data.export(customer.id, actor=make_user("staff"))
