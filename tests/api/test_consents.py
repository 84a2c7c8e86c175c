"""Consents: the tenant's channels, grants and withdrawals, double opt-in by mail, the history."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from infra.local.mailbox import sent_mail
from infra.local.queues import QueueRunner
from pforte.aws import clients
from pforte.consents import service as consents_module
from pforte.consents.service import ConfirmationToken
from pforte.core.clock import utcnow
from pforte.core.settings import get_settings
from pforte.storage import keys
from tests.api.conftest import Api, ApiResponse
from tests.api.test_status import contact_in

CONSENTS = "/contacts/{}/consents"


def put(api: Api, path: str, body: Any) -> ApiResponse:
    return api.request("PUT", path, json_body=body)


def grant(api: Api, contact_id: str, channel: str, source: str = "staff", **extra: Any) -> ApiResponse:
    return put(api, f"{CONSENTS.format(contact_id)}/{channel}", {"granted": True, "source": source, **extra})


def withdraw(api: Api, contact_id: str, channel: str, source: str = "staff") -> ApiResponse:
    return put(api, f"{CONSENTS.format(contact_id)}/{channel}", {"granted": False, "source": source})


def statuses(api: Api, contact_id: str) -> dict[str, str]:
    response = api.get(CONSENTS.format(contact_id))
    assert response.status == 200, response.text
    return {item["channel"]: item["status"] for item in response.body["items"]}


def granted_count(api: Api, contact_id: str) -> int:
    return int(api.get(f"/contacts/{contact_id}/summary").body["consents_granted"])


def confirmation_token(email: str) -> str:
    """The token from the newest confirmation mail to `email`."""
    mails = [mail for mail in sent_mail(email) if "confirm-consent" in (mail["text"] or "")]
    assert mails, sent_mail(email)
    match = re.search(r"/confirm-consent\?token=(\S+)", mails[-1]["text"])
    assert match, mails[-1]["text"]
    return match.group(1)


def newsletter_link(api: Api, anna: str, queues: QueueRunner) -> str:
    """Anna's newsletter consent granted by staff, so pending: the token of the mail that confirms it."""
    grant(api, anna, "email_newsletter")
    queues.drain()
    return confirmation_token("anna@example.com")


def confirm(api: Api, token: str, ip: str = "198.51.100.7", agent: str = "Mailbrowser/1.0") -> ApiResponse:
    return api.anonymous(ip).post(
        "/public/consent-confirmations", {"token": token}, headers={"User-Agent": agent}
    )


@pytest.fixture
def anna(api: Api) -> str:
    return str(api.post("/contacts", {"name": "Anna", "email": "anna@example.com"}).body["id"])


def test_a_new_contact_has_no_consent_on_the_tenants_default_channels(api: Api, anna: str) -> None:
    for caller in (api, api.as_(role="operator")):
        response = caller.get(CONSENTS.format(anna))
        assert response.status == 200
        items = response.body["items"]
        assert [(i["channel"], i["type"], i["status"]) for i in items] == [
            ("email_newsletter", "email", "none"),
            ("post", "post", "none"),
            ("phone", "phone", "none"),
        ]
        assert all(i["changed_at"] is None and i["source"] is None and i["wording"] for i in items)
    tenant = api.get("/tenant").body
    assert [c["key"] for c in tenant["consent_channels"]] == ["email_newsletter", "post", "phone"]
    assert {c["wording_version"] for c in tenant["consent_channels"]} == {1}


