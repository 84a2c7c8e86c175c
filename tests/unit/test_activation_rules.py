"""Activation links and self-registration on in-memory fakes: what the customer and staff see."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pforte.activation import registration as registration
from pforte.activation import service as activation
from pforte.activation.registration import Registration, RegistrationReceived
from pforte.activation.service import ActivationRequest, QueuedActivation
from pforte.contacts.service import Contact, ContactStatus, Dependents
from pforte.core.errors import DomainError, ErrorCode
from pforte.core.fields import email_key
from tests.fakes import FakeQueue
from tests.unit.world import ACME, GOOD_PASSWORD, World

SOURCE = "198.51.100.7"


def request_activation(world: World, contact: Contact) -> activation.ActivationRequested:
    return activation.request_activation(
        world.contacts, world.tenants, world.activations, world.mailer, ACME, contact.id
    )


def activate(
    world: World, token: str, password: str | None = GOOD_PASSWORD, source: str = SOURCE
) -> activation.Activated:
    return activation.activate(
        world.contacts,
        world.activations,
        world.logins,
        world.attempts,
        ActivationRequest(token=token, password=password),
        source,
    )


def invited() -> tuple[World, Contact, str]:
    """A world where staff asked for Mia's activation: her contact and the token her mail carries."""
    world = World()
    mia = world.contact()
    request_activation(world, mia)
    return world, mia, world.token_mailed_to("mia@example.com")


def refused(code: ErrorCode, action: object, *args: object, **kwargs: object) -> DomainError:
    assert callable(action)
    with pytest.raises(DomainError) as caught:
        action(*args, **kwargs)
    assert caught.value.code is code, caught.value
    return caught.value


# --- staff asks for an activation -----------------------------------------------------------------


def test_an_activation_request_mails_a_link_and_marks_the_contact_invited() -> None:
    # GIVEN a contact staff just added
    world = World()
    mia = world.contact()
    # WHEN staff asks for its activation
    answer = request_activation(world, mia)
    # THEN one mail with a link of the tenant's portal goes to the contact, valid for 7 days
    (mail,) = world.mailer.sent
    assert mail.to == "mia@example.com"
    assert "https://portal.acme.example/activate?token=acme." in mail.text
    assert answer.expires_at - answer.invitation_sent_at == timedelta(days=7)
    stored = world.stored(mia)
    assert stored.invitation_sent_at == answer.invitation_sent_at
    assert stored.status is ContactStatus.NOT_REGISTERED


@pytest.mark.parametrize("status", [ContactStatus.ACTIVE, ContactStatus.DEACTIVATED])
def test_a_contact_with_an_account_gets_no_activation_request(status: ContactStatus) -> None:
    world = World()
    contact = world.contact(status=status)
    error = refused(ErrorCode.INVALID_TRANSITION, request_activation, world, contact)
    assert error.details[0].message == str(status)
    assert world.mailer.sent == []


def test_a_registered_but_inactive_contact_may_get_an_activation_request() -> None:
    world = World()
    nora = world.contact(status=ContactStatus.INACTIVE)
    request_activation(world, nora)
    assert len(world.mailer.to("mia@example.com")) == 1


# --- the customer uses the link ---------------------------------------------------------------------


def test_the_link_activates_the_account_with_the_chosen_password() -> None:
    # GIVEN a contact with an activation link
    world, mia, token = invited()
    # WHEN the customer uses it with a good password
    assert activate(world, token).status is ContactStatus.ACTIVE
    # THEN the contact is active and its login works with that password
    assert world.stored(mia).status is ContactStatus.ACTIVE
    identity = world.logins.identities[mia.id]
    assert (identity.password, identity.confirmed, identity.enabled) == (GOOD_PASSWORD, True, True)


def test_a_link_works_once() -> None:
    world, mia, token = invited()
    activate(world, token)
    refused(ErrorCode.TOKEN_INVALID, activate, world, token, "Another-Passw0rd")
    assert world.logins.identities[mia.id].password == GOOD_PASSWORD  # the second try changed nothing
    assert world.attempts.failures == {SOURCE: 1}


def test_a_newer_link_replaces_the_older_one() -> None:
    # GIVEN two activation requests for one contact
    world = World()
    mia = world.contact()
    request_activation(world, mia)
    first = world.token_mailed_to("mia@example.com")
    request_activation(world, mia)
    second = world.token_mailed_to("mia@example.com")
    # WHEN the customer uses the first mail's link THEN it is not valid any more
    refused(ErrorCode.TOKEN_INVALID, activate, world, first)
    assert world.stored(mia).status is ContactStatus.NOT_REGISTERED
    assert mia.id not in world.logins.identities
    # AND the second mail's link works
    assert activate(world, second).status is ContactStatus.ACTIVE


