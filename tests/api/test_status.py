"""Status actions: every allowed and refused transition, and the login identity agreeing with it,
also when one of the two writes fails midway."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from infra.local.provision import LocalResources
from pforte.aws.identities import CognitoLoginIdentities, username
from pforte.contacts.service import ContactStatus
from pforte.contacts.store import DynamoContactRepository
from pforte.wiring import contact_repository, login_identities
from tests.api.conftest import Api, fail_once


class Logins:
    """What the customer pool says about a contact's identity."""

    def __init__(self, resources: LocalResources) -> None:
        self._client = boto3.client("cognito-idp", region_name="eu-central-1")
        self._pool = resources.pools["CustomerUserPool"]
        self._app_client = resources.clients["CustomerUserPool"]

    def signs_in(self, tenant_id: str, contact_id: str, password: str) -> bool:
        """Whether the identity signs in with this password."""
        try:
            self._client.admin_initiate_auth(
                UserPoolId=self._pool,
                ClientId=self._app_client,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": f"{tenant_id}.{contact_id}", "PASSWORD": password},
            )
        except self._client.exceptions.NotAuthorizedException:
            return False
        return True

    def state(self, tenant_id: str, contact_id: str) -> tuple[str, bool] | None:
        try:
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=f"{tenant_id}.{contact_id}")
        except self._client.exceptions.UserNotFoundException:
            return None
        return user["UserStatus"], user["Enabled"]


@pytest.fixture
def logins(aws: LocalResources) -> Logins:
    return Logins(aws)


def contact_in(api: Api, status: str, email: str = "anna@example.com") -> str:
    """A contact of tenant acme in `status`, with the identity that status implies."""
    contact_id = str(api.post("/contacts", {"name": "Anna", "email": email}).body["id"])
    if status == "not_registered":
        return contact_id
    repository = contact_repository()
    contact = repository.get("acme", contact_id)
    assert contact is not None
    identities = login_identities()
    if status == "inactive":
        identities.register(contact, "Passw0rd-long")
    else:
        identities.create(contact, "Passw0rd-long")
    if status == "deactivated":
        identities.disable(contact)
    forced = contact.model_copy(update={"status": ContactStatus(status), "version": contact.version + 1})
    repository.replace(forced, previous=contact)
    return contact_id


AGREEING_IDENTITY: dict[str, tuple[str, bool] | None] = {
    "not_registered": None,
    "inactive": ("UNCONFIRMED", True),
    "active": ("CONFIRMED", True),
    "deactivated": ("CONFIRMED", False),
}
ACTIONS = {
    "activate": ("POST", "/contacts/{id}/activate"),
    "deactivate": ("POST", "/contacts/{id}/deactivate"),
    "delete_identities": ("DELETE", "/contacts/{id}/identities"),
}
ALLOWED = {
    ("activate", "inactive"): "active",
    ("activate", "deactivated"): "active",
    ("deactivate", "active"): "deactivated",
    ("delete_identities", "active"): "not_registered",
}


def act(api: Api, action: str, contact_id: str) -> Any:
    method, path = ACTIONS[action]
    return api.request(method, path.format(id=contact_id))


@pytest.mark.parametrize("start", list(AGREEING_IDENTITY))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_status_action_from_every_status(api: Api, logins: Logins, action: str, start: str) -> None:
    contact_id = contact_in(api, start)
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY[start]
    response = act(api, action, contact_id)
    expected = ALLOWED.get((action, start))
    if expected:
        assert response.status == 200, response.text
        assert response.body["status"] == expected
    else:
        assert response.status == 409
        assert response.error_code == "invalid_transition"
    final = expected or start
    assert api.get(f"/contacts/{contact_id}").body["status"] == final
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY[final]


def test_status_actions_on_another_tenants_contact_are_a_404(api: Api, logins: Logins) -> None:
    contact_id = contact_in(api, "active")
    for action in ACTIONS:
        assert act(api.as_("globex"), action, contact_id).status == 404
    assert logins.state("acme", contact_id) == ("CONFIRMED", True)


def test_deleting_an_active_contact_deletes_its_identity(api: Api, logins: Logins) -> None:
    contact_id = contact_in(api, "active")
    assert api.delete(f"/contacts/{contact_id}").status == 204
    assert logins.state("acme", contact_id) is None


# --- one of the two writes fails: the request fails, and repeating it repairs the pair ------------


@pytest.mark.parametrize(("action", "start"), list(ALLOWED))
def test_a_failed_contact_write_leaves_a_repeatable_action(
    api: Api, logins: Logins, monkeypatch: pytest.MonkeyPatch, action: str, start: str
) -> None:
    contact_id = contact_in(api, start)
    fail_once(monkeypatch, DynamoContactRepository, "replace")
    failed = act(api, action, contact_id)
    assert failed.status == 500
    assert failed.error_code == "internal_error"
    # the contact kept its status, so the same action is allowed again ...
    assert api.get(f"/contacts/{contact_id}").body["status"] == start
    repeated = act(api, action, contact_id)
    assert repeated.status == 200
    # ... and repairs the pair
    final = ALLOWED[(action, start)]
    assert repeated.body["status"] == final
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY[final]


@pytest.mark.parametrize(
    ("action", "start", "step"),
    [
        ("activate", "inactive", "confirm_without_password"),
        ("activate", "deactivated", "confirm_and_enable"),
        ("deactivate", "active", "disable"),
        ("delete_identities", "active", "delete"),
    ],
)
def test_a_failed_identity_call_changes_nothing(
    api: Api, logins: Logins, monkeypatch: pytest.MonkeyPatch, action: str, start: str, step: str
) -> None:
    contact_id = contact_in(api, start)
    fail_once(monkeypatch, CognitoLoginIdentities, step)
    assert act(api, action, contact_id).status == 500
    assert api.get(f"/contacts/{contact_id}").body["status"] == start
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY[start]
    assert act(api, action, contact_id).status == 200
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY[ALLOWED[(action, start)]]


def test_usernames_are_per_tenant(api: Api) -> None:
    contact_id = contact_in(api, "not_registered")
    contact = contact_repository().get("acme", contact_id)
    assert contact is not None
    assert username(contact) == f"acme.{contact_id}"


def test_deleting_a_contact_removes_a_login_whatever_its_status_says(api: Api, logins: Logins) -> None:
    contact_id = contact_in(api, "not_registered")
    contact = contact_repository().get("acme", contact_id)
    assert contact is not None
    login_identities().create(contact, "Passw0rd-long")  # left behind by some earlier failure
    assert api.delete(f"/contacts/{contact_id}").status == 204
    assert logins.state("acme", contact_id) is None
