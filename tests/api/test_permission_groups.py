"""Permission groups: admins manage them, contacts are given them, and the customer's rights (their
union) show on GET /me and are enforced on the customer's routes."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, ApiResponse
from tests.api.test_status import contact_in

ALL = ["jobs.view", "jobs.submit", "jobs.download", "documents.view", "messages.read", "profile.edit"]
UNKNOWN_ID = "01JAAAAAAAAAAAAAAAAAAAAAAA"


def put(api: Api, path: str, body: Any) -> ApiResponse:
    return api.request("PUT", path, json_body=body)


def new_group(api: Api, name: str, rights: list[str]) -> str:
    response = api.post("/permission-groups", {"name": name, "rights": rights})
    assert response.status == 201, response.text
    return str(response.body["id"])


def groups_of(api: Api, contact_id: str) -> Any:
    response = api.get(f"/contacts/{contact_id}/permission-groups")
    assert response.status == 200, response.text
    return response.body


# --- the default group ---------------------------------------------------------------------------


def test_every_tenant_has_a_default_group_with_all_rights_that_new_contacts_are_in(api: Api) -> None:
    # GIVEN a tenant that never touched its groups
    listed = api.get("/permission-groups")
    assert listed.status == 200
    (default,) = listed.body["items"]
    assert default == {
        "id": "default",
        "name": "Standard",
        "rights": ALL,
        "is_default": True,
        "created_at": default["created_at"],
        "updated_at": default["updated_at"],
    }
    assert api.get("/tenant").body["default_permission_group_id"] == "default"
    # WHEN a contact is added THEN it is in the default group and has every right
    anna = contact_in(api, "not_registered")
    assert groups_of(api, anna) == {"ids": ["default"], "rights": ALL, "explicit": False}


def test_a_new_default_group_applies_to_new_contacts_and_the_default_cannot_be_deleted(api: Api) -> None:
    viewers = new_group(api, "Viewers", ["jobs.view"])
    # WHEN an admin makes it the default
    changed = api.patch(f"/permission-groups/{viewers}", {"is_default": True})
    assert changed.status == 200, changed.text
    assert changed.body["is_default"] is True
    assert api.get("/tenant").body["default_permission_group_id"] == viewers
    # THEN new contacts get it, and it cannot be deleted, even with a group to reassign to
    anna = contact_in(api, "not_registered")
    assert groups_of(api, anna)["ids"] == [viewers]
    assert groups_of(api, anna)["rights"] == ["jobs.view"]
    refused = api.request("DELETE", f"/permission-groups/{viewers}", query={"reassign_to": "default"})
    assert (refused.status, refused.error_code) == (409, "default_group")
    # nor can the built-in group, even when it is no longer the default
    assert api.delete("/permission-groups/default").error_code == "default_group"
    listed = api.get("/permission-groups").body["items"]
    assert [(g["id"], g["is_default"]) for g in listed] == [("default", False), (viewers, True)]


# --- CRUD, allowed and refused --------------------------------------------------------------------


def test_admins_create_change_and_delete_groups(api: Api) -> None:
    # WHEN an admin adds a group (rights listed twice and out of order)
    response = api.post(
        "/permission-groups", {"name": " Readers ", "rights": ["messages.read", "jobs.view", "jobs.view"]}
    )
    # THEN it is stored with its rights once each, in catalogue order
    assert response.status == 201, response.text
    group = response.body
    assert response.headers["Location"] == f"/permission-groups/{group['id']}"
    assert (group["name"], group["rights"], group["is_default"]) == (
        "Readers",
        ["jobs.view", "messages.read"],
        False,
    )
    assert api.get(f"/permission-groups/{group['id']}").body == group
    # newest first after the default group
    later = new_group(api, "Later", [])
    assert [g["id"] for g in api.get("/permission-groups").body["items"]] == ["default", later, group["id"]]
    # WHEN it is changed
    changed = api.patch(f"/permission-groups/{group['id']}", {"rights": ["jobs.download"]})
    assert changed.status == 200
    assert api.get(f"/permission-groups/{group['id']}").body["rights"] == ["jobs.download"]
    assert api.get(f"/permission-groups/{group['id']}").body["name"] == "Readers"
    # WHEN it is deleted THEN it is gone
    assert api.delete(f"/permission-groups/{group['id']}").status == 204
    assert api.get(f"/permission-groups/{group['id']}").status == 404
    assert api.delete(f"/permission-groups/{group['id']}").status == 404


def test_changing_the_built_in_default_group_stores_it(api: Api) -> None:
    response = api.patch(
        "/permission-groups/default", {"name": "Alle", "rights": ["jobs.view", "profile.edit"]}
    )
    assert response.status == 200, response.text
    (default,) = api.get("/permission-groups").body["items"]
    assert (default["id"], default["name"], default["rights"]) == (
        "default",
        "Alle",
        ["jobs.view", "profile.edit"],
    )
    anna = contact_in(api, "not_registered")
    assert groups_of(api, anna)["rights"] == ["jobs.view", "profile.edit"]


def test_operators_read_groups_but_change_nothing(api: Api) -> None:
    group = new_group(api, "Readers", ["jobs.view"])
    anna = contact_in(api, "not_registered")
    operator = api.as_(role="operator")
    assert operator.get("/permission-groups").status == 200
    assert operator.get(f"/permission-groups/{group}").status == 200
    assert operator.get(f"/contacts/{anna}/permission-groups").status == 200
    for answer in (
        operator.post("/permission-groups", {"name": "Mine", "rights": []}),
        operator.patch(f"/permission-groups/{group}", {"name": "Other"}),
        operator.delete(f"/permission-groups/{group}"),
        put(operator, f"/contacts/{anna}/permission-groups", {"ids": [group]}),
    ):
        assert (answer.status, answer.error_code) == (403, "forbidden")
    # nothing changed
    assert [g["name"] for g in api.get("/permission-groups").body["items"]] == ["Standard", "Readers"]
    assert groups_of(api, anna)["ids"] == ["default"]


def test_another_tenants_groups_and_contacts_are_not_found(api: Api) -> None:
    group = new_group(api, "Readers", ["jobs.view"])
    anna = contact_in(api, "not_registered")
    globex = api.as_("globex")
    assert [g["id"] for g in globex.get("/permission-groups").body["items"]] == ["default"]
    assert globex.get(f"/permission-groups/{group}").status == 404
    assert globex.patch(f"/permission-groups/{group}", {"name": "Mine"}).status == 404
    assert globex.delete(f"/permission-groups/{group}").status == 404
    assert globex.get(f"/contacts/{anna}/permission-groups").status == 404
    assert put(globex, f"/contacts/{anna}/permission-groups", {"ids": ["default"]}).status == 404
    # nor may acme's contact be given globex's group
    theirs = new_group(globex, "Theirs", [])
    refused = put(api, f"/contacts/{anna}/permission-groups", {"ids": [theirs]})
    assert (refused.status, refused.error_code) == (422, "validation_error")
    assert refused.body["error"]["details"][0]["field"] == "ids.0"
    assert api.get(f"/permission-groups/{group}").body["name"] == "Readers"


def test_bad_group_bodies_are_422(api: Api) -> None:
    assert api.post("/permission-groups", {"name": "X", "rights": ["jobs.fly"]}).status == 422
    assert api.post("/permission-groups", {"name": "X"}).status == 422
    assert api.post("/permission-groups", {"name": "X", "rights": [], "extra": 1}).status == 422
    group = new_group(api, "Readers", [])
    assert api.patch(f"/permission-groups/{group}", {"name": None}).status == 422
    assert api.patch(f"/permission-groups/{group}", {"is_default": False}).status == 422
    assert api.patch(f"/permission-groups/{UNKNOWN_ID}", {"name": "X"}).status == 404
    assert api.patch("/permission-groups/not-an-id", {"name": "X"}).status == 404


# --- contacts' groups and the union of rights on GET /me -----------------------------------------


def test_the_customers_rights_are_the_union_of_their_groups(api: Api) -> None:
    viewers = new_group(api, "Viewers", ["jobs.view", "documents.view"])
    writers = new_group(api, "Writers", ["jobs.submit", "jobs.view"])
    anna = contact_in(api, "active")
    customer = api.as_customer(anna)
    assert customer.get("/me").body["rights"] == ALL
    # WHEN the admin gives her two groups
    response = put(api, f"/contacts/{anna}/permission-groups", {"ids": [viewers, writers, viewers]})
    assert response.status == 200, response.text
    assert response.body == {
        "ids": [viewers, writers],
        "rights": ["jobs.view", "jobs.submit", "documents.view"],
        "explicit": True,
    }
    # THEN /me shows the union
    me = customer.get("/me")
    assert me.status == 200
    assert me.body["rights"] == ["jobs.view", "jobs.submit", "documents.view"]
    assert me.body["id"] == anna
    # and changing a group changes her rights
    api.patch(f"/permission-groups/{viewers}", {"rights": ["messages.read"]})
    assert customer.get("/me").body["rights"] == ["jobs.view", "jobs.submit", "messages.read"]
    # no groups at all: no rights, but /me still answers
    assert put(api, f"/contacts/{anna}/permission-groups", {"ids": []}).body["rights"] == []
    assert customer.get("/me").body["rights"] == []
    assert customer.get("/me/notifications").status == 200


def test_an_unknown_group_or_contact_is_refused_and_nothing_changes(api: Api) -> None:
    anna = contact_in(api, "not_registered")
    viewers = new_group(api, "Viewers", ["jobs.view"])
    refused = put(api, f"/contacts/{anna}/permission-groups", {"ids": [viewers, UNKNOWN_ID]})
    assert (refused.status, refused.body["error"]["details"][0]["field"]) == (422, "ids.1")
    assert groups_of(api, anna)["ids"] == ["default"]
    assert put(api, f"/contacts/{UNKNOWN_ID}/permission-groups", {"ids": [viewers]}).status == 404
    assert put(api, f"/contacts/{anna}/permission-groups", {"ids": ["x" * 50]}).status == 422
    assert put(api, f"/contacts/{anna}/permission-groups", {"ids": [viewers] * 21}).status == 422


# --- enforcement ------------------------------------------------------------------------------------


def test_a_customer_without_profile_edit_cannot_change_their_notifications(api: Api) -> None:
    viewers = new_group(api, "Viewers", ["jobs.view"])
    anna = contact_in(api, "active")
    customer = api.as_customer(anna)
    put(api, f"/contacts/{anna}/permission-groups", {"ids": [viewers]})
    # WHEN she tries to change her preferences THEN 403 naming the right, and nothing changes
    refused = put(customer, "/me/notifications", {"job_completed": False})
    assert (refused.status, refused.error_code) == (403, "forbidden")
    assert "profile.edit" in refused.body["error"]["message"]
    assert customer.get("/me/notifications").body["job_completed"] is True
    # reading needs no right beyond signing in
    assert customer.get("/me").status == 200
    assert customer.get("/me/notifications").status == 200
    # WITH the right she may
    editors = new_group(api, "Editors", ["profile.edit"])
    put(api, f"/contacts/{anna}/permission-groups", {"ids": [viewers, editors]})
    assert put(customer, "/me/notifications", {"job_completed": False}).status == 200
    assert customer.get("/me/notifications").body["job_completed"] is False


# --- delete with and without reassign_to ---------------------------------------------------------


def test_a_group_in_use_is_deleted_only_with_a_group_to_reassign_its_contacts_to(api: Api) -> None:
    viewers = new_group(api, "Viewers", ["jobs.view"])
    writers = new_group(api, "Writers", ["jobs.submit"])
    anna = contact_in(api, "not_registered", "anna@example.com")
    ben = contact_in(api, "not_registered", "ben@example.com")
    put(api, f"/contacts/{anna}/permission-groups", {"ids": [viewers]})
    put(api, f"/contacts/{ben}/permission-groups", {"ids": [viewers, writers]})
    # WHEN it is deleted without reassign_to THEN 409 and nothing changed
    refused = api.delete(f"/permission-groups/{viewers}")
    assert (refused.status, refused.error_code) == (409, "group_in_use")
    assert api.get(f"/permission-groups/{viewers}").status == 200
    assert put(api, f"/contacts/{anna}/permission-groups", {"ids": [viewers]}).status == 200  # still givable
    # a group to reassign to must exist and be another one
    for target in (UNKNOWN_ID, viewers, "nonsense"):
        bad = api.request("DELETE", f"/permission-groups/{viewers}", query={"reassign_to": target})
        assert (bad.status, bad.error_code) == (422, "validation_error"), target
    # WHEN deleted with reassign_to THEN its contacts have that group instead
    done = api.request("DELETE", f"/permission-groups/{viewers}", query={"reassign_to": writers})
    assert done.status == 204, done.text
    assert api.get(f"/permission-groups/{viewers}").status == 404
    assert groups_of(api, anna)["ids"] == [writers]
    assert groups_of(api, ben)["ids"] == [writers]
    # and the writers group is in use now, the deleted one gone from the list
    assert api.delete(f"/permission-groups/{writers}").error_code == "group_in_use"
    assert [g["id"] for g in api.get("/permission-groups").body["items"]] == ["default", writers]


def test_a_deleted_contact_no_longer_keeps_a_group_in_use(api: Api) -> None:
    viewers = new_group(api, "Viewers", ["jobs.view"])
    anna = contact_in(api, "not_registered")
    put(api, f"/contacts/{anna}/permission-groups", {"ids": [viewers]})
    assert api.delete(f"/permission-groups/{viewers}").error_code == "group_in_use"
    assert api.delete(f"/contacts/{anna}").status == 204
    assert api.delete(f"/permission-groups/{viewers}").status == 204


def test_a_tenant_has_at_most_50_groups(api: Api) -> None:
    for number in range(50):
        new_group(api, f"Group {number}", [])
    refused = api.post("/permission-groups", {"name": "One more", "rights": []})
    assert (refused.status, refused.error_code) == (422, "limit_reached")
    assert len(api.get("/permission-groups").body["items"]) == 51
    # deleting one makes room again
    last = api.get("/permission-groups").body["items"][1]["id"]
    assert api.delete(f"/permission-groups/{last}").status == 204
    assert api.post("/permission-groups", {"name": "One more", "rights": []}).status == 201
