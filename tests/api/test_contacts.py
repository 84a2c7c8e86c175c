"""The contact list through the API: create, read, change, delete, list, filter and page."""

from __future__ import annotations

from typing import Any

import pytest

from pforte.contacts import store as contact_store
from tests.api.conftest import Api


def new_contact(api: Api, name: str = "Anna Becker", email: str = "anna@example.com", **more: Any) -> Any:
    response = api.post("/contacts", {"name": name, "email": email, **more})
    assert response.status == 201, response.text
    return response.body


# --- create ------------------------------------------------------------------------------------


def test_create_returns_the_contact_and_stores_it(api: Api) -> None:
    # WHEN a contact is added
    response = api.post(
        "/contacts", {"name": " Anna Becker ", "email": "Anna.Becker@Example.com", "company": "ACME"}
    )
    # THEN it comes back complete, with defaults, and can be read again
    assert response.status == 201
    contact = response.body
    assert contact == {
        "id": contact["id"],
        "name": "Anna Becker",
        "email": "Anna.Becker@Example.com",
        "company": "ACME",
        "language": "de",
        "status": "not_registered",
        "invitation_sent_at": None,
        "terms_accepted_at": None,
        "created_at": contact["created_at"],
        "updated_at": contact["created_at"],
    }
    assert contact["created_at"].endswith("Z")
    assert response.headers["Location"] == f"/contacts/{contact['id']}"
    assert api.get(f"/contacts/{contact['id']}").body == contact


def test_language_defaults_to_the_tenants_language(api: Api) -> None:
    assert api.patch("/tenant", {"default_language": "en"}).status == 200
    assert new_contact(api)["language"] == "en"
    assert new_contact(api, email="b@example.com", language="de")["language"] == "de"


def test_an_address_is_unique_per_tenant_in_any_case(api: Api) -> None:
    new_contact(api, email="anna@example.com")
    response = api.post("/contacts", {"name": "Other", "email": "ANNA@example.COM"})
    assert response.status == 409
    assert response.error_code == "email_taken"
    assert response.body["error"]["details"][0]["field"] == "email"
    # another tenant may use the same address
    assert api.as_("globex").post("/contacts", {"name": "Anna", "email": "anna@example.com"}).status == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Anna", "email": "not-an-address"}, "email"),
        ({"email": "anna@example.com"}, "name"),
        ({"name": "   ", "email": "anna@example.com"}, "name"),
        ({"name": "Anna", "email": "anna@example.com", "nickname": "A"}, "nickname"),
        ({"name": "Anna", "email": "anna@example.com", "language": "fr"}, "language"),
        ({"name": "x" * 201, "email": "anna@example.com"}, "name"),
        ({"name": 5, "email": "anna@example.com"}, "name"),
    ],
)
def test_invalid_contacts_are_refused_with_the_failing_field(api: Api, body: Any, field: str) -> None:
    response = api.post("/contacts", body)
    assert response.status == 422
    assert response.error_code == "validation_error"
    assert field in [detail["field"] for detail in response.body["error"]["details"]]
    assert api.get("/contacts").body["items"] == []


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "", "null"])
def test_a_body_that_is_not_a_contact_object_is_a_422(api: Api, raw: str) -> None:
    response = api.request("POST", "/contacts", raw_body=raw)
    assert response.status == 422
    assert response.error_code == "validation_error"


