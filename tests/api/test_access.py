"""Who may call what: tokens, roles, tenants, and the error shape of every refusal."""

from __future__ import annotations

import pytest

from pforte.contacts.store import DynamoContactRepository
from tests.api.conftest import Api, staff_claims


def test_a_request_without_claims_is_a_401(api: Api) -> None:
    response = api.anonymous().get("/contacts")
    assert response.status == 401
    assert response.body == {"error": {"code": "unauthorized", "message": "Sign in first."}}


@pytest.mark.parametrize(
    "claims",
    [
        staff_claims(**{"custom:tenant_id": ""}),
        staff_claims(**{"custom:tenant_id": "ACME#CONTACTS"}),
        staff_claims(**{"cognito:groups": "customers"}),
    ],
)
def test_a_token_of_no_tenants_staff_is_a_403(api: Api, claims: dict[str, object]) -> None:
    response = Api(claims=claims).get("/contacts")
    assert response.status == 403
    assert response.error_code == "forbidden"


def test_an_access_token_is_not_an_id_token(api: Api) -> None:
    response = Api(claims=staff_claims(token_use="access")).get("/contacts")
    assert response.status == 401


def test_an_unknown_route_of_a_function_is_a_404_in_our_shape(api: Api) -> None:
    # API Gateway only forwards declared routes; the handler still answers in our shape
    from contacts.handler import lambda_handler
    from infra.local.events import lambda_context, proxy_event
    from infra.template import ApiRoute

    route = ApiRoute(
        "ContactsFunction", "contacts.handler.lambda_handler", "GET", "/nowhere", "StaffAuthorizer"
    )
    event = proxy_event(route, path="/nowhere", claims=staff_claims())
    result = lambda_handler(event, lambda_context("ContactsFunction"))
    assert result["statusCode"] == 404
    assert '"not_found"' in result["body"]


def test_an_unexpected_failure_is_a_500_in_our_shape_without_internals(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("table on fire")

    monkeypatch.setattr(DynamoContactRepository, "page", broken)
    response = api.get("/contacts")
    assert response.status == 500
    assert response.body == {
        "error": {"code": "internal_error", "message": "Something went wrong on our side."}
    }


# --- tenant settings: the pattern of every admin-only route --------------------------------------


def test_both_roles_read_their_tenant(api: Api) -> None:
    for role in ("admin", "operator"):
        response = api.as_("acme", role).get("/tenant")
        assert response.status == 200
        assert response.body["id"] == "acme"
        assert response.body["time_zone"] == "Europe/Berlin"
        assert response.body["activation_link_days"] == 7


def test_only_admins_change_tenant_settings(api: Api) -> None:
    refused = api.as_("acme", "operator").patch("/tenant", {"name": "Hijacked"})
    assert refused.status == 403
    assert refused.error_code == "forbidden"
    assert api.get("/tenant").body["name"] == "Acme"

    changed = api.patch(
        "/tenant",
        {
            "name": "ACME Druck",
            "portal_base_url": "https://portal.acme.example/",
            "mail_sender": "service@acme.example",
            "default_language": "en",
            "time_zone": "America/New_York",
            "activation_link_days": 30,
        },
    )
    assert changed.status == 200, changed.text
    assert changed.body["portal_base_url"] == "https://portal.acme.example"
    assert api.get("/tenant").body == changed.body
    # the other tenant is untouched
    assert api.as_("globex").get("/tenant").body["name"] == "Globex"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"activation_link_days": 31}, "activation_link_days"),
        ({"activation_link_days": 0}, "activation_link_days"),
        ({"portal_base_url": "not a url"}, "portal_base_url"),
        ({"mail_sender": "nobody"}, "mail_sender"),
        ({"name": None}, "name"),
        ({"slug": "other"}, "slug"),
    ],
)
def test_invalid_tenant_settings_are_a_422(api: Api, body: dict[str, object], field: str) -> None:
    before = api.get("/tenant").body
    response = api.patch("/tenant", body)
    assert response.status == 422
    assert field in [detail["field"] for detail in response.body["error"]["details"]]
    assert api.get("/tenant").body == before
