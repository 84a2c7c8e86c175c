"""A contact's billing and delivery addresses, by staff and by the customer: the fields and their
checks, one default per kind, the limit, the counts, and the delete cascade."""

from __future__ import annotations

from typing import Any

import pytest

from pforte.addresses.service import MAX_PER_KIND
from tests.api.conftest import MISSING, Api, assert_another_tenant_finds_nothing, assert_unknown_ids_are_404
from tests.api.test_status import contact_in


def address(kind: str = "billing", **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "name": "Anna Muster",
        "street": "Hauptstraße 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        **fields,
    }


def new_contact(api: Api, email: str = "anna@example.com") -> str:
    return str(api.post("/contacts", {"name": "Anna", "email": email}).body["id"])


def listed(api: Api, contact_id: str, **query: Any) -> list[dict[str, Any]]:
    answered = api.get(f"/contacts/{contact_id}/addresses", **query)
    assert answered.status == 200
    return list(answered.body["items"])


def defaults(api: Api, contact_id: str, kind: str = "billing") -> list[str]:
    return [a["id"] for a in listed(api, contact_id, kind=kind) if a["is_default"]]


def counts(api: Api, contact_id: str) -> dict[str, int]:
    return dict(api.get(f"/contacts/{contact_id}/summary").body["addresses"])


# --- the routes, allowed and refused ------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "operator"])
def test_staff_add_read_change_and_delete_an_address(api: Api, role: str) -> None:
    staff = api.as_(role=role)
    anna = new_contact(api)
    added = staff.post(
        f"/contacts/{anna}/addresses",
        address(company="Muster GmbH", street2="Hinterhaus", phone="+49 30 123456"),
    )
    assert added.status == 201
    address_id = added.body["id"]
    assert added.headers["Location"] == f"/contacts/{anna}/addresses/{address_id}"
    assert added.body | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None,
        "kind": "billing",
        "name": "Anna Muster",
        "company": "Muster GmbH",
        "street": "Hauptstraße 1",
        "street2": "Hinterhaus",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "phone": "+4930123456",  # E.164
        "is_default": True,
        "created_at": None,
        "updated_at": None,
    }
    assert staff.get(f"/contacts/{anna}/addresses/{address_id}").body == added.body

    changed = staff.patch(
        f"/contacts/{anna}/addresses/{address_id}",
        {"city": "Wien", "country": "at", "postal_code": "1010", "company": None},
    )
    assert changed.status == 200
    stored = staff.get(f"/contacts/{anna}/addresses/{address_id}").body
    assert (stored["city"], stored["country"], stored["postal_code"], stored["company"]) == (
        "Wien",
        "AT",
        "1010",
        None,
    )

    assert staff.delete(f"/contacts/{anna}/addresses/{address_id}").status == 204
    assert staff.get(f"/contacts/{anna}/addresses/{address_id}").status == 404
    assert staff.delete(f"/contacts/{anna}/addresses/{address_id}").status == 404
    assert listed(staff, anna) == []


def test_another_tenants_contact_or_address_is_a_404(api: Api) -> None:
    anna = new_contact(api)
    address_id = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    assert_another_tenant_finds_nothing(
        api, f"/contacts/{anna}/addresses", address_id, address(), {"city": "Köln"}
    )
    # Nothing changed for acme.
    assert [a["city"] for a in listed(api, anna)] == ["Berlin"]
    assert counts(api, anna) == {"billing": 1, "delivery": 0}


def test_an_unknown_contact_or_address_is_a_404(api: Api) -> None:
    anna = new_contact(api)
    assert_unknown_ids_are_404(api, anna, "addresses", address(), {"city": "Köln"})


def test_without_a_staff_token_nothing_is_answered(api: Api) -> None:
    anna = new_contact(api)
    assert api.anonymous().get(f"/contacts/{anna}/addresses").status == 401
    assert api.as_customer(anna).get(f"/contacts/{anna}/addresses").status == 403


# --- the fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "postal_code", "stored"),
    [
        ("DE", "10115", "10115"),
        ("AT", "1010", "1010"),
        ("CH", "8001", "8001"),
        ("NL", "1012ab", "1012AB"),
        ("GB", " sw1a  1aa ", "SW1A 1AA"),
        ("AQ", "anything 12", "ANYTHING 12"),  # the address data knows no postal codes there
    ],
)
def test_a_postal_code_of_the_country_is_taken(api: Api, country: str, postal_code: str, stored: str) -> None:
    anna = new_contact(api)
    added = api.post(f"/contacts/{anna}/addresses", address(country=country, postal_code=postal_code))
    assert added.status == 201, added.text
    assert added.body["postal_code"] == stored


