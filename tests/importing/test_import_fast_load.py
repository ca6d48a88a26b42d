"""The import validates rows with FastLoader: for any record it must give exactly what the schema's own load gives,
the same values or the same errors, so that the schemas stay the one definition of what is valid."""

from __future__ import annotations

import random
from typing import Any
from unittest import mock

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, post_load, validates, validates_schema

from crmcore.schemas import ContactSchema, CustomerSchema
from crmcore.schemas.fast_load import FastLoader

EXAMPLES = 600
#: The share of good values: a record of several fields is then valid often enough for the fast path itself to
#: be compared, and refused often enough for its fallback to be. (Hypothesis's own choices favour the edges, so
#: the record's choices are made with a generator seeded with a number it draws.)
GOOD_SHARE = 0.93

PLAIN = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=16)
NAME = PLAIN.filter(str.strip)
BAD_TEXT = st.sampled_from(["x" * 2001, 5, 1.5, True, ["a"], "a\x00b"])
EMAIL = st.one_of(st.emails(), st.sampled_from(["info@acme.example", " INFO@Acme.Example ", "jane@bücher.example"]))
BAD_EMAIL = st.sampled_from(["not-an-email", "a@b", "a..b@acme.example", "@acme.example", "x" * 250 + "@a.example"])
URL = st.sampled_from(["https://acme.example", "http://localhost:5000/x", "https://bücher.example/a?b=c", None])
BAD_URL = st.sampled_from(["not a url", "acme", "https://", 5])
COUNTRY = st.sampled_from(["UA", "gb", "IR", "ir", None])
BAD_COUNTRY = st.sampled_from(["U1", "Ukraine", "ΓΓ", "UKR", 5])
CONSENT = st.one_of(st.booleans(), st.sampled_from(["yes", "no", "true", "false", 1, 0]))
BAD_CONSENT = st.sampled_from(["maybe", 2, None, "да"])


def _phones() -> list[tuple[str, str | None]]:
    """Valid numbers of several countries written as people write them, with the country to read them in."""
    found = []
    for region in ("UA", "GB", "IR", "RU", "DE", "US", "AE", "PL"):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            number = phonenumbers.example_number_for_type(region, kind)
            for style in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL):
                found.append((phonenumbers.format_number(number, style), None))
            found.append((phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), region))
    return found


PHONE_IN_COUNTRY = st.sampled_from(_phones())
BAD_PHONE = st.sampled_from(["12", "call me", "9" * 41, "+999 123", "020 7946 0018", 5])


@st.composite
def mostly(draw: st.DrawFn, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
    return draw(good if chances(draw)() < GOOD_SHARE else bad)


def chances(draw: st.DrawFn) -> Any:
    return random.Random(draw(st.integers(0, 2**32))).random


def text(size: int = 16) -> st.SearchStrategy[Any]:
    return mostly(st.one_of(st.none(), PLAIN.map(lambda value: value[:size])), BAD_TEXT)


CUSTOMER_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "kind": mostly(st.sampled_from(["organisation", "person"]), st.sampled_from(["company", 1, None])),
    "legal_name": text(), "registration_id": text(), "tax_id": text(), "address": text(), "city": text(),
    "industry": text(), "cooperation_type": text(), "churn_reason": text(), "source": text(),
    "external_ref": text(), "consent_source": text(),
    "email": mostly(st.one_of(EMAIL, st.none()), BAD_EMAIL),
    "website": mostly(URL, BAD_URL), "photo_url": mostly(URL, BAD_URL),
    "sales_channel": mostly(st.sampled_from(["direct", "online", "wholesale", "custom_order", None]),
                            st.sampled_from(["nope", 5])),
    "services": mostly(st.lists(st.sampled_from(["information", "advertising", "service"]), max_size=3),
                       st.sampled_from([["x"], "service", ["service"] * 11])),
    "lifecycle_stage": mostly(st.sampled_from(["lead", "prospect", "customer", "former"]),
                              st.sampled_from(["gone", None, "LEAD"])),
    "owner_id": mostly(st.one_of(st.integers(1, 1000), st.none()), st.sampled_from(["1", 1.5, "x"])),
    "tags": mostly(st.lists(NAME, max_size=3), st.sampled_from([[""], "vip", [None], ["x" * 81]])),
    "custom_fields": mostly(st.dictionaries(PLAIN, PLAIN, max_size=2), st.sampled_from([{"k" * 61: 1}, "a"])),
    "marketing_consent": mostly(CONSENT, BAD_CONSENT),
}
CONTACT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "middle_name": text(), "last_name": text(), "position": text(),
    "photo_url": mostly(URL, BAD_URL),
    "birthday": mostly(st.one_of(st.dates().map(str), st.none()), st.sampled_from(["2024-02-30", "31.12.1990", 5])),
    "emails": mostly(st.lists(EMAIL, max_size=2), st.sampled_from([["bad"], "a@b.example", [None]])),
    "phones": mostly(st.lists(PHONE_IN_COUNTRY.map(lambda pair: pair[0]), max_size=2),
                     st.sampled_from([["9" * 41], "123", [None]])),
    "messengers": mostly(
        st.lists(st.fixed_dictionaries({"kind": st.sampled_from(["telegram", "viber", "other"]), "value": NAME},
                                       optional={"label": text()}), max_size=2),
        st.sampled_from([[{"kind": "fax", "value": "1"}], "x", [{"value": "1"}]])),
    "marketing_consent": mostly(CONSENT, BAD_CONSENT),
    "country": mostly(COUNTRY, BAD_COUNTRY),
}