def test_granting_a_postal_consent_counts_at_once_and_withdrawing_too(api: Api, anna: str) -> None:
    response = grant(api.as_(role="operator"), anna, "post", "letter", note="Signed form of 2 Dec")
    assert response.status == 200, response.text
    assert response.body["status"] == "granted"
    assert response.body["source"] == "letter"
    assert response.body["granted_wording_version"] == 1
    assert statuses(api, anna)["post"] == "granted"
    assert granted_count(api, anna) == 1
    # granting again changes nothing and counts nothing twice
    assert grant(api, anna, "post").body["status"] == "granted"
    assert granted_count(api, anna) == 1

    response = withdraw(api, anna, "post", "phone")
    assert response.body["status"] == "withdrawn"
    assert statuses(api, anna)["post"] == "withdrawn"
    assert granted_count(api, anna) == 0
    assert withdraw(api, anna, "post").body["status"] == "withdrawn"
    assert granted_count(api, anna) == 0


def test_email_consent_is_double_opt_in_end_to_end(api: Api, anna: str, queues: QueueRunner) -> None:
    response = grant(api, anna, "email_newsletter", "phone")
    assert response.status == 200, response.text
    assert response.body["status"] == "pending"
    assert granted_count(api, anna) == 0
    assert sent_mail("anna@example.com") == []  # the mail worker sends it

    queues.drain()
    (mail,) = sent_mail("anna@example.com")
    assert mail["subject"] == "Bitte bestätigen Sie Ihre Einwilligung bei Acme"
    assert "Newsletter" in mail["text"] or "newsletter" in mail["text"]
    assert 'href="https://portal.example.com/confirm-consent?token=acme.' in mail["html"]
    token = confirmation_token("anna@example.com")
    assert statuses(api, anna)["email_newsletter"] == "pending"
    assert api.get(f"/contacts/{anna}/summary").body["mails"] == 1

    confirmed = confirm(api, token)
    assert confirmed.status == 200, confirmed.text
    assert confirmed.body == {"channel": "email_newsletter", "status": "granted"}
    (email,) = [i for i in api.get(CONSENTS.format(anna)).body["items"] if i["channel"] == "email_newsletter"]
    assert email["status"] == "granted"
    assert email["source"] == "confirmation_link"
    assert email["proof"]["source_ip"] == "198.51.100.7"
    assert email["proof"]["user_agent"] == "Mailbrowser/1.0"
    assert email["proof"]["confirmed_at"] == email["changed_at"]
    assert granted_count(api, anna) == 1

    # single use: the same link again is gone
    again = confirm(api, token)
    assert again.status == 410
    assert again.error_code == "token_invalid"
    assert granted_count(api, anna) == 1


def test_unknown_and_malformed_links_are_410_and_guessing_is_slowed(api: Api, anna: str) -> None:
    for token in ("acme." + "x" * 43, "nonsense", "globex." + "y" * 43):
        response = confirm(api, token, ip="192.0.2.50")
        assert response.status == 410
        assert response.error_code == "token_invalid"
    for _ in range(7):
        confirm(api, "nonsense", ip="192.0.2.50")
    blocked = confirm(api, "nonsense", ip="192.0.2.50")
    assert blocked.status == 429
    assert blocked.error_code == "rate_limited"
    assert int(blocked.headers["Retry-After"]) > 0
    # another address is not blocked
    assert confirm(api, "nonsense", ip="192.0.2.51").status == 410


