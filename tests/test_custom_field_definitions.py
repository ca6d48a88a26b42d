"""Admins define typed custom fields; customers' values are validated against them."""

from __future__ import annotations

import pytest

from crmcore.errors import PermissionDenied, ValidationFailed


def test_an_admin_defines_a_choice_field_that_customers_must_respect(crm, make_user):
    admin = make_user("admin")

    crm.services.custom_fields.create({"key": "segment", "label": "Segment", "type": "choice",
                                       "choices": ["smb", "enterprise"]}, actor=admin)

    assert crm.services.customers.create({"name": "A", "custom_fields": {"segment": "smb"}}).custom_fields == {
        "segment": "smb"}
    with pytest.raises(ValidationFailed) as refused:
        crm.services.customers.create({"name": "B", "custom_fields": {"segment": "huge"}})
    assert "custom_fields.segment" in refused.value.errors


@pytest.mark.parametrize(("data", "field"), [
    ({"key": "Bad Key", "label": "x"}, "key"),
    ({"key": "size", "label": "Size", "type": "colour"}, "type"),
    ({"key": "size", "label": "Size", "type": "choice"}, "choices"),
    ({"key": "size"}, "label"),
])
def test_a_bad_definition_is_refused_naming_the_field(crm, data, field):
    with pytest.raises(ValidationFailed) as refused:
        crm.services.custom_fields.create(data)

    assert field in refused.value.errors


def test_a_key_cannot_be_defined_twice(crm):
    crm.services.custom_fields.create({"key": "employees", "label": "Employees", "type": "integer"})

    with pytest.raises(ValidationFailed, match="exists"):
        crm.services.custom_fields.create({"key": "employees", "label": "Staff", "type": "integer"})


def test_the_type_of_an_existing_field_cannot_change(crm):
    definition = crm.services.custom_fields.create({"key": "employees", "label": "Employees", "type": "integer"})

    with pytest.raises(ValidationFailed) as refused:
        crm.services.custom_fields.update(definition.id, {"type": "text"})

    assert "type" in refused.value.errors
    assert crm.services.custom_fields.update(definition.id, {"label": "Headcount"}).label == "Headcount"


def test_values_of_a_removed_field_do_not_block_later_changes(crm):
    definition = crm.services.custom_fields.create({"key": "employees", "label": "Employees", "type": "integer"})
    crm.services.custom_fields.create({"key": "region", "label": "Region"})
    customer = crm.services.customers.create({"name": "A", "custom_fields": {"employees": 12}})

    crm.services.custom_fields.delete(definition.id)
    updated = crm.services.customers.update(customer.id, {"custom_fields": {"region": "north"}})

    assert updated.custom_fields == {"region": "north"}


def test_only_admins_define_custom_fields(crm, make_user):
    with pytest.raises(PermissionDenied):
        crm.services.custom_fields.create({"key": "k", "label": "K"}, actor=make_user("manager"))