def test_a_form_encoded_json_body_is_read_as_json(api: Api) -> None:
    # curl -d sends application/x-www-form-urlencoded; the body is JSON all the same
    response = api.request(
        "POST",
        "/contacts",
        raw_body='{"name": "Anna", "email": "anna@example.com"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 201


# --- read, change, delete -----------------------------------------------------------------------


def test_another_tenants_contact_answers_exactly_like_a_missing_one(api: Api) -> None:
    contact = new_contact(api)
    foreign = api.as_("globex")
    missing = foreign.get("/contacts/01JAAAAAAAAAAAAAAAAAAAAAAA")
    for response in (
        foreign.get(f"/contacts/{contact['id']}"),
        foreign.patch(f"/contacts/{contact['id']}", {"name": "Mallory"}),
        foreign.delete(f"/contacts/{contact['id']}"),
    ):
        assert response.status == 404
        assert response.body == missing.body
    assert api.get(f"/contacts/{contact['id']}").body == contact


def test_an_id_of_the_wrong_shape_is_not_found(api: Api) -> None:
    response = api.get("/contacts/CONTACT%23x")
    assert response.status == 404
    assert response.error_code == "not_found"


def test_patch_changes_only_the_given_fields_and_null_clears_company(api: Api) -> None:
    contact = new_contact(api, company="ACME", language="de")
    response = api.patch(f"/contacts/{contact['id']}", {"name": "Anna B.", "company": None, "language": "en"})
    assert response.status == 200
    changed = response.body
    assert (changed["name"], changed["company"], changed["language"]) == ("Anna B.", None, "en")
    assert changed["email"] == contact["email"]
    assert changed["updated_at"] > contact["updated_at"]
    assert api.get(f"/contacts/{contact['id']}").body == changed


@pytest.mark.parametrize("field", ["name", "email", "language"])
def test_patch_refuses_to_clear_a_required_field(api: Api, field: str) -> None:
    contact = new_contact(api)
    response = api.patch(f"/contacts/{contact['id']}", {field: None})
    assert response.status == 422
    assert response.body["error"]["details"][0]["field"] == field
    assert api.get(f"/contacts/{contact['id']}").body == contact


def test_patch_refuses_unknown_fields_and_status(api: Api) -> None:
    contact = new_contact(api)
    response = api.patch(f"/contacts/{contact['id']}", {"status": "active"})
    assert response.status == 422
    assert api.get(f"/contacts/{contact['id']}").body["status"] == "not_registered"


def test_changing_the_email_keeps_addresses_unique_and_frees_the_old_one(api: Api) -> None:
    anna = new_contact(api, email="anna@example.com")
    ben = new_contact(api, name="Ben", email="ben@example.com")
    # a taken address is refused, nothing changes
    refused = api.patch(f"/contacts/{anna['id']}", {"email": "BEN@example.com"})
    assert refused.status == 409
    assert refused.error_code == "email_taken"
    assert api.get(f"/contacts/{anna['id']}").body["email"] == "anna@example.com"
    # a free one is taken, and the old address is free again
    assert api.patch(f"/contacts/{anna['id']}", {"email": "anna.b@example.com"}).status == 200
    assert new_contact(api, name="New Anna", email="anna@example.com")["email"] == "anna@example.com"
    # changing only the case of one's own address is no conflict
    assert (
        api.patch(f"/contacts/{ben['id']}", {"email": "Ben@Example.com"}).body["email"] == "Ben@Example.com"
    )


def test_delete_removes_the_contact_and_frees_its_address(api: Api) -> None:
    contact = new_contact(api)
    response = api.delete(f"/contacts/{contact['id']}")
    assert response.status == 204
    assert response.text == ""
    assert api.get(f"/contacts/{contact['id']}").status == 404
    assert api.delete(f"/contacts/{contact['id']}").status == 404
    assert api.post("/contacts", {"name": "Anna", "email": contact["email"]}).status == 201


# --- list -------------------------------------------------------------------------------------


def test_pages_list_every_contact_once_newest_first(api: Api, dynamodb_calls: list[str]) -> None:
    created = [new_contact(api, name=f"C{i}", email=f"c{i}@example.com")["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        dynamodb_calls.clear()
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get("/contacts", **query).body
        # an unfiltered page is a single Query (and a read of which terms of use are current)
        assert dynamodb_calls == ["GetItem", "Query"]
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))
    assert pages == 3


def test_an_exactly_full_last_page_ends_the_list(api: Api) -> None:
    for i in range(4):
        new_contact(api, name=f"C{i}", email=f"c{i}@example.com")
    first = api.get("/contacts", limit=2).body
    second = api.get("/contacts", limit=2, cursor=first["next_cursor"]).body
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None


def test_the_list_holds_only_the_callers_tenant(api: Api) -> None:
    new_contact(api)
    assert api.as_("globex").get("/contacts").body == {"items": [], "next_cursor": None}


def test_filters(api: Api) -> None:
    anna = new_contact(api, name="Anna Becker", email="anna@druck.de", company="Druckhaus Nord")
    ben = new_contact(api, name="Ben Schulz", email="ben@verlag.de", company="Schulz Verlag")
    clara = new_contact(api, name="Clara", email="clara@example.com")

    def ids(**query: Any) -> list[str]:
        response = api.get("/contacts", **query)
        assert response.status == 200, response.text
        return [item["id"] for item in response.body["items"]]

    assert ids(q="BECK") == [anna["id"]]
    assert ids(q="verlag") == [ben["id"]]  # email and company are searched too
    assert ids(q="nord") == [anna["id"]]
    assert ids(company="schulz verlag") == [ben["id"]]
    assert ids(company="Schulz") == []
    assert ids(status="not_registered") == [clara["id"], ben["id"], anna["id"]]
    assert ids(status="active") == []
    assert ids(invited="false") == [clara["id"], ben["id"], anna["id"]]
    assert ids(invited="true") == []
    assert ids(q="a", company="druckhaus nord", status="not_registered") == [anna["id"]]


def test_a_filtered_page_costs_a_bounded_few_queries_and_may_come_back_short(
    api: Api, dynamodb_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_store, "FILTERED_BATCH", 2)
    match = new_contact(api, name="Needle", email="needle@example.com")
    for i in range(12):
        new_contact(api, name=f"Hay {i}", email=f"hay{i}@example.com")
    found: list[str] = []
    cursor = None
    for _ in range(10):
        dynamodb_calls.clear()
        body = api.get("/contacts", q="needle", limit=5, **({"cursor": cursor} if cursor else {})).body
        assert 1 <= dynamodb_calls.count("Query") <= contact_store.MAX_QUERIES_PER_PAGE
        found += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert found == [match["id"]]


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "x"},
        {"status": "gone"},
        {"cursor": "nonsense"},
        {"invited": "maybe"},
    ],
)
def test_bad_list_parameters_are_a_422(api: Api, query: dict[str, Any]) -> None:
    response = api.get("/contacts", **query)
    assert response.status == 422
    assert response.error_code == "validation_error"
    assert response.body["error"]["details"][0]["field"] in query