@pytest.mark.parametrize(
    ("country", "postal_code"),
    [("DE", "1011"), ("DE", "101155"), ("AT", "10100"), ("CH", "800"), ("CH", "ABCD")],
)
def test_a_postal_code_not_of_the_country_is_a_422(api: Api, country: str, postal_code: str) -> None:
    anna = new_contact(api)
    refused = api.post(f"/contacts/{anna}/addresses", address(country=country, postal_code=postal_code))
    assert (refused.status, refused.error_code) == (422, "invalid_postal_code")
    assert refused.body["error"]["details"][0]["field"] == "postal_code"
    assert listed(api, anna) == []
    assert counts(api, anna) == {"billing": 0, "delivery": 0}


def test_a_change_of_country_checks_the_postal_code_again(api: Api) -> None:
    anna = new_contact(api)
    address_id = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    refused = api.patch(f"/contacts/{anna}/addresses/{address_id}", {"country": "AT"})  # 10115 is no AT code
    assert refused.error_code == "invalid_postal_code"
    assert api.get(f"/contacts/{anna}/addresses/{address_id}").body["country"] == "DE"


@pytest.mark.parametrize("country", ["XX", "DEU", "D", "12", "ZZ"])
def test_a_country_that_is_no_iso_code_is_a_422(api: Api, country: str) -> None:
    anna = new_contact(api)
    refused = api.post(f"/contacts/{anna}/addresses", address(country=country))
    assert (refused.status, refused.error_code) == (422, "validation_error")
    assert refused.body["error"]["details"][0]["field"] == "country"


@pytest.mark.parametrize(
    "body",
    [
        {k: v for k, v in address().items() if k != "street"},
        address(kind="shipping"),
        address(name=""),
        address(name="x" * 201),
        address(city="Ber\u202elin"),
        address(unknown="x"),
        address(postal_code=""),
    ],
)
def test_a_malformed_address_is_a_422(api: Api, body: dict[str, Any]) -> None:
    anna = new_contact(api)
    assert api.post(f"/contacts/{anna}/addresses", body).error_code == "validation_error"
    assert listed(api, anna) == []


@pytest.mark.parametrize("field", ["kind", "name", "street", "postal_code", "city", "country"])
def test_a_required_field_cannot_be_cleared(api: Api, field: str) -> None:
    anna = new_contact(api)
    address_id = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    refused = api.patch(f"/contacts/{anna}/addresses/{address_id}", {field: None})
    assert (refused.status, refused.error_code) == (422, "validation_error")
    assert api.get(f"/contacts/{anna}/addresses/{address_id}").body == listed(api, anna)[0]


def test_is_default_false_is_refused_on_a_change(api: Api) -> None:
    anna = new_contact(api)
    address_id = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    assert api.patch(f"/contacts/{anna}/addresses/{address_id}", {"is_default": False}).status == 422
    assert defaults(api, anna) == [address_id]


# --- defaults -----------------------------------------------------------------------------------


def test_the_first_address_of_each_kind_is_its_default(api: Api) -> None:
    anna = new_contact(api)
    billing = api.post(f"/contacts/{anna}/addresses", address()).body
    second = api.post(f"/contacts/{anna}/addresses", address(city="Hamburg", postal_code="20095")).body
    delivery = api.post(f"/contacts/{anna}/addresses", address("delivery")).body
    assert (billing["is_default"], second["is_default"], delivery["is_default"]) == (True, False, True)
    assert defaults(api, anna, "billing") == [billing["id"]]
    assert defaults(api, anna, "delivery") == [delivery["id"]]


def test_a_new_default_takes_over_from_the_old_one(api: Api) -> None:
    anna = new_contact(api)
    first = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    second = api.post(f"/contacts/{anna}/addresses", address(is_default=True)).body
    assert second["is_default"] is True
    assert defaults(api, anna) == [second["id"]]
    assert api.get(f"/contacts/{anna}/addresses/{first}").body["is_default"] is False

    moved = api.patch(f"/contacts/{anna}/addresses/{first}", {"is_default": True})
    assert moved.body["is_default"] is True
    assert defaults(api, anna) == [first]
    delivery = api.post(f"/contacts/{anna}/addresses", address("delivery")).body["id"]
    assert defaults(api, anna, "delivery") == [delivery]  # the other kind is left alone