def test_an_expired_link_is_refused_and_leaves_the_contact_as_it_was() -> None:
    world, mia, token = invited()
    world.activations.expire_all()
    refused(ErrorCode.TOKEN_INVALID, activate, world, token)
    assert world.stored(mia).status is ContactStatus.NOT_REGISTERED
    assert world.logins.identities == {}


@pytest.mark.parametrize(
    "token", ["", "acme", "acme.short", "nope.x" + "y" * 50, "acme." + "z" * 43, "ACME." + "z" * 43]
)
def test_unknown_or_malformed_tokens_get_the_same_answer(token: str) -> None:
    world = World()
    request_activation(world, world.contact())
    refused(ErrorCode.TOKEN_INVALID, activate, world, token or " ")


@pytest.mark.parametrize("password", ["short1A", "alllowercase1", "NoDigitsHere!", " A-good-Passw0rd"])
def test_a_weak_password_is_refused_and_the_link_stays_usable(password: str) -> None:
    # GIVEN a contact with an activation link
    world, mia, token = invited()
    # WHEN the customer chooses a weak password
    error = refused(ErrorCode.WEAK_PASSWORD, activate, world, token, password)
    # THEN it is told why, nothing is made, and the same link works with a good password
    assert error.details[0].field == "password"
    assert world.logins.identities == {}
    assert world.stored(mia).status is ContactStatus.NOT_REGISTERED
    assert activate(world, token).status is ContactStatus.ACTIVE


def test_a_password_the_login_pool_refuses_leaves_nothing_half_made() -> None:
    world, _, token = invited()
    world.logins.refused_passwords.add("Pool-Refuses-1")
    refused(ErrorCode.WEAK_PASSWORD, activate, world, token, "Pool-Refuses-1")
    assert world.logins.identities == {}  # the identity begun for it is deleted again
    assert activate(world, token).status is ContactStatus.ACTIVE


def test_an_invitation_needs_a_password() -> None:
    world, _, token = invited()
    error = refused(ErrorCode.VALIDATION_ERROR, activate, world, token, None)
    assert error.details[0].field == "password"
    assert activate(world, token).status is ContactStatus.ACTIVE  # still usable


def test_ten_failures_block_the_source_even_with_a_good_link() -> None:
    # GIVEN a source that tried ten bad links
    world = World()
    request_activation(world, world.contact())
    token = world.token_mailed_to("mia@example.com")
    for _ in range(10):
        refused(ErrorCode.TOKEN_INVALID, activate, world, "acme." + "x" * 43)
    # WHEN it uses a good link THEN it must wait, and another source may go on
    error = refused(ErrorCode.RATE_LIMITED, activate, world, token)
    assert error.retry_after == 15 * 60
    assert activate(world, token, source="203.0.113.9").status is ContactStatus.ACTIVE


def test_a_deleted_contacts_link_is_not_valid() -> None:
    world, mia, token = invited()
    world.contacts.remove(world.stored(mia), Dependents(jobs=()))
    refused(ErrorCode.TOKEN_INVALID, activate, world, token)
    assert world.logins.identities == {}


# --- many at once, through the queue ----------------------------------------------------------------


def test_queued_requests_are_checked_now_and_each_mailed_once() -> None:
    # GIVEN a contact that may get a link and one that may not
    world = World()
    mia = world.contact()
    ben = world.contact("ben@example.com", ContactStatus.ACTIVE)
    queue = FakeQueue()
    # WHEN staff asks for both
    results = activation.queue_activation_requests(world.contacts, queue, ACME, [mia.id, ben.id])
    # THEN the answer is per id, and only Mia's request is queued
    assert [(r.id, r.status) for r in results] == [(mia.id, "queued"), (ben.id, "failed")]
    (message,) = queue.messages
    assert isinstance(message, QueuedActivation)
    # AND delivering the message twice sends one mail
    send = activation.send_queued_activation
    assert send(world.contacts, world.tenants, world.activations, world.mailer, message) is True
    assert send(world.contacts, world.tenants, world.activations, world.mailer, message) is False
    assert len(world.mailer.to("mia@example.com")) == 1