def test_an_expired_link_is_410_and_the_consent_stays_pending(
    api: Api, anna: str, queues: QueueRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = newsletter_link(api, anna, queues)
    later = utcnow() + timedelta(days=7, minutes=1)  # the tenant's link validity is 7 days
    monkeypatch.setattr(consents_module, "utcnow", lambda: later)
    response = confirm(api, token)
    assert response.status == 410
    assert response.error_code == "token_invalid"
    monkeypatch.undo()
    assert statuses(api, anna)["email_newsletter"] == "pending"
    assert granted_count(api, anna) == 0


def test_withdrawing_a_pending_email_consent_is_immediate_and_kills_the_link(
    api: Api, anna: str, queues: QueueRunner
) -> None:
    token = newsletter_link(api, anna, queues)
    assert withdraw(api, anna, "email_newsletter").body["status"] == "withdrawn"
    assert confirm(api, token).error_code == "token_invalid"
    assert statuses(api, anna)["email_newsletter"] == "withdrawn"
    assert granted_count(api, anna) == 0


def test_withdrawing_a_granted_email_consent_needs_no_confirmation(
    api: Api, anna: str, queues: QueueRunner
) -> None:
    assert confirm(api, newsletter_link(api, anna, queues)).status == 200
    mails_before = len(sent_mail("anna@example.com"))
    response = withdraw(api, anna, "email_newsletter", "letter")
    assert response.body["status"] == "withdrawn"
    queues.drain()
    assert len(sent_mail("anna@example.com")) == mails_before
    assert granted_count(api, anna) == 0


def test_granting_a_pending_consent_again_mails_a_new_link_and_the_old_one_stops(
    api: Api, anna: str, queues: QueueRunner
) -> None:
    first = newsletter_link(api, anna, queues)
    assert grant(api, anna, "email_newsletter").body["status"] == "pending"
    queues.drain()
    second = confirmation_token("anna@example.com")
    assert first != second
    assert len(sent_mail("anna@example.com")) == 2
    assert confirm(api, first).status == 410
    assert confirm(api, second).status == 200
    assert granted_count(api, anna) == 1


def test_a_queued_confirmation_for_a_withdrawn_consent_sends_nothing(
    api: Api, anna: str, queues: QueueRunner
) -> None:
    grant(api, anna, "email_newsletter")
    withdraw(api, anna, "email_newsletter")
    queues.drain()
    assert sent_mail("anna@example.com") == []


def test_the_history_records_every_change_newest_first_with_cursor(
    api: Api, anna: str, queues: QueueRunner
) -> None:
    operator = api.as_(role="operator")
    grant(operator, anna, "post", "letter", note="Form A")
    withdraw(api, anna, "post", "phone")
    grant(api, anna, "email_newsletter", "form")
    queues.drain()
    confirm(api, confirmation_token("anna@example.com"))
    grant(api, anna, "post", "letter")  # granted again
    grant(api, anna, "post", "letter")  # no change: no entry

    response = api.get(f"{CONSENTS.format(anna)}/history")
    assert response.status == 200, response.text
    items = response.body["items"]
    assert [(i["channel"], i["from_status"], i["to_status"], i["source"]) for i in items] == [
        ("post", "withdrawn", "granted", "letter"),
        ("email_newsletter", "pending", "granted", "confirmation_link"),
        ("email_newsletter", "none", "pending", "form"),
        ("post", "granted", "withdrawn", "phone"),
        ("post", "none", "granted", "letter"),
    ]
    assert items[-1]["note"] == "Form A"
    assert items[-1]["by_kind"] == "staff"
    assert items[-1]["by_id"]
    assert items[1]["by_kind"] == "link"
    assert items[1]["proof"]["source_ip"] == "198.51.100.7"
    assert all(i["wording_version"] == 1 and i["wording"] for i in items)
    assert response.body["next_cursor"] is None
    assert granted_count(api, anna) == 2

    first = api.get(f"{CONSENTS.format(anna)}/history", limit=2)
    assert [i["id"] for i in first.body["items"]] == [i["id"] for i in items[:2]]
    rest = api.get(f"{CONSENTS.format(anna)}/history", limit=10, cursor=first.body["next_cursor"])
    assert [i["id"] for i in rest.body["items"]] == [i["id"] for i in items[2:]]
    assert api.get(f"{CONSENTS.format(anna)}/history", cursor="garbage").status == 422
    assert api.get(f"{CONSENTS.format(anna)}/history", limit=201).status == 422


def test_a_changed_wording_counts_its_version_up_and_the_history_keeps_both(api: Api, anna: str) -> None:
    grant(api, anna, "post")
    channels = api.get("/tenant").body["consent_channels"]
    changed = [
        {
            "key": c["key"],
            "type": c["type"],
            "wording": c["wording"] + (" (new)" if c["key"] == "post" else ""),
        }
        for c in channels
    ]
    response = api.patch("/tenant", {"consent_channels": changed})
    assert response.status == 200, response.text
    versions = {c["key"]: c["wording_version"] for c in response.body["consent_channels"]}
    assert versions == {"email_newsletter": 1, "post": 2, "phone": 1}
    withdraw(api, anna, "post")
    grant(api, anna, "post")
    (post,) = [i for i in api.get(CONSENTS.format(anna)).body["items"] if i["channel"] == "post"]
    assert (post["wording_version"], post["granted_wording_version"]) == (2, 2)
    history = api.get(f"{CONSENTS.format(anna)}/history").body["items"]
    assert [i["wording_version"] for i in history] == [2, 2, 1]
    assert history[0]["wording"].endswith("(new)")
    assert not history[-1]["wording"].endswith("(new)")


def test_a_tenant_defines_its_own_channels_and_an_unknown_one_is_404(api: Api, anna: str) -> None:
    response = api.patch(
        "/tenant",
        {"consent_channels": [{"key": "sms_offers", "type": "sms", "wording": "Offers by text message."}]},
    )
    assert response.status == 200, response.text
    assert statuses(api, anna) == {"sms_offers": "none"}
    assert grant(api, anna, "sms_offers").body["status"] == "granted"
    unknown = grant(api, anna, "post")
    assert unknown.status == 404
    assert unknown.error_code == "unknown_consent_channel"


@pytest.mark.parametrize(
    "channels",
    [
        [{"key": "post", "type": "post", "wording": "a"}, {"key": "post", "type": "post", "wording": "b"}],
        [{"key": "Bad Key", "type": "post", "wording": "a"}],
        [{"key": "post", "type": "pigeon", "wording": "a"}],
        [{"key": "post", "type": "post", "wording": ""}],
        [{"key": f"c{n}", "type": "post", "wording": "a"} for n in range(21)],
    ],
)
def test_bad_channel_settings_are_422(api: Api, channels: list[dict[str, str]]) -> None:
    response = api.patch("/tenant", {"consent_channels": channels})
    assert response.status == 422
    assert response.error_code == "validation_error"
    keys_now = [c["key"] for c in api.get("/tenant").body["consent_channels"]]
    assert keys_now == ["email_newsletter", "post", "phone"]


def test_only_admins_change_the_channels(api: Api) -> None:
    response = api.as_(role="operator").patch("/tenant", {"consent_channels": []})
    assert response.status == 403


@pytest.mark.parametrize(
    "body",
    [
        {"granted": True},
        {"granted": True, "source": "confirmation_link"},
        {"granted": True, "source": "fax"},
        {"granted": "yes", "source": "staff"},
        {"granted": True, "source": "staff", "note": "x" * 1001},
        {"granted": True, "source": "staff", "extra": 1},
    ],
)
def test_bad_changes_are_422(api: Api, anna: str, body: dict[str, Any]) -> None:
    response = put(api, f"{CONSENTS.format(anna)}/post", body)
    assert response.status == 422
    assert response.error_code == "validation_error"
    assert statuses(api, anna)["post"] == "none"


def test_another_tenants_contact_is_a_404(api: Api, anna: str) -> None:
    globex = api.as_("globex")
    assert globex.get(CONSENTS.format(anna)).error_code == "not_found"
    assert grant(globex, anna, "post").error_code == "not_found"
    assert globex.get(f"{CONSENTS.format(anna)}/history").error_code == "not_found"
    assert statuses(api, anna)["post"] == "none"
    assert api.get(CONSENTS.format("01J00000000000000000000000")).status == 404


def test_a_customer_manages_their_own_consents(api: Api, queues: QueueRunner) -> None:
    anna = contact_in(api, "active")
    customer = api.as_customer(anna)
    response = customer.get("/me/consents")
    assert response.status == 200
    assert [i["status"] for i in response.body["items"]] == ["none", "none", "none"]
    granted = put(customer, "/me/consents/phone", {"granted": True})
    assert granted.status == 200, granted.text
    assert granted.body["source"] == "form"
    assert put(customer, "/me/consents/email_newsletter", {"granted": True}).body["status"] == "pending"
    queues.drain()
    assert confirm(api, confirmation_token("anna@example.com")).status == 200
    assert statuses(api, anna) == {"email_newsletter": "granted", "post": "none", "phone": "granted"}
    history = api.get(f"{CONSENTS.format(anna)}/history").body["items"]
    assert {(i["by_kind"], i["by_id"]) for i in history if i["source"] == "form"} == {("customer", anna)}
    assert put(customer, "/me/consents/phone", {"granted": False}).body["status"] == "withdrawn"
    assert granted_count(api, anna) == 1
    # the customer cannot claim another source, nor an unknown channel
    assert put(customer, "/me/consents/phone", {"granted": True, "source": "staff"}).status == 422
    assert put(customer, "/me/consents/fax", {"granted": True}).error_code == "unknown_consent_channel"


def test_the_customers_routes_refuse_staff_and_closed_accounts(api: Api) -> None:
    inactive = contact_in(api, "inactive", "bert@example.com")
    assert api.as_customer(inactive).get("/me/consents").status == 403
    assert put(api.as_customer(inactive), "/me/consents/post", {"granted": True}).status == 403
    assert api.get("/me/consents").status in (401, 403)
    assert api.as_customer("01JAAAAAAAAAAAAAAAAAAAAAAA").get("/me/consents").status == 404
    assert api.as_customer(inactive, "globex").get("/me/consents").status == 404


def test_the_contact_delete_removes_its_consents_history_and_pending_link(
    api: Api, anna: str, queues: QueueRunner
) -> None:
    grant(api, anna, "post")
    token = newsletter_link(api, anna, queues)
    parsed = ConfirmationToken.parse(token)
    assert parsed is not None
    digest = parsed.digest
    table = get_settings().table_name
    client = clients.dynamodb()
    token_key = {name: {"S": value} for name, value in keys.consent_token_key("acme", digest).items()}
    assert "Item" in client.get_item(TableName=table, Key=token_key)

    assert api.delete(f"/contacts/{anna}").status == 204
    queues.drain()
    assert "Item" not in client.get_item(TableName=table, Key=token_key)
    partition = keys.contact_partition("acme", anna)
    left = client.query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": partition}},
    )["Items"]
    assert left == []
    assert confirm(api, token).status == 410