def test_deleting_the_default_makes_the_newest_other_one_default(api: Api) -> None:
    anna = new_contact(api)
    oldest = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    middle = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    newest = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    api.patch(f"/contacts/{anna}/addresses/{middle}", {"is_default": True})
    assert api.delete(f"/contacts/{anna}/addresses/{middle}").status == 204
    assert defaults(api, anna) == [newest]
    assert api.delete(f"/contacts/{anna}/addresses/{oldest}").status == 204  # not the default
    assert defaults(api, anna) == [newest]
    assert api.delete(f"/contacts/{anna}/addresses/{newest}").status == 204
    assert defaults(api, anna) == []


def test_an_address_changing_kind_leaves_its_default_behind(api: Api) -> None:
    anna = new_contact(api)
    first = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    second = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    moved = api.patch(f"/contacts/{anna}/addresses/{first}", {"kind": "delivery"})
    assert (moved.body["kind"], moved.body["is_default"]) == ("delivery", True)  # the first delivery one
    assert defaults(api, anna, "billing") == [second]
    assert counts(api, anna) == {"billing": 1, "delivery": 1}


def test_the_list_is_newest_first_filtered_by_kind_and_paged(api: Api) -> None:
    anna = new_contact(api)
    ids = [api.post(f"/contacts/{anna}/addresses", address()).body["id"] for _ in range(3)]
    delivery = api.post(f"/contacts/{anna}/addresses", address("delivery")).body["id"]
    assert [a["id"] for a in listed(api, anna)] == [delivery, *reversed(ids)]
    assert [a["id"] for a in listed(api, anna, kind="billing")] == list(reversed(ids))
    first = api.get(f"/contacts/{anna}/addresses", kind="billing", limit=2).body
    assert [a["id"] for a in first["items"]] == [ids[2], ids[1]]
    rest = api.get(f"/contacts/{anna}/addresses", kind="billing", limit=2, cursor=first["next_cursor"]).body
    assert ([a["id"] for a in rest["items"]], rest["next_cursor"]) == ([ids[0]], None)
    assert api.get(f"/contacts/{anna}/addresses", limit=0).status == 422
    assert api.get(f"/contacts/{anna}/addresses", cursor="nonsense").status == 422
    assert api.get(f"/contacts/{anna}/addresses", kind="other").status == 422


# --- limit and counts ---------------------------------------------------------------------------


def test_at_most_twenty_of_a_kind(api: Api) -> None:
    anna = new_contact(api)
    for _ in range(MAX_PER_KIND):
        assert api.post(f"/contacts/{anna}/addresses", address()).status == 201
    refused = api.post(f"/contacts/{anna}/addresses", address())
    assert (refused.status, refused.error_code) == (422, "limit_reached")
    assert api.post(f"/contacts/{anna}/addresses", address("delivery")).status == 201  # the other kind
    delivery = listed(api, anna, kind="delivery")[0]["id"]
    assert (
        api.patch(f"/contacts/{anna}/addresses/{delivery}", {"kind": "billing"}).error_code == "limit_reached"
    )
    assert counts(api, anna) == {"billing": MAX_PER_KIND, "delivery": 1}
    assert len(listed(api, anna, kind="billing")) == MAX_PER_KIND


def test_the_summary_counts_adds_and_deletes(api: Api) -> None:
    anna = new_contact(api)
    first = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    api.post(f"/contacts/{anna}/addresses", address())
    api.post(f"/contacts/{anna}/addresses", address("delivery"))
    assert counts(api, anna) == {"billing": 2, "delivery": 1}
    api.delete(f"/contacts/{anna}/addresses/{first}")
    api.delete(f"/contacts/{anna}/addresses/{first}")  # a repeated delete counts nothing
    assert counts(api, anna) == {"billing": 1, "delivery": 1}
    api.patch(f"/contacts/{anna}/addresses/{listed(api, anna, kind='billing')[0]['id']}", {"city": "Köln"})
    assert counts(api, anna) == {"billing": 1, "delivery": 1}


def test_deleting_the_contact_deletes_its_addresses(api: Api) -> None:
    anna = new_contact(api)
    address_id = api.post(f"/contacts/{anna}/addresses", address()).body["id"]
    assert api.delete(f"/contacts/{anna}").status == 204
    assert api.get(f"/contacts/{anna}/addresses").status == 404
    assert api.get(f"/contacts/{anna}/addresses/{address_id}").status == 404
    from pforte.wiring import address_repository

    assert address_repository().addresses("acme", anna).items == ()


# --- the customer's own addresses ---------------------------------------------------------------