@st.composite
def records(draw: st.DrawFn, required: dict[str, st.SearchStrategy[Any]],
            optional: dict[str, st.SearchStrategy[Any]], phone: bool) -> dict[str, Any]:
    """A record with its required fields (now and then one is left out), some of its optional ones, sometimes a
    phone with the country it is written for, and now and then a field no schema has."""
    chance = chances(draw)
    data = {name: draw(strategy) for name, strategy in required.items() if chance() < 0.97}
    data.update({name: draw(strategy) for name, strategy in optional.items() if chance() < 0.3})
    if phone and chance() < 0.5:
        number, region = draw(mostly(PHONE_IN_COUNTRY, BAD_PHONE.map(lambda value: (value, "GB"))))
        data["phone"] = number
        if region is not None or chance() < 0.5:
            data["country"] = region
    elif phone and chance() < 0.5:
        data["country"] = draw(mostly(COUNTRY, BAD_COUNTRY))
    if chance() < 0.03:
        data["nickname"] = draw(PLAIN)
    return data


CUSTOMERS = records({"name": mostly(NAME, BAD_TEXT)}, CUSTOMER_FIELDS, phone=True)
CONTACTS = records({"customer_id": mostly(st.integers(1, 10**6), st.sampled_from(["1", None, 1.5])),
                    "first_name": mostly(NAME, BAD_TEXT)}, CONTACT_FIELDS, phone=False)


def outcome(load: Any, data: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "loaded", load(data)
    except ValidationError as exc:
        return "refused", exc.messages


def assert_same(schema_class: type[Schema], data: dict[str, Any]) -> None:
    """The whole schema and, as the import uses it, the schema limited to the record's fields."""
    schemas = [schema_class()]
    if set(data) <= set(schema_class().fields):
        schemas.append(schema_class(only=sorted(data)))
    for schema in schemas:
        assert outcome(FastLoader(schema).load, data) == outcome(schema.load, data), data


@given(CUSTOMERS)
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_customers_load_as_the_schema_loads_them(data):
    assert_same(CustomerSchema, data)


@given(CONTACTS)
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_contacts_load_as_the_schema_loads_them(data):
    assert_same(ContactSchema, data)


@given(st.fixed_dictionaries({
    "name": st.text(min_size=1, max_size=40).filter(str.strip).filter(lambda s: "\x00" not in s),
    "email": st.emails(),
    "phone": st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"+38044{n:07d}"),
    "city": st.sampled_from(["Lviv", "Kyiv", " Odesa "]),
    "country": st.sampled_from(["UA", "ua"]),
}))
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_valid_rows_of_an_import_file_load_alike(data):
    """Rows like the benchmark's: nearly all valid, so the fast path itself is what is compared."""
    assert_same(CustomerSchema, data)


ABSENT = object()


@pytest.mark.parametrize("stage", ["lead", "former", "gone", None, ABSENT])
@pytest.mark.parametrize("reason", [None, "", "  ", "Moved away", ABSENT])
@pytest.mark.parametrize("website", ["https://acme.example", "nope", ABSENT])
def test_the_rule_for_a_former_customer_is_applied_alike(stage, reason, website):
    """Every combination for the schema-wide rule (a former customer needs a reason, unless a field failed)."""
    given_values = {"lifecycle_stage": stage, "churn_reason": reason, "website": website}
    assert_same(CustomerSchema, {"name": "Acme", **{k: v for k, v in given_values.items() if v is not ABSENT}})


def test_a_valid_record_does_not_go_through_the_schemas_load():
    schema = CustomerSchema(only=["country", "email", "name"])
    loader = FastLoader(schema)

    with mock.patch.object(schema, "load", wraps=schema.load) as load:
        values = loader.load({"name": " Acme ", "email": "INFO@acme.example", "country": "gb"})

    assert values == {"name": "Acme", "email": "info@acme.example", "country": "gb"}
    assert loader.replays and load.call_count == 0


@pytest.mark.parametrize(("data", "refused_fields"), [
    ({"name": "Acme", "country": "Ukraine", "website": "nope"}, {"country", "website"}),
    ({"name": "Acme", "lifecycle_stage": "former", "churn_reason": " "}, {"churn_reason"}),
])
def test_a_refused_record_gets_the_schemas_own_errors(data, refused_fields):
    schema = CustomerSchema()
    loader = FastLoader(schema)

    with pytest.raises(ValidationError) as refused, mock.patch.object(schema, "load", wraps=schema.load) as load:
        loader.load(data)

    assert load.call_count == 1
    assert set(refused.value.messages) == refused_fields
    assert outcome(loader.load, data) == outcome(CustomerSchema().load, data)


class Hooked(Schema):
    name = fields.String(required=True)

    @post_load
    def shout(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "name": data["name"].upper()}


class Validated(Schema):
    low = fields.Integer()
    high = fields.Integer(data_key="High")

    @validates("low")
    def _not_negative(self, value: int, **_: Any) -> None:
        if value < 0:
            raise ValidationError("Negative.")

    @validates_schema(pass_original=True)
    def _ordered(self, data: dict[str, Any], original: dict[str, Any], **_: Any) -> None:
        if "low" in data and "high" in data and data["low"] > data["high"]:
            raise ValidationError(f"Low above high ({original['High']}).", "low")


def test_a_schema_with_load_hooks_is_loaded_by_the_schema_itself():
    loader = FastLoader(Hooked())

    assert not loader.replays
    assert loader.load({"name": "acme"}) == {"name": "ACME"}


@given(st.fixed_dictionaries({}, optional={"low": mostly(st.integers(-5, 5), BAD_TEXT),
                                           "High": mostly(st.integers(-5, 5), BAD_TEXT), "high": PLAIN}))
@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_field_and_schema_validators_and_data_keys_are_replayed_as_the_schema_runs_them(data):
    assert FastLoader(Validated()).replays
    assert outcome(FastLoader(Validated()).load, data) == outcome(Validated().load, data)