def test_the_consents_read_a_constant_number_of_items(api: Api, anna: str, dynamodb_calls: list[str]) -> None:
    grant(api, anna, "post")
    grant(api, anna, "phone")
    dynamodb_calls.clear()
    assert api.get(CONSENTS.format(anna)).status == 200
    assert dynamodb_calls == ["GetItem", "GetItem", "Query"]


def test_an_unknown_source_is_refused_naming_the_sources_as_sent(api: Api) -> None:
    contact_id = contact_in(api, "not_registered")
    refused = grant(api, contact_id, "post", source="web")
    assert refused.status == 422
    (detail,) = refused.body["error"]["details"]
    assert detail["field"] == "source"
    assert "'staff'" in detail["message"]
    assert "ConsentSource" not in detail["message"]


def test_a_customer_reads_their_consent_on_one_channel(api: Api) -> None:
    anna = contact_in(api, "active")
    customer = api.as_customer(anna)
    assert put(customer, "/me/consents/phone", {"granted": True}).status == 200
    one = customer.get("/me/consents/phone")
    assert one.status == 200
    assert (one.body["channel"], one.body["status"], one.body["source"]) == ("phone", "granted", "form")
    assert customer.get("/me/consents/post").body["status"] == "none"
    assert customer.get("/me/consents/fax").error_code == "unknown_consent_channel"
