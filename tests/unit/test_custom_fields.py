"""The rules of custom field values, phone numbers and customer numbers, without AWS."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pforte.contacts import imports
from pforte.contacts import service as contacts
from pforte.contacts.service import ContactCreate, ContactPatch, ContactRules, ContactStatus, ProfilePatch
from pforte.core.errors import DomainError, ErrorCode
from pforte.core.fields import Language
from pforte.core.identity import Actor, Customer, Role
from pforte.core.phones import to_e164
from pforte.customfields.service import (
    KEY_PATTERN,
    CustomValues,
    FieldDefinition,
    FieldType,
    check_values,
    from_text,
    shown,
    to_text,
)
from tests.fakes import InMemoryContacts, InMemoryImportStore

TIER = FieldDefinition(key="tier", label="Tarif", type=FieldType.ENUM, options=["basic", "pro"])
SEATS = FieldDefinition(key="seats", label="Plätze", type=FieldType.NUMBER)
VIP = FieldDefinition(key="vip", label="VIP", type=FieldType.BOOLEAN, customer_editable=True)
SINCE = FieldDefinition(key="since", label="Seit", type=FieldType.DATE)
NOTE = FieldDefinition(key="note", label="Notiz", type=FieldType.STRING, required=True)
ALL = (TIER, SEATS, VIP, SINCE, NOTE)
ADMIN = Actor(tenant_id="acme", user_id="u1", role=Role.ADMIN)


def failing(error: DomainError) -> list[str]:
    assert error.code is ErrorCode.VALIDATION_ERROR
    return sorted(detail.field for detail in error.details)


def test_given_values_are_merged_into_the_stored_and_null_removes() -> None:
    stored: CustomValues = {"tier": "basic", "note": "x", "gone": 1}
    result = check_values(ALL, {"tier": "pro", "seats": 2, "vip": None}, stored)
    assert result == {"tier": "pro", "seats": 2, "note": "x", "gone": 1}  # an undefined key stays, hidden


@pytest.mark.parametrize(
    ("given", "paths"),
    [
        ({"nope": 1}, ["custom.nope"]),
        ({"tier": "gold"}, ["custom.tier"]),
        ({"seats": True}, ["custom.seats"]),
        ({"seats": float("inf")}, ["custom.seats"]),
        ({"seats": 1e16}, ["custom.seats"]),
        ({"vip": 1}, ["custom.vip"]),
        ({"since": "2024-2-1"}, ["custom.since"]),
        ({"since": 20240201}, ["custom.since"]),
        ({"note": "a\x00b"}, ["custom.note"]),
        ({"note": None}, ["custom.note"]),  # required: cannot be removed
        ({"note": "  "}, ["custom.note"]),
    ],
)
def test_values_that_do_not_fit_name_their_path(given: dict[str, Any], paths: list[str]) -> None:
    with pytest.raises(DomainError) as error:
        check_values(ALL, given, {"note": "x"})
    assert failing(error.value) == paths


def test_a_required_field_must_have_a_value_after_the_change() -> None:
    with pytest.raises(DomainError) as error:
        check_values(ALL, {"tier": "pro"}, None)
    assert failing(error.value) == ["custom.note"]
    assert check_values(ALL, {"note": "n"}, None) == {"note": "n"}


def test_only_editable_keys_may_be_given_and_only_their_requirement_counts() -> None:
    assert check_values(ALL, {"vip": True}, {}, editable=["vip"]) == {
        "vip": True
    }  # note required, not theirs
    with pytest.raises(DomainError) as error:
        check_values(ALL, {"tier": "pro"}, {}, editable=["vip"])
    assert failing(error.value) == ["custom.tier"]


def test_shown_values_are_those_of_defined_fields_that_still_fit() -> None:
    stored: CustomValues = {"tier": "gold", "seats": 3, "gone": "x", "vip": True}
    assert shown(ALL, stored) == {"seats": 3, "vip": True}
    assert shown(ALL, stored, only=["vip"]) == {"vip": True}


@pytest.mark.parametrize(
    ("definition", "cell", "value"),
    [
        (SEATS, "12", 12),
        (SEATS, "12,5", 12.5),
        (SEATS, "-0.25", -0.25),
        (SEATS, "1.234,5", "1.234,5"),  # not read: refused by the check with its reason
        (VIP, "Ja", True),
        (VIP, "nein", False),
        (VIP, "vielleicht", "vielleicht"),
        (SINCE, "1.2.2024", "2024-02-01"),
        (SINCE, "2024-02-01", "2024-02-01"),
        (NOTE, "  text ", "text"),
        (TIER, "", None),
    ],
)
def test_csv_cells_read_as_their_fields_type(definition: FieldDefinition, cell: str, value: object) -> None:
    assert from_text(definition, cell) == value


@given(
    st.one_of(
        st.tuples(st.just(SEATS), st.integers(min_value=-(10**15), max_value=10**15)),
        st.tuples(st.just(SEATS), st.floats(min_value=-1e15, max_value=1e15, allow_nan=False)),
        st.tuples(st.just(VIP), st.booleans()),
        st.tuples(st.just(SINCE), st.dates(min_value=date(1000, 1, 1)).map(date.isoformat)),
        st.tuples(st.just(TIER), st.sampled_from(["basic", "pro"])),
    )
)
def test_what_the_export_writes_the_import_reads_back(case: tuple[FieldDefinition, Any]) -> None:
    definition, value = case
    assert from_text(definition, to_text(value)) == value


@pytest.mark.parametrize(
    "data",
    [
        {"key": "Tier", "label": "x", "type": "string"},
        {"key": "customer_number", "label": "x", "type": "string"},
        {"key": "a", "label": "x", "type": "enum"},
        {"key": "a", "label": "x", "type": "number", "options": ["1"]},
    ],
)
def test_bad_definitions(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FieldDefinition.model_validate(data)


def test_no_key_can_stand_for_a_column_of_the_contact_itself() -> None:
    names = {name for names in imports._HEADERS.values() for name in names} | set(imports._HEADERS)
    keys = {name.replace(" ", "_") for name in names if re.fullmatch(KEY_PATTERN, name.replace(" ", "_"))}
    assert "phone_number" in keys
    for key in keys:
        with pytest.raises(ValidationError):
            FieldDefinition(key=key, label="x", type=FieldType.STRING)


# --- phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("030 1234567", "DE", "+49301234567"),
        ("01 5123456", "AT", "+4315123456"),
        ("044 668 18 00", "CH", "+41446681800"),
        ("+49 30 1234567", "CH", "+49301234567"),
    ],
)
def test_phone_numbers_in_e164(raw: str, region: str, e164: str) -> None:
    assert to_e164(raw, region) == e164


@pytest.mark.parametrize("raw", ["", "abc", "12", "+1 000"])
def test_what_is_no_phone_number(raw: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        to_e164(raw, "DE")


# --- the contact's services on fakes ----------------------------------------------------------------


def test_create_and_change_apply_the_tenants_rules() -> None:
    repo = InMemoryContacts()
    rules = ContactRules(region="CH", fields=(TIER,))
    data = ContactCreate(name="Anna", email="anna@example.com", phone="044 668 18 00", custom={"tier": "pro"})
    contact = contacts.create_contact(repo, ADMIN, data, Language.DE, rules)
    assert (contact.phone, contact.custom) == ("+41446681800", {"tier": "pro"})
    with pytest.raises(DomainError) as error:
        contacts.update_contact(repo, ADMIN, contact.id, ContactPatch(phone="030 1234567"), rules=rules)
    assert error.value.code is ErrorCode.INVALID_PHONE


def test_customer_numbers_are_claimed_per_tenant() -> None:
    repo = InMemoryContacts()
    data = ContactCreate(name="Anna", email="anna@example.com", customer_number="K-1")
    contacts.create_contact(repo, ADMIN, data, Language.DE)
    with pytest.raises(DomainError) as error:
        contacts.create_contact(
            repo,
            ADMIN,
            ContactCreate(name="Ben", email="ben@example.com", customer_number="k-1"),
            Language.DE,
        )
    assert error.value.code is ErrorCode.CUSTOMER_NUMBER_TAKEN


def test_a_profile_change_passes_only_the_customers_fields() -> None:
    repo = InMemoryContacts()
    rules = ContactRules(fields=(TIER, VIP))
    contact = contacts.create_contact(
        repo, ADMIN, ContactCreate(name="Anna", email="a@example.com"), Language.DE
    )
    repo.items[("acme", contact.id)] = contact.model_copy(update={"status": ContactStatus.ACTIVE})
    customer = Customer(tenant_id="acme", contact_id=contact.id)
    changed = contacts.update_profile(
        repo, customer, ProfilePatch(name="Anna B.", custom={"vip": True}), rules
    )
    assert (changed.name, changed.custom) == ("Anna B.", {"vip": True})
    with pytest.raises(DomainError) as error:
        contacts.update_profile(repo, customer, ProfilePatch(custom={"tier": "pro"}), rules)
    assert failing(error.value) == ["custom.tier"]
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({"email": "b@example.com"})


# --- the import's customer numbers ----------------------------------------------------------------


def _rows(*cells: tuple[str, str, str]) -> Any:
    for line, (name, email, number) in enumerate(cells, start=2):
        yield line, {"name": name, "email": email, "customer_number": number}


def test_a_customer_number_repeated_in_the_file_fails_the_later_row() -> None:
    store = InMemoryImportStore(InMemoryContacts())
    report = imports.import_contacts(
        store,
        "acme",
        _rows(("A", "a@example.com", "K-1"), ("B", "b@example.com", "k-1"), ("C", "c@example.com", "")),
        Language.DE,
    )
    assert (report.imported, report.failed_rows) == (2, 1)
    assert [(error.line, error.code) for error in report.errors] == [(3, "customer_number_taken")]


def test_a_resumed_import_remembers_the_numbers_before() -> None:
    store = InMemoryImportStore(InMemoryContacts())
    resume = imports.Resume(line=2, report=imports.ImportReport(imported=1))
    report = imports.import_contacts(
        store,
        "acme",
        _rows(("A", "a@example.com", "K-1"), ("B", "b@example.com", "K-1")),
        Language.DE,
        resume=resume,
    )
    assert (report.imported, report.failed_rows) == (1, 1)
