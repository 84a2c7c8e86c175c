"""The tenant's custom fields through the API: their definitions (admins), the values on contacts
checked against them, hidden once removed, required from then on, in the import and the export,
and the customer's own (PATCH /me)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.queues import QueueRunner
from tests.api.conftest import Api
from tests.api.test_exports import export_accounts, rows
from tests.api.test_import import upload
from tests.api.test_status import contact_in

FIELDS: list[dict[str, Any]] = [
    {"key": "tier", "label": "Tarif", "type": "enum", "options": ["basic", "pro"]},
    {"key": "seats", "label": "Plätze", "type": "number"},
    {"key": "newsletter", "label": "Newsletter", "type": "boolean", "customer_editable": True},
    {"key": "since", "label": "Kunde seit", "type": "date"},
    {"key": "note", "label": "Notiz", "type": "string", "customer_editable": True},
]


def define(api: Api, fields: list[dict[str, Any]]) -> Any:
    return api.request("PUT", "/tenant/custom-fields", json_body={"fields": fields})


def create(api: Api, email: str = "anna@example.com", **fields: Any) -> Any:
    return api.post("/contacts", {"name": "Anna", "email": email, **fields})


def paths(response: Any) -> list[str]:
    assert response.status == 422, response.text
    assert response.error_code == "validation_error"
    return sorted(detail["field"] for detail in response.body["error"]["details"])


# --- definitions --------------------------------------------------------------------------------


def test_admins_define_the_fields_and_staff_read_them(api: Api) -> None:
    assert api.get("/tenant/custom-fields").body == {"fields": [], "updated_at": None}
    stored = define(api, FIELDS)
    assert stored.status == 200, stored.text
    read = api.as_(role="operator").get("/tenant/custom-fields").body
    assert [field["key"] for field in read["fields"]] == ["tier", "seats", "newsletter", "since", "note"]
    assert read["fields"][0] == {
        "key": "tier",
        "label": "Tarif",
        "type": "enum",
        "options": ["basic", "pro"],
        "required": False,
        "customer_editable": False,
    }
    assert read["updated_at"].endswith("Z")
    # every tenant has its own
    assert api.as_("globex").get("/tenant/custom-fields").body["fields"] == []


def test_an_operator_may_not_define_fields(api: Api) -> None:
    response = define(api.as_(role="operator"), FIELDS)
    assert response.status == 403
    assert response.error_code == "forbidden"
    assert api.get("/tenant/custom-fields").body["fields"] == []


@pytest.mark.parametrize(
    "fields",
    [
        [{"key": "Tier", "label": "x", "type": "string"}],  # not lowercase
        [{"key": "1st", "label": "x", "type": "string"}],
        [{"key": "phone", "label": "x", "type": "string"}],  # a column of the contact itself
        [{"key": "firma", "label": "x", "type": "string"}],  # the import's name of one
        [{"key": "a", "label": "x", "type": "enum"}],  # an enum without options
        [{"key": "a", "label": "x", "type": "enum", "options": ["x", "x"]}],
        [{"key": "a", "label": "x", "type": "string", "options": ["x"]}],
        [{"key": "a", "label": "x", "type": "colour"}],
        [{"key": "a", "label": "", "type": "string"}],
        [{"key": "a", "label": "x", "type": "string", "secret": True}],
        [{"key": "a", "label": "x", "type": "string"}, {"key": "a", "label": "y", "type": "number"}],
        [{"key": f"f{n}", "label": "x", "type": "string"} for n in range(51)],
    ],
)
def test_bad_definitions_are_refused(api: Api, fields: list[dict[str, Any]]) -> None:
    assert define(api, fields).status == 422
    assert api.get("/tenant/custom-fields").body["fields"] == []


def test_fifty_fields_are_allowed(api: Api) -> None:
    assert define(api, [{"key": f"f{n}", "label": "x", "type": "string"} for n in range(50)]).status == 200


# --- values on contacts -------------------------------------------------------------------------


def test_values_are_checked_stored_and_shown_on_the_contact(api: Api) -> None:
    define(api, FIELDS)
    custom = {"tier": "pro", "seats": 5, "newsletter": True, "since": "2024-02-29", "note": " VIP "}
    created = create(api, custom=custom)
    assert created.status == 201, created.text
    expected = {**custom, "note": "VIP"}
    assert created.body["custom"] == expected
    read = api.get(f"/contacts/{created.body['id']}")
    assert read.body["custom"] == expected
    # a change touches the given keys only; null removes one
    changed = api.patch(f"/contacts/{created.body['id']}", {"custom": {"seats": 7.5, "note": None}})
    assert changed.status == 200, changed.text
    assert changed.body["custom"] == {"tier": "pro", "seats": 7.5, "newsletter": True, "since": "2024-02-29"}
    assert api.get(f"/contacts/{created.body['id']}").body["custom"] == changed.body["custom"]


@pytest.mark.parametrize(
    ("custom", "failing"),
    [
        ({"colour": "red"}, ["custom.colour"]),
        ({"tier": "gold"}, ["custom.tier"]),
        ({"seats": "5"}, ["custom.seats"]),
        ({"seats": True}, ["custom.seats"]),
        ({"newsletter": "yes"}, ["custom.newsletter"]),
        ({"since": "29.02.2024"}, ["custom.since"]),
        ({"since": "2023-02-29"}, ["custom.since"]),
        ({"note": ["a"]}, ["custom.note"]),
        ({"note": "x" * 1001}, ["custom.note"]),
        ({"tier": 1, "seats": "x", "unknown": 1}, ["custom.seats", "custom.tier", "custom.unknown"]),
    ],
)
def test_values_that_do_not_fit_are_refused_with_their_path(
    api: Api, custom: dict[str, Any], failing: list[str]
) -> None:
    define(api, FIELDS)
    assert paths(create(api, custom=custom)) == failing
    assert api.get("/contacts").body["items"] == []
    contact = create(api, custom={"tier": "basic"}).body
    assert paths(api.patch(f"/contacts/{contact['id']}", {"custom": custom})) == failing
    assert api.get(f"/contacts/{contact['id']}").body["custom"] == {"tier": "basic"}


def test_without_definitions_every_key_is_unknown(api: Api) -> None:
    assert paths(create(api, custom={"tier": "pro"})) == ["custom.tier"]


def test_a_required_field_is_enforced_on_create_and_on_every_change_from_then_on(api: Api) -> None:
    define(api, FIELDS)
    old = create(api).body  # before the field became required
    define(api, [{**FIELDS[0], "required": True}, *FIELDS[1:]])
    assert paths(create(api, "ben@example.com")) == ["custom.tier"]
    assert create(api, "ben@example.com", custom={"tier": "pro"}).status == 201
    # an older contact is asked for it with its next change
    assert paths(api.patch(f"/contacts/{old['id']}", {"name": "Anna B."})) == ["custom.tier"]
    assert api.get(f"/contacts/{old['id']}").body["name"] == "Anna"
    changed = api.patch(f"/contacts/{old['id']}", {"name": "Anna B.", "custom": {"tier": "basic"}})
    assert changed.status == 200
    # and it cannot be removed again
    assert paths(api.patch(f"/contacts/{old['id']}", {"custom": {"tier": None}})) == ["custom.tier"]


def test_a_removed_definition_hides_its_values_and_a_changed_type_those_that_no_longer_fit(api: Api) -> None:
    define(api, FIELDS)
    contact = create(api, custom={"tier": "pro", "seats": 5}).body
    define(api, [{**FIELDS[0], "options": ["basic", "enterprise"]}])
    assert "custom" not in api.get(f"/contacts/{contact['id']}").body  # "pro" is no option now; seats gone
    assert paths(api.patch(f"/contacts/{contact['id']}", {"custom": {"seats": 5}})) == ["custom.seats"]
    define(api, FIELDS)  # defined again: the stored values show again
    assert api.get(f"/contacts/{contact['id']}").body["custom"] == {"tier": "pro", "seats": 5}


def test_another_tenants_contact_is_not_found(api: Api) -> None:
    define(api, FIELDS)
    contact = create(api, custom={"tier": "pro"}).body
    other = api.as_("globex")
    assert other.get(f"/contacts/{contact['id']}").status == 404
    assert other.patch(f"/contacts/{contact['id']}", {"custom": {"tier": "basic"}}).status == 404
    assert api.get(f"/contacts/{contact['id']}").body["custom"] == {"tier": "pro"}


# --- import and export --------------------------------------------------------------------------


def test_the_import_reads_custom_values_by_key(api: Api) -> None:
    define(api, [{**FIELDS[0], "required": True}, *FIELDS[1:]])
    data = (
        "name;email;tier;seats;newsletter;since;note;ignored\n"
        "Anna;anna@example.com;pro;12,5;ja;29.02.2024;VIP;x\n"
        "Ben;ben@example.com;gold;x;maybe;2024-13-01;;x\n"
        "Clara;clara@example.com;;;;;;x\n"
    )
    report = upload(api, data).body
    assert report["imported"] == 1
    assert report["failed_rows"] == 2
    assert sorted((e["line"], e["field"], e["code"]) for e in report["errors"]) == [
        (3, "custom.newsletter", "invalid"),
        (3, "custom.seats", "invalid"),
        (3, "custom.since", "invalid"),
        (3, "custom.tier", "invalid"),
        (4, "custom.tier", "required"),
    ]
    (anna,) = api.get("/contacts").body["items"]
    read = api.get(f"/contacts/{anna['id']}").body
    assert read["custom"] == {
        "tier": "pro",
        "seats": 12.5,
        "newsletter": True,
        "since": "2024-02-29",
        "note": "VIP",
    }


def test_custom_values_go_out_as_columns_and_come_back(api: Api, queues: QueueRunner) -> None:
    define(api, FIELDS)
    custom = {"tier": "pro", "seats": 3, "newsletter": False, "since": "2020-01-31", "note": "=1+1"}
    create(api, custom=custom)
    create(api, "ben@example.com", custom={"seats": 2.25})
    data = export_accounts(api, queues)[1]
    header = data.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[-5:] == ["tier", "seats", "newsletter", "since", "note"]
    exported = {row["email"]: row for row in rows(data)}
    assert exported["anna@example.com"]["note"] == "'=1+1"  # neutralised against formulas
    assert (exported["anna@example.com"]["newsletter"], exported["ben@example.com"]["seats"]) == (
        "false",
        "2.25",
    )
    assert exported["ben@example.com"]["tier"] == ""

    other = api.as_("globex")
    define(other, FIELDS)
    assert upload(other, data).body["imported"] == 2
    copied = {
        c["email"]: other.get(f"/contacts/{c['id']}").body for c in other.get("/contacts").body["items"]
    }
    assert copied["anna@example.com"]["custom"] == custom
    assert copied["ben@example.com"]["custom"] == {"seats": 2.25}


def test_a_removed_field_is_not_exported(api: Api, queues: QueueRunner) -> None:
    define(api, FIELDS)
    create(api, custom={"tier": "pro", "seats": 3})
    define(api, FIELDS[:1])
    data = export_accounts(api, queues)[1]
    assert data.decode("utf-8-sig").splitlines()[0].split(",")[-1] == "tier"
    assert "seats" not in rows(data)[0]


# --- the customer's own profile -------------------------------------------------------------------


def test_a_customer_changes_name_company_phone_and_their_fields(api: Api) -> None:
    define(api, FIELDS)
    anna = contact_in(api, "active")
    api.patch(f"/contacts/{anna}", {"custom": {"tier": "pro"}})
    me = api.as_customer(anna)
    assert "custom" not in me.get("/me").body  # staff's own fields are not shown to the customer
    changed = me.patch(
        "/me",
        {"name": "Anna B.", "company": "Druck AG", "phone": "030 1234567", "custom": {"newsletter": True}},
    )
    assert changed.status == 200, changed.text
    assert (changed.body["name"], changed.body["company"], changed.body["phone"]) == (
        "Anna B.",
        "Druck AG",
        "+49301234567",
    )
    assert changed.body["custom"] == {"newsletter": True}
    staff_view = api.get(f"/contacts/{anna}").body
    assert staff_view["custom"] == {"tier": "pro", "newsletter": True}
    assert staff_view["name"] == "Anna B."


@pytest.mark.parametrize(
    ("body", "failing"),
    [
        ({"email": "new@example.com"}, "email"),
        ({"customer_number": "K-1"}, "customer_number"),
        ({"language": "en"}, "language"),
        ({"custom": {"tier": "basic"}}, "custom.tier"),  # not customer-editable
        ({"custom": {"unknown": 1}}, "custom.unknown"),
        ({"custom": {"newsletter": "yes"}}, "custom.newsletter"),
        ({"name": None}, "name"),
    ],
)
def test_a_customer_changes_nothing_else(api: Api, body: dict[str, Any], failing: str) -> None:
    define(api, FIELDS)
    anna = contact_in(api, "active")
    response = api.as_customer(anna).patch("/me", body)
    assert response.status == 422, response.text
    assert failing in " ".join(str(detail["field"]) for detail in response.body["error"]["details"])
    stored = api.get(f"/contacts/{anna}").body
    assert (stored["email"], stored["name"], stored["language"]) == ("anna@example.com", "Anna", "de")
    assert "custom" not in stored
    assert "customer_number" not in stored


def test_a_bad_phone_of_a_customer_is_refused(api: Api) -> None:
    anna = contact_in(api, "active")
    assert api.as_customer(anna).patch("/me", {"phone": "garbage"}).error_code == "invalid_phone"


def test_a_deactivated_or_gone_customer_changes_nothing(api: Api) -> None:
    anna = contact_in(api, "deactivated")
    assert api.as_customer(anna).patch("/me", {"name": "X"}).status == 403
    assert api.get(f"/contacts/{anna}").body["name"] == "Anna"
    assert api.as_customer("01JAAAAAAAAAAAAAAAAAAAAAAA").patch("/me", {"name": "X"}).status == 404
    # another tenant's customer of the same id finds no contact
    assert api.as_customer(anna, tenant_id="globex").patch("/me", {"name": "X"}).status == 404


def test_a_number_reads_back_as_it_was_written(api: Api) -> None:
    assert define(api, [{"key": "seats", "label": "Seats", "type": "number"}]).status == 200
    contact_id = create(api, custom={"seats": 12}).body["id"]
    assert '"custom":{"seats":12}' in api.get(f"/contacts/{contact_id}").text  # 12, not 12.0
    assert api.patch(f"/contacts/{contact_id}", {"custom": {"seats": 2.5}}).status == 200
    assert api.get(f"/contacts/{contact_id}").text.count('"seats":2.5') == 1
