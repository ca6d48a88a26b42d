"""Recognising which file column holds which field, and letting the user correct it."""

from __future__ import annotations

import pytest

from crmcore.importing import IMPORT_KINDS, MappingError, parse_mapping_args, resolve_mapping
from crmcore.importing.mapping import header_key


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-mail", "email"),
        ("Email address", "email"),
        ("EMAIL_ADDRESS", "email"),
        ("Эл. почта", "email"),
        ("Електронна пошта", "email"),
        ("ایمیل", "email"),
        ("Phone", "phone"),
        ("Телефон", "phone"),
        ("Номер телефону", "phone"),
        ("تلفن", "phone"),
        ("شماره تماس", "phone"),
        ("Company", "company"),
        ("Компания", "company"),
        ("Компанія", "company"),
        ("شرکت", "company"),
    ],
)
def test_headers_in_four_languages_are_recognised(header, field):
    assert resolve_mapping("leads", [header]).fields == {field: header}


def test_recognition_ignores_case_spaces_underscores_and_punctuation():
    mapping = resolve_mapping("deals", ["  EXPECTED_close-DATE ", "Deal Name"])
    assert mapping.fields == {"title": "Deal Name", "expected_close_on": "  EXPECTED_close-DATE "}


def test_persian_headers_typed_with_arabic_letter_forms_are_recognised():
    assert resolve_mapping("contacts", ["نام خانوادگي"]).fields == {"last_name": "نام خانوادگي"}


def test_a_fields_own_name_is_preferred_to_its_synonyms():
    mapping = resolve_mapping("customers", ["Company", "Name"])
    assert mapping.fields["name"] == "Name"
    assert mapping.unmapped == ("Company",)


def test_explicit_mapping_overrides_the_guess():
    mapping = resolve_mapping("leads", ["Email", "Work email"], {"email": "Work email"})
    assert mapping.fields["email"] == "Work email"
    assert mapping.unmapped == ("Email",)


def test_explicit_mapping_matches_a_column_loosely_when_unambiguous():
    assert resolve_mapping("leads", ["Work E-mail"], {"email": "work email"}).fields == {"email": "Work E-mail"}


def test_explicit_mapping_to_a_missing_column_names_it_and_the_available_ones():
    with pytest.raises(MappingError, match=r"column 'Mail' given for email is not in the file; columns: Name, Tel"):
        resolve_mapping("leads", ["Name", "Tel"], {"email": "Mail"})


def test_explicit_mapping_of_an_unknown_field_lists_the_fields():
    with pytest.raises(MappingError, match=r"unknown field 'fax' for leads; fields: name, email"):
        resolve_mapping("leads", ["Fax"], {"fax": "Fax"})


def test_an_empty_explicit_column_keeps_a_field_unmapped():
    mapping = resolve_mapping("leads", ["Name", "Email"], {"email": ""})
    assert mapping.fields == {"name": "Name"}
    assert mapping.unmapped == ("Email",)


def test_unknown_columns_are_reported_in_file_order_for_custom_fields():
    mapping = resolve_mapping("customers", ["Loyalty tier", "Name", "Favourite colour"])
    assert mapping.unmapped == ("Loyalty tier", "Favourite colour")


def test_missing_required_fields_are_reported():
    assert resolve_mapping("deals", ["Amount"]).missing == ("title", "customer")


def test_a_full_name_column_stands_in_for_a_contacts_first_name():
    mapping = resolve_mapping("contacts", ["Company", "Full name"])
    assert mapping.missing == ()
    assert mapping.fields == {"customer": "Company", "name": "Full name"}


def test_transactions_need_an_amount_or_a_unit_price():
    assert "amount" in resolve_mapping("transactions", ["Date", "Customer"]).missing
    assert resolve_mapping("transactions", ["Date", "Customer", "Price"]).missing == ()


def test_unknown_import_kind():
    with pytest.raises(MappingError, match="unknown import kind 'orders'; kinds: customers, contacts"):
        resolve_mapping("orders", [])


def test_apply_keys_a_rows_values_by_field():
    mapping = resolve_mapping("leads", ["E-mail", "Имя", "Note"])
    row = {"E-mail": "a@example.com", "Имя": "Анна", "Note": None}
    assert mapping.apply(row) == {"name": "Анна", "email": "a@example.com", "notes": None}


def test_mapping_arguments_from_a_command_line():
    assert parse_mapping_args(["email=Work E-mail", " phone = Tel=1 "]) == {"email": "Work E-mail", "phone": "Tel=1"}
    with pytest.raises(MappingError, match="expected field=Column, got 'email'"):
        parse_mapping_args(["email"])


@pytest.mark.parametrize("kind", sorted(IMPORT_KINDS))
def test_no_header_is_claimed_by_two_fields_of_one_kind(kind):
    owners: dict[str, str] = {}
    for target in IMPORT_KINDS[kind]:
        for text in (target.name, *target.synonyms):
            key = header_key(text)
            assert owners.setdefault(key, target.name) == target.name, f"{text!r} in {owners[key]} and {target.name}"


@pytest.mark.parametrize("kind", sorted(set(IMPORT_KINDS) - {"leads"}))
def test_every_kind_but_leads_has_required_fields_that_exist(kind):
    names = {target.name for target in IMPORT_KINDS[kind]}
    assert any(target.required for target in IMPORT_KINDS[kind])
    for target in IMPORT_KINDS[kind]:
        assert set(target.satisfied_by) <= names


def test_leads_need_no_identity_column_so_anonymised_lists_import_too():
    assert resolve_mapping("leads", ["MOSTYPE", "Purchase"]).missing == ()
    assert resolve_mapping("leads", ["MOSTYPE", "Purchase"]).fields == {"outcome": "Purchase"}


@pytest.mark.parametrize("kind", sorted(IMPORT_KINDS))
def test_satisfied_by_names_fields_of_the_same_kind(kind):
    names = {target.name for target in IMPORT_KINDS[kind]}
    for target in IMPORT_KINDS[kind]:
        assert set(target.satisfied_by) <= names
