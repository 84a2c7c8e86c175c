"""Whatever a client sends, bad input is a clear 4xx in our error shape, never a 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\xff", "email": "a@example.com"}',  # not UTF-8
        b'{"name": "A", "email": "a@example.com", "n": ' + b"9" * 5000 + b"}",  # past the int digit limit
        b"[" * 100_000 + b"]" * 100_000,  # past the recursion limit
        b"\x00\x01\x02",
    ],
)
def test_bodies_json_cannot_read_are_a_422(api: Api, raw: bytes) -> None:
    response = api.request("POST", "/contacts", raw_body=raw)
    assert response.status == 422
    assert response.body["error"]["details"] == [{"field": "body", "message": "The body is not valid JSON."}]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/merge-patch+json", "application/x-www-form-urlencoded"]
)
def test_a_json_body_is_read_as_json_whatever_type_it_claims(api: Api, content_type: str) -> None:
    created = api.request(
        "POST",
        "/contacts",
        raw_body='{"name": "Anna", "email": "anna@example.com"}',
        headers={"Content-Type": content_type},
    )
    assert created.status == 201
    changed = api.request(
        "PATCH",
        f"/contacts/{created.body['id']}",
        raw_body='{"company": "ACME"}',
        headers={"Content-Type": content_type},
    )
    assert changed.body["company"] == "ACME"


@pytest.mark.parametrize(
    "variant",
    [
        "JÖRG@MÜLLER.DE",  # case
        "jo\u0308rg@mu\u0308ller.de",  # decomposed umlauts (NFD)
        "jörg@xn--mller-kva.de",  # the domain in its ASCII (IDNA) form
    ],
)
def test_spellings_of_one_mailbox_are_one_address(api: Api, variant: str) -> None:
    assert api.post("/contacts", {"name": "Jörg", "email": "jörg@müller.de"}).status == 201
    response = api.post("/contacts", {"name": "Jörg 2", "email": variant})
    assert response.status == 409
    assert response.error_code == "email_taken"


def test_search_finds_decomposed_and_composed_spellings_alike(api: Api) -> None:
    created = api.post("/contacts", {"name": "Jo\u0308rg Mu\u0308ller", "email": "j@example.com"}).body
    assert [c["id"] for c in api.get("/contacts", q="jörg").body["items"]] == [created["id"]]


@pytest.mark.parametrize("name", ["a\u0000b", "evil\u202etxt.exe", "tab\there"])
def test_names_with_control_characters_are_refused(api: Api, name: str) -> None:
    response = api.post("/contacts", {"name": name, "email": "a@example.com"})
    assert response.status == 422
    assert response.body["error"]["details"][0]["field"] == "name"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "x" * 300}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"activation_link_days": True}, "activation_link_days"),
        ({"activation_link_days": "5"}, "activation_link_days"),
        ({"portal_base_url": "https://u:p@portal.example.com"}, "portal_base_url"),
        ({"portal_base_url": "https://portal.example.com/?next=evil"}, "portal_base_url"),
        ({"portal_base_url": "https://portal.example.com/#x"}, "portal_base_url"),
        ({"portal_base_url": "http://portal.example.com"}, "portal_base_url"),
        ({"portal_base_url": "https://portal.example.com/" + "x" * 300}, "portal_base_url"),
        ({"portal_base_url": "javascript:alert(1)"}, "portal_base_url"),
    ],
)
def test_unsafe_tenant_settings_are_refused(api: Api, body: dict[str, object], field: str) -> None:
    response = api.patch("/tenant", body)
    assert response.status == 422
    assert response.body["error"]["details"][0]["field"] == field


def test_a_local_portal_may_use_http(api: Api) -> None:
    response = api.patch("/tenant", {"portal_base_url": "http://localhost:5173/"})
    assert response.status == 200
    assert response.body["portal_base_url"] == "http://localhost:5173"


def test_validation_messages_carry_no_library_prefixes(api: Api) -> None:
    response = api.post("/contacts", {"name": "A", "email": "no-at-sign"})
    message = response.body["error"]["details"][0]["message"]
    assert not message.startswith("Value error")


def test_a_multipart_body_without_boundary_is_a_422(api: Api) -> None:
    response = api.request(
        "POST", "/contacts", raw_body="{}", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status == 422


def test_transactions_carry_a_request_token_so_retries_are_idempotent(api: Api) -> None:
    from pforte.aws import clients

    tokens: list[str] = []

    def capture(params: dict[str, object], **_: object) -> None:
        tokens.append(str(params.get("ClientRequestToken")))

    client = clients.dynamodb()
    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", capture)
    try:
        api.post("/contacts", {"name": "Anna", "email": "anna@example.com"})
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", capture)
    assert len(tokens) == 1
    assert tokens[0] != "None"


def test_json_nested_just_below_the_recursion_limit_is_a_422(api: Api) -> None:
    for depth in (970, 990, 1000, 2000):
        response = api.request("POST", "/contacts", raw_body="[" * depth + "]" * depth)
        assert response.status == 422, (depth, response.text)
        assert response.error_code == "validation_error"


@pytest.mark.parametrize(
    "content_type",
    ["Application/JSON", "application/json; charset=UTF-8", "APPLICATION/JSON;charset=utf-8", "text/CSV"],
)
def test_media_types_are_case_insensitive(api: Api, content_type: str) -> None:
    if content_type.lower().startswith("text/csv"):
        return  # CSV bodies are the import's; a JSON route reads JSON in any spelling below
    created = api.request(
        "POST",
        "/contacts",
        raw_body='{"name": "Anna", "email": "anna.case@example.com"}',
        headers={"Content-Type": content_type},
    )
    assert created.status == 201, created.text


def test_a_repeated_query_parameter_takes_the_last_value(api: Api) -> None:
    assert api.post("/contacts", {"name": "Anna", "email": "anna.q@example.com"}).status == 201
    listed = api.request("GET", "/contacts", query=[("status", "active"), ("status", "not_registered")])  # type: ignore[arg-type]
    assert listed.status == 200, listed.text
    assert [item["email"] for item in listed.body["items"]] == ["anna.q@example.com"]
    none = api.request("GET", "/contacts", query=[("status", "not_registered"), ("status", "active")])  # type: ignore[arg-type]
    assert none.status == 200, none.text
    assert none.body["items"] == []
