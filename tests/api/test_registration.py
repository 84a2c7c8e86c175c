"""Self-registration through the onboarding link: inactive contact, unconfirmed identity,
activation mail; the link activates. The answer never tells whether the address was known."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.local.mailbox import sent_mail
from infra.local.provision import LocalResources
from tests.api.conftest import Api
from tests.api.test_activation import activate
from tests.api.test_links import generic, submission, submit, token_of
from tests.api.test_status import Logins, contact_in

PASSWORD = "Winter-Schnee-2026"


@pytest.fixture
def logins(aws: LocalResources) -> Logins:
    return Logins(aws)


def register(api: Api, email: str = "neu@example.com", ip: str = "198.51.100.20", **more: Any) -> Any:
    body = {
        "tenant": "acme",
        "name": "Nora Neu",
        "email": email,
        "company": "Neu GmbH",
        "password": PASSWORD,
        **more,
    }
    return api.anonymous(ip).post("/public/registrations", body)


def token_from_mail(email: str) -> str:
    match = re.search(r"/activate\?token=(\S+)", sent_mail(email)[-1]["text"])
    assert match
    return match.group(1)


def contact_of(api: Api, email: str) -> dict[str, Any]:
    (found,) = [c for c in api.get("/contacts", q=email).body["items"] if c["email"] == email]
    return dict(found)


def test_a_new_customer_registers_and_the_mailed_link_activates_the_account(api: Api, logins: Logins) -> None:
    response = register(api)
    assert response.status == 202, response.text
    contact = contact_of(api, "neu@example.com")
    assert (contact["name"], contact["company"], contact["status"]) == ("Nora Neu", "Neu GmbH", "inactive")
    assert logins.state("acme", contact["id"]) == ("UNCONFIRMED", True)
    assert contact["invitation_sent_at"] is not None

    activated = activate(api, token_from_mail("neu@example.com"), password=None)
    assert activated.status == 200, activated.text
    assert api.get(f"/contacts/{contact['id']}").body["status"] == "active"
    assert logins.state("acme", contact["id"]) == ("CONFIRMED", True)
    assert logins.signs_in("acme", contact["id"], PASSWORD)  # the link confirmed the password given


def test_a_known_contact_moves_to_inactive_and_the_answer_is_the_same(api: Api, logins: Logins) -> None:
    known = contact_in(api, "not_registered", "known@example.com")
    new = register(api, email="fresh@example.com")
    again = register(api, email="Known@Example.com")
    assert (again.status, again.body) == (new.status, new.body)
    assert api.get(f"/contacts/{known}").body["status"] == "inactive"
    assert api.get(f"/contacts/{known}").body["name"] == "Anna"  # staff's data stays
    assert logins.state("acme", known) == ("UNCONFIRMED", True)
    assert len(sent_mail("known@example.com")) == 1


def test_registering_a_known_address_lets_only_the_mailbox_owner_choose_the_password(
    api: Api, logins: Logins
) -> None:
    # GIVEN a contact the tenant knew (its jobs came through the generic link, say), and a
    # stranger who registers its address with a password of their own
    known = contact_in(api, "not_registered", "known@example.com")
    assert register(api, email="known@example.com", password="Strangers-Pass-2026").status == 202
    mail = sent_mail("known@example.com")[-1]
    assert mail["subject"].startswith("Bestätigen Sie Ihre Registrierung")
    assert "ignorieren Sie" in mail["text"]
    token = token_from_mail("known@example.com")
    # WHEN the owner follows the link, a password is asked for
    missing = activate(api, token, password=None)
    assert (missing.status, missing.body["error"]["details"][0]["field"]) == (422, "password")
    assert activate(api, token, password="Owners-Pass-2026").status == 200
    # THEN the owner's password works and the stranger's does not
    assert logins.signs_in("acme", known, "Owners-Pass-2026")
    assert not logins.signs_in("acme", known, "Strangers-Pass-2026")


def test_registering_twice_mails_a_link_on_which_the_newest_password_is_chosen(
    api: Api, logins: Logins
) -> None:
    assert register(api, password="First-Password-2026").status == 202
    contact_id = contact_of(api, "neu@example.com")["id"]
    assert register(api, password="Second-Password-2026").status == 202
    token = token_from_mail("neu@example.com")
    assert activate(api, token, password=None).status == 422  # which password? the customer says
    assert activate(api, token, password="Third-Password-2026").status == 200
    assert logins.signs_in("acme", contact_id, "Third-Password-2026")
    assert not logins.signs_in("acme", contact_id, "First-Password-2026")


def test_a_password_given_on_activation_replaces_the_registered_one(api: Api, logins: Logins) -> None:
    assert register(api).status == 202
    contact_id = contact_of(api, "neu@example.com")["id"]
    token = token_from_mail("neu@example.com")
    assert activate(api, token, password="tooweak").error_code == "weak_password"
    assert activate(api, token, password="Changed-My-Mind-2026").status == 200
    assert logins.signs_in("acme", contact_id, "Changed-My-Mind-2026")
    assert not logins.signs_in("acme", contact_id, PASSWORD)


def test_a_job_that_reaches_the_contact_before_activation_makes_the_link_ask_for_a_password(
    api: Api, logins: Logins
) -> None:
    # GIVEN a registration of a new address, then a job for that address through the generic link
    # (perhaps the mailbox's owner, who never registered)
    assert register(api, password="Strangers-Pass-2026").status == 202
    contact_id = contact_of(api, "neu@example.com")["id"]
    link = generic(api)
    assert submit(api, token_of(link), submission(email="neu@example.com")).status == 201
    token = token_from_mail("neu@example.com")
    assert activate(api, token, password=None).error_code == "validation_error"
    assert activate(api, token, password="Owners-Pass-2026").status == 200
    assert not logins.signs_in("acme", contact_id, "Strangers-Pass-2026")


def test_staff_activating_a_registration_do_not_confirm_the_password_it_was_made_with(
    api: Api, logins: Logins
) -> None:
    known = contact_in(api, "not_registered", "known@example.com")
    assert register(api, email="known@example.com", password="Strangers-Pass-2026").status == 202
    activated = api.post(f"/contacts/{known}/activate")
    assert (activated.status, activated.body["status"]) == (200, "active")
    assert logins.state("acme", known) == ("CONFIRMED", True)
    assert not logins.signs_in("acme", known, "Strangers-Pass-2026")  # the owner resets the password


@pytest.mark.parametrize("status", ["active", "deactivated"])
def test_an_existing_account_is_left_alone_with_the_same_answer(
    api: Api, logins: Logins, status: str
) -> None:
    existing = contact_in(api, status, "has@example.com")
    before = logins.state("acme", existing)
    response = register(api, email="has@example.com")
    assert (response.status, response.body) == (202, register(api, email="other@example.com").body)
    assert api.get(f"/contacts/{existing}").body["status"] == status
    assert logins.state("acme", existing) == before
    assert sent_mail("has@example.com") == []


@pytest.mark.parametrize("password", ["short1A", "alllowercase1", "NoDigitsHereAtAll", " Leading-Space1"])
def test_a_weak_password_is_refused_before_anything_happens(api: Api, password: str) -> None:
    contact_in(api, "not_registered", "known@example.com")
    for email in ("known@example.com", "unknown@example.com"):
        response = register(api, email=email, password=password)
        assert (response.status, response.error_code) == (422, "weak_password")
    assert [c["status"] for c in api.get("/contacts").body["items"]] == ["not_registered"]


def test_an_unknown_tenant_is_a_404_and_bad_bodies_a_422(api: Api) -> None:
    assert register(api, tenant="nobody").error_code == "not_found"
    assert register(api, tenant="Not A Slug").status == 422
    assert register(api, email="not-an-address").status == 422
    assert register(api, role="admin").status == 422


def test_registrations_from_one_address_are_limited(api: Api) -> None:
    for number in range(10):
        assert register(api, email=f"r{number}@example.com", ip="198.51.100.99").status == 202
    limited = register(api, email="r10@example.com", ip="198.51.100.99")
    assert (limited.status, limited.error_code) == (429, "rate_limited")
    assert int(limited.headers["Retry-After"]) > 0
    assert register(api, email="r11@example.com", ip="198.51.100.100").status == 202