def test_a_queued_request_for_a_contact_activated_meanwhile_sends_nothing() -> None:
    world = World()
    mia = world.contact()
    queue = FakeQueue()
    activation.queue_activation_requests(world.contacts, queue, ACME, [mia.id])
    stored = world.stored(mia)
    world.contacts.replace(
        stored.model_copy(update={"status": ContactStatus.ACTIVE, "version": stored.version + 1}), stored
    )
    (message,) = queue.messages
    assert isinstance(message, QueuedActivation)
    sent = activation.send_queued_activation(
        world.contacts, world.tenants, world.activations, world.mailer, message
    )
    assert sent is False
    assert world.mailer.sent == []


# --- self-registration ------------------------------------------------------------------------------

REGISTRATION_PASSWORD = "Winter-Schnee-2026"


def register(
    world: World, email: str = "nora@example.com", source: str = SOURCE, **more: str
) -> RegistrationReceived:
    request = Registration.model_validate(
        {
            "tenant": "acme",
            "name": "Nora Neu",
            "email": email,
            "company": "Neu GmbH",
            "password": REGISTRATION_PASSWORD,
            **more,
        }
    )
    return registration.register(
        world.tenants,
        world.contacts,
        world.contacts,
        world.logins,
        world.activations,
        world.mailer,
        world.attempts,
        request,
        source,
    )


def test_a_new_address_registers_as_inactive_and_gets_a_confirmation_mail() -> None:
    # GIVEN an address the tenant does not know
    world = World()
    # WHEN it registers
    answer = register(world)
    # THEN an inactive contact, an unconfirmed login with the password, and one mail to it
    assert answer == RegistrationReceived()
    nora = world.contacts.by_email("acme", email_key("nora@example.com"))
    assert nora is not None
    assert (nora.status, nora.name, nora.company) == (ContactStatus.INACTIVE, "Nora Neu", "Neu GmbH")
    identity = world.logins.identities[nora.id]
    assert (identity.password, identity.confirmed) == (REGISTRATION_PASSWORD, False)
    (mail,) = world.mailer.sent
    assert mail.to == "nora@example.com"
    assert mail.template.startswith("registration.")
    # AND the link confirms the registration without asking for the password again
    token = world.token_mailed_to("nora@example.com")
    assert activate(world, token, password=None).status is ContactStatus.ACTIVE
    assert world.logins.identities[nora.id].password == REGISTRATION_PASSWORD


def test_a_known_address_hears_the_same_and_its_owner_chooses_the_password() -> None:
    # GIVEN an address staff added (the tenant's data may hang on it)
    world = World()
    mia = world.contact()
    # WHEN somebody registers it
    answer = register(world, email="MIA@example.com")
    # THEN the answer reveals nothing, and the mail goes to the mailbox's owner
    assert answer == RegistrationReceived()
    assert len(world.contacts.of_tenant("acme")) == 1
    assert world.stored(mia).status is ContactStatus.INACTIVE
    assert [mail.to for mail in world.mailer.sent] == ["mia@example.com"]
    # AND the link wants a password: the one typed at registration never opens the account
    token = world.token_mailed_to("mia@example.com")
    refused(ErrorCode.VALIDATION_ERROR, activate, world, token, None)
    assert activate(world, token, password="Owners-Choice-7").status is ContactStatus.ACTIVE
    assert world.logins.identities[mia.id].password == "Owners-Choice-7"


@pytest.mark.parametrize("status", [ContactStatus.ACTIVE, ContactStatus.DEACTIVATED])
def test_an_address_with_an_account_hears_the_same_and_nothing_happens(status: ContactStatus) -> None:
    world = World()
    contact = world.contact(status=status)
    before = world.stored(contact)
    assert register(world, email="mia@example.com") == RegistrationReceived()
    assert world.stored(contact) == before
    assert world.mailer.sent == []
    assert world.logins.identities[contact.id].password == GOOD_PASSWORD


def test_a_weak_password_registers_nothing() -> None:
    world = World()
    refused(ErrorCode.WEAK_PASSWORD, register, world, password="weak")
    assert world.contacts.of_tenant("acme") == []
    assert world.mailer.sent == []


def test_an_unknown_tenant_is_not_found() -> None:
    world = World()
    refused(ErrorCode.NOT_FOUND, register, world, tenant="globex")
    assert world.mailer.sent == []


def test_registrations_of_one_source_are_limited() -> None:
    # GIVEN a source that registered ten times
    world = World()
    for number in range(10):
        register(world, email=f"n{number}@example.com")
    # WHEN it registers again THEN it must wait, sending no mail; another source may register
    error = refused(ErrorCode.RATE_LIMITED, register, world, email="late@example.com")
    assert error.retry_after is not None
    assert error.retry_after > 0
    assert world.mailer.to("late@example.com") == []
    register(world, email="late@example.com", source="203.0.113.9")
    assert len(world.mailer.to("late@example.com")) == 1