def test_a_customer_manages_their_own_addresses(api: Api) -> None:
    anna = contact_in(api, "active")
    customer = api.as_customer(anna)
    added = customer.post("/me/addresses", address())
    assert added.status == 201
    assert added.headers["Location"] == f"/me/addresses/{added.body['id']}"
    address_id = added.body["id"]
    assert customer.get("/me/addresses").body["items"] == [added.body]
    assert customer.get(f"/me/addresses/{address_id}").body == added.body
    assert (
        customer.patch(f"/me/addresses/{address_id}", {"city": "Potsdam", "postal_code": "14467"}).status
        == 200
    )
    # Staff see what the customer changed: it is one and the same address.
    assert api.get(f"/contacts/{anna}/addresses/{address_id}").body["city"] == "Potsdam"
    assert (
        customer.patch(f"/me/addresses/{address_id}", {"postal_code": "1"}).error_code
        == "invalid_postal_code"
    )
    assert counts(api, anna) == {"billing": 1, "delivery": 0}
    assert customer.delete(f"/me/addresses/{address_id}").status == 204
    assert customer.get(f"/me/addresses/{address_id}").status == 404
    assert counts(api, anna) == {"billing": 0, "delivery": 0}


def test_a_customer_reaches_no_other_contacts_addresses(api: Api) -> None:
    anna = contact_in(api, "active")
    bert = new_contact(api, "bert@example.com")
    berts = api.post(f"/contacts/{bert}/addresses", address()).body["id"]
    customer = api.as_customer(anna)
    assert customer.get(f"/me/addresses/{berts}").status == 404
    assert customer.patch(f"/me/addresses/{berts}", {"city": "Köln"}).status == 404
    assert customer.delete(f"/me/addresses/{berts}").status == 404
    assert customer.get("/me/addresses").body["items"] == []
    assert api.get(f"/contacts/{bert}/addresses/{berts}").body["city"] == "Berlin"
    # Another tenant's token with the same contact id finds nothing either.
    assert api.as_customer(anna, tenant_id="globex").get("/me/addresses").status == 404


def test_an_inactive_or_deactivated_customer_or_staff_token_is_refused(api: Api) -> None:
    anna = contact_in(api, "active")
    assert api.post(f"/contacts/{anna}/deactivate").status == 200
    customer = api.as_customer(anna)
    for method, path, body in (
        ("GET", "/me/addresses", None),
        ("POST", "/me/addresses", address()),
        ("PATCH", f"/me/addresses/{MISSING}", {"city": "Köln"}),
        ("DELETE", f"/me/addresses/{MISSING}", None),
    ):
        refused = customer.request(method, path, json_body=body)
        assert (refused.status, refused.error_code) == (403, "forbidden"), path
    assert api.get(f"/contacts/{anna}/addresses").body["items"] == []
    assert api.anonymous().get("/me/addresses").status == 401
    assert api.get("/me/addresses").status == 403


def test_an_address_added_while_the_contact_is_deleted_goes_with_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pforte.addresses import service
    from pforte.addresses.service import AddressCreate
    from pforte.contacts.service import Contact, Dependents
    from pforte.contacts.store import DynamoContactRepository
    from pforte.wiring import address_repository

    anna = new_contact(api)
    api.post(f"/contacts/{anna}/addresses", address())
    read = DynamoContactRepository.dependents
    added: list[str] = []

    def then_an_address_arrives(self: DynamoContactRepository, contact: Contact) -> Dependents:
        found = read(self, contact)
        if not added:  # between the delete's read and its write, once
            added.append(service.add_address(address_repository(), contact, AddressCreate(**address())).id)
        return found

    monkeypatch.setattr(DynamoContactRepository, "dependents", then_an_address_arrives)
    assert api.delete(f"/contacts/{anna}").status == 204
    assert added
    assert address_repository().addresses("acme", anna).items == ()
    assert address_repository().addresses("acme", anna).counters == {}


def test_an_addresses_phone_is_read_in_its_country_and_kept_in_e164(api: Api) -> None:
    anna = new_contact(api)
    vienna = address(country="AT", postal_code="1010", city="Wien", phone="01 5880")
    added = api.post(f"/contacts/{anna}/addresses", vienna)
    assert added.status == 201, added.text
    assert added.body["phone"] == "+4315880"
    refused = api.post(f"/contacts/{anna}/addresses", address(phone="12"))
    assert refused.status == 422
    assert refused.error_code == "invalid_phone"
    changed = api.patch(f"/contacts/{anna}/addresses/{added.body['id']}", {"phone": "not a number"})
    assert changed.error_code == "invalid_phone"
    assert api.get(f"/contacts/{anna}/addresses/{added.body['id']}").body["phone"] == "+4315880"


def test_is_default_takes_a_json_boolean_only(api: Api) -> None:
    anna = new_contact(api)
    refused = api.post(f"/contacts/{anna}/addresses", address(is_default="yes"))
    assert refused.status == 422
    assert listed(api, anna) == []
