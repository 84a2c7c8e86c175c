"""Activation mails and links: sending, language, expiry, single use, replacement, rate limits."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from infra.local.mailbox import sent_mail
from pforte.activation import service as activation_module
from pforte.core.clock import utcnow
from tests.api.conftest import Api
from tests.api.test_status import AGREEING_IDENTITY, Logins, contact_in

PASSWORD = "Sommer-Sonne-2026"


@pytest.fixture
def logins(aws: Any) -> Logins:
    return Logins(aws)


def invite(api: Api, contact_id: str) -> str:
    """Request an activation mail and return the token from the link in it."""
    response = api.post(f"/contacts/{contact_id}/activation-request")
    assert response.status == 202, response.text
    email = api.get(f"/contacts/{contact_id}").body["email"]
    text = sent_mail(email)[-1]["text"]
    match = re.search(r"/activate\?token=(\S+)", text)
    assert match, text
    return match.group(1)


def activate(api: Api, token: str, password: str | None = PASSWORD, ip: str = "198.51.100.7") -> Any:
    body = {"token": token, **({"password": password} if password is not None else {})}
    return api.anonymous(ip).post("/public/activations", body)


def test_an_activation_request_mails_a_link_and_marks_the_contact_invited(api: Api) -> None:
    contact_id = contact_in(api, "not_registered")
    before = utcnow()
    response = api.post(f"/contacts/{contact_id}/activation-request")
    assert response.status == 202
    sent_at = datetime.fromisoformat(response.body["invitation_sent_at"])
    expires_at = datetime.fromisoformat(response.body["expires_at"])
    assert timedelta(days=7) - timedelta(seconds=5) < expires_at - before < timedelta(days=7, seconds=5)
    contact = api.get(f"/contacts/{contact_id}").body
    assert contact["invitation_sent_at"] == response.body["invitation_sent_at"]
    assert contact["status"] == "not_registered"
    assert sent_at >= before - timedelta(seconds=1)
    (mail,) = sent_mail("anna@example.com")
    assert mail["to"] == ["anna@example.com"]
    assert mail["subject"] == "Aktivieren Sie Ihr Konto bei Acme"
    assert "https://portal.example.com/activate?token=acme." in mail["text"]
    assert 'href="https://portal.example.com/activate?token=acme.' in mail["html"]
    assert "Guten Tag Anna" in mail["text"]
    # the invited filter sees it now
    assert [c["id"] for c in api.get("/contacts", invited="true").body["items"]] == [contact_id]


def test_the_mail_speaks_the_contacts_language_and_the_tenants_link_validity(api: Api) -> None:
    api.patch("/tenant", {"activation_link_days": 3, "name": "Druckerei <Nord>"})
    contact_id = api.post(
        "/contacts", {"name": "Clara", "email": "clara@example.com", "language": "en"}
    ).body["id"]
    response = api.post(f"/contacts/{contact_id}/activation-request")
    expires_at = datetime.fromisoformat(response.body["expires_at"])
    assert timedelta(days=2, hours=23) < expires_at - utcnow() <= timedelta(days=3)
    (mail,) = sent_mail("clara@example.com")
    assert mail["subject"] == "Activate your account with Druckerei <Nord>"
    assert "Hello Clara" in mail["text"]
    assert "Europe/Berlin" in mail["text"]
    # names are escaped in HTML
    assert "Druckerei &lt;Nord&gt;" in mail["html"]
    assert "Druckerei <Nord>" not in mail["html"]


@pytest.mark.parametrize("status", ["active", "deactivated"])
def test_no_activation_request_for_accounts_already_activated(api: Api, status: str) -> None:
    contact_id = contact_in(api, status)
    response = api.post(f"/contacts/{contact_id}/activation-request")
    assert response.status == 409
    assert response.error_code == "invalid_transition"
    assert sent_mail("anna@example.com") == []


def test_a_foreign_contact_gets_no_activation_request(api: Api) -> None:
    contact_id = contact_in(api, "not_registered")
    assert api.as_("globex").post(f"/contacts/{contact_id}/activation-request").status == 404
    assert sent_mail("anna@example.com") == []


def test_the_link_activates_once_and_creates_the_login(api: Api, logins: Logins) -> None:
    contact_id = contact_in(api, "not_registered")
    token = invite(api, contact_id)
    response = activate(api, token)
    assert response.status == 200
    assert response.body == {"status": "active"}
    assert api.get(f"/contacts/{contact_id}").body["status"] == "active"
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY["active"]
    used = activate(api, token)
    assert used.status == 410
    assert used.error_code == "token_invalid"


def test_unknown_used_replaced_and_expired_links_all_answer_alike(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact_id = contact_in(api, "not_registered")
    replaced = invite(api, contact_id)
    current = invite(api, contact_id)
    answers = [
        activate(api, "acme." + "x" * 43),
        activate(api, "nonsense"),
        activate(api, replaced),
        activate(api.as_("globex"), current.replace("acme.", "globex.")),
    ]
    # and an expired one
    monkeypatch.setattr(activation_module, "utcnow", lambda: utcnow() + timedelta(days=7, minutes=1))
    answers.append(activate(api, current))
    assert {(a.status, a.text) for a in answers} == {(410, answers[0].text)}
    monkeypatch.undo()
    assert activate(api, current).status == 200


def test_a_weak_password_is_refused_and_the_link_stays_usable(api: Api, logins: Logins) -> None:
    contact_id = contact_in(api, "not_registered")
    token = invite(api, contact_id)
    weak = activate(api, token, password="short")
    assert weak.status == 422
    assert weak.error_code == "weak_password"
    assert weak.body["error"]["details"][0]["field"] == "password"
    missing = activate(api, token, password=None)
    assert missing.status == 422
    assert api.get(f"/contacts/{contact_id}").body["status"] == "not_registered"
    assert activate(api, token).status == 200
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY["active"]


def test_a_staff_invitation_of_a_self_registered_contact_sets_the_password_chosen_then(
    api: Api, logins: Logins
) -> None:
    contact_id = contact_in(api, "inactive")  # registered with "Passw0rd-long"
    token = invite(api, contact_id)  # the invitation mail asks the customer to choose a password
    assert activate(api, token, password=None).status == 422
    weak = activate(api, token, password="weak")
    assert (weak.status, weak.error_code) == (422, "weak_password")
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY["inactive"]  # nothing changed
    assert activate(api, token, password="Chosen-Now-2026").status == 200
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY["active"]
    assert logins.signs_in("acme", contact_id, "Chosen-Now-2026")
    assert not logins.signs_in("acme", contact_id, "Passw0rd-long")


def test_ten_failures_from_one_address_block_it_for_15_minutes(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact_id = contact_in(api, "not_registered")
    token = invite(api, contact_id)
    for _ in range(10):
        assert activate(api, "acme." + "y" * 43, ip="192.0.2.66").status == 410
    blocked = activate(api, token, ip="192.0.2.66")
    assert blocked.status == 429
    assert blocked.error_code == "rate_limited"
    assert 0 < int(blocked.headers["Retry-After"]) <= 900
    # another address is not affected, and the block ends
    monkeypatch.setattr("pforte.activation.store.utcnow", lambda: utcnow() + timedelta(minutes=15, seconds=1))
    assert activate(api, token, ip="192.0.2.66").status == 200


def test_failures_spread_over_more_than_15_minutes_do_not_block(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(9):
        activate(api, "acme." + "z" * 43, ip="192.0.2.77")
    monkeypatch.setattr("pforte.activation.store.utcnow", lambda: utcnow() + timedelta(minutes=16))
    for _ in range(9):
        assert activate(api, "acme." + "z" * 43, ip="192.0.2.77").status == 410


def test_deleting_the_contact_kills_its_link(api: Api) -> None:
    contact_id = contact_in(api, "not_registered")
    token = invite(api, contact_id)
    assert api.delete(f"/contacts/{contact_id}").status == 204
    assert activate(api, token).status == 410


def test_an_activated_then_reset_contact_can_be_invited_again(api: Api, logins: Logins) -> None:
    contact_id = contact_in(api, "not_registered")
    assert activate(api, invite(api, contact_id)).status == 200
    assert api.request("DELETE", f"/contacts/{contact_id}/identities").status == 200
    assert activate(api, invite(api, contact_id), password="Another-Pass-99").status == 200
    assert logins.state("acme", contact_id) == AGREEING_IDENTITY["active"]


def test_a_weak_password_leaves_no_login_behind(api: Api, logins: Logins) -> None:
    contact_id = contact_in(api, "not_registered")
    assert activate(api, invite(api, contact_id), password="weak").status == 422
    assert logins.state("acme", contact_id) is None


def test_a_link_replaced_while_it_is_being_used_leaves_no_login(
    api: Api, logins: Logins, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pforte.aws.identities import CognitoLoginIdentities

    contact_id = contact_in(api, "not_registered")
    token = invite(api, contact_id)
    original = CognitoLoginIdentities.create

    def staff_resend_meanwhile(self: Any, contact: Any, password: str) -> None:
        original(self, contact, password)
        api.post(f"/contacts/{contact_id}/activation-request")

    monkeypatch.setattr(CognitoLoginIdentities, "create", staff_resend_meanwhile)
    assert activate(api, token).status == 410
    assert api.get(f"/contacts/{contact_id}").body["status"] == "not_registered"
    assert logins.state("acme", contact_id) is None


def test_changing_the_email_cancels_the_link_sent_to_the_old_one(api: Api) -> None:
    contact_id = contact_in(api, "not_registered")
    token = invite(api, contact_id)
    assert api.patch(f"/contacts/{contact_id}", {"email": "new@example.com"}).status == 200
    assert activate(api, token).status == 410
    assert activate(api, invite(api, contact_id)).status == 200


def test_refusals_say_what_was_refused(api: Api) -> None:
    contact_id = contact_in(api, "not_registered")
    response = api.request("DELETE", f"/contacts/{contact_id}/identities")
    assert (
        response.body["error"]["message"]
        == "A contact in status not_registered cannot lose its login identity."
    )


def test_a_new_address_reaches_the_login_and_the_contact_counts_as_not_invited(
    api: Api, logins: Logins
) -> None:
    import boto3

    contact_id = contact_in(api, "active")
    changed = api.patch(f"/contacts/{contact_id}", {"email": "anna.new@example.com"})
    assert changed.status == 200
    cognito = boto3.client("cognito-idp", region_name="eu-central-1")
    pool = next(
        p["Id"] for p in cognito.list_user_pools(MaxResults=10)["UserPools"] if "customer" in p["Name"]
    )
    user = cognito.admin_get_user(UserPoolId=pool, Username=f"acme.{contact_id}")
    assert {"Name": "email", "Value": "anna.new@example.com"} in user["UserAttributes"]
    invited = contact_in(api, "not_registered", "ben@example.com")
    api.post(f"/contacts/{invited}/activation-request")
    assert (
        api.patch(f"/contacts/{invited}", {"email": "ben.new@example.com"}).body["invitation_sent_at"] is None
    )


def test_recording_a_failed_attempt_is_one_update(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from pforte.aws.clients import dynamodb

    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    def writes() -> list[str]:
        return [call for call in calls if call not in {"GetItem", "Query"}]

    events = dynamodb().meta.events
    events.register("before-call.dynamodb", record)
    try:
        for _ in range(3):  # the first failure (no item yet), then two within the window
            calls.clear()
            assert activate(api, "acme." + "w" * 43, ip="192.0.2.88").status == 410
            assert writes() == ["UpdateItem"], calls
        # after the window closed, a failure starts a new one (and counts from 1 again)
        monkeypatch.setattr("pforte.activation.store.utcnow", lambda: utcnow() + timedelta(minutes=16))
        for _ in range(9):
            assert activate(api, "acme." + "w" * 43, ip="192.0.2.88").status == 410
        calls.clear()
        assert activate(api, "acme." + "w" * 43, ip="192.0.2.88").status == 410
        assert writes() == ["UpdateItem"], calls
    finally:
        events.unregister("before-call.dynamodb", record)
    assert activate(api, "acme." + "w" * 43, ip="192.0.2.88").status == 429  # ten in the new window


def test_the_mail_log_keeps_the_mail_without_its_usable_link(api: Api) -> None:
    from pforte.aws import clients
    from pforte.core.settings import get_settings
    from pforte.storage import keys

    contact_id = contact_in(api, "not_registered")
    token = invite(api, contact_id)
    logged = clients.dynamodb().query(
        TableName=get_settings().table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :mail)",
        ExpressionAttributeValues={
            ":pk": {"S": keys.contact_partition("acme", contact_id)},
            ":mail": {"S": "MAIL#"},
        },
    )["Items"]
    assert len(logged) == 1
    assert "/activate?token=acme.…" in logged[0]["text"]["S"]
    assert token.split(".", 1)[1] not in str(logged[0])
    assert activate(api, token).status == 200  # the mailed link still works
