"""Notification preferences (staff for a contact, the customer for themselves) and the job mails
that honour them: sent by the mail worker when a job is received or completed."""

from __future__ import annotations

from typing import Any

from infra.local.mailbox import sent_mail
from infra.local.queues import QueueRunner
from pforte.wiring import contact_repository
from tests.api.conftest import Api, ApiResponse
from tests.api.test_links import generic, submission, submit, token_of
from tests.api.test_status import contact_in

DEFAULTS = {"job_received": True, "job_completed": True, "message_received": True, "terms_changed": True}
UNKNOWN_ID = "01JAAAAAAAAAAAAAAAAAAAAAAA"


def put(api: Api, path: str, body: Any) -> ApiResponse:
    return api.request("PUT", path, json_body=body)


def new_contact(api: Api, email: str, language: str = "de") -> str:
    response = api.post("/contacts", {"name": "Anna", "email": email, "language": language})
    assert response.status == 201, response.text
    return str(response.body["id"])


def new_job(api: Api, contact_id: str, title: str = "Flyer") -> str:
    response = api.post(f"/contacts/{contact_id}/jobs", {"title": title})
    assert response.status == 201, response.text
    return str(response.body["id"])


def complete(api: Api, job_id: str) -> None:
    for state in ("incoming", "processing", "completed"):
        response = api.patch(f"/jobs/{job_id}", {"state": state})
        assert response.status == 200, response.text


def subjects(email: str) -> list[str]:
    return [mail["subject"] for mail in sent_mail(email)]


# --- preferences -------------------------------------------------------------------------------


def test_staff_read_and_set_a_contacts_preferences_all_on_by_default(api: Api) -> None:
    anna = new_contact(api, "anna@example.com")
    assert api.get(f"/contacts/{anna}/notifications").body == DEFAULTS
    # operators may set them too
    operator = api.as_(role="operator")
    response = put(
        operator, f"/contacts/{anna}/notifications", {"job_received": False, "terms_changed": False}
    )
    assert response.status == 200, response.text
    wanted = {**DEFAULTS, "job_received": False, "terms_changed": False}
    assert response.body == wanted
    assert api.get(f"/contacts/{anna}/notifications").body == wanted
    # a PUT sets them all: one left out is on again
    put(api, f"/contacts/{anna}/notifications", {"terms_changed": False})
    assert api.get(f"/contacts/{anna}/notifications").body == {**DEFAULTS, "terms_changed": False}


def test_preferences_of_another_tenant_or_a_missing_contact_are_not_found(api: Api) -> None:
    anna = new_contact(api, "anna@example.com")
    globex = api.as_("globex")
    assert globex.get(f"/contacts/{anna}/notifications").status == 404
    assert put(globex, f"/contacts/{anna}/notifications", {"job_received": False}).status == 404
    assert api.get(f"/contacts/{anna}/notifications").body == DEFAULTS
    assert put(api, f"/contacts/{UNKNOWN_ID}/notifications", {}).status == 404
    assert put(api, f"/contacts/{anna}/notifications", {"job_received": "no"}).status == 422
    assert put(api, f"/contacts/{anna}/notifications", {"newsletter": False}).status == 422


def test_a_customer_reads_and_sets_their_own_preferences(api: Api) -> None:
    anna = contact_in(api, "active")
    customer = api.as_customer(anna)
    assert customer.get("/me/notifications").body == DEFAULTS
    response = put(customer, "/me/notifications", {"job_completed": False})
    assert response.status == 200, response.text
    assert api.get(f"/contacts/{anna}/notifications").body == {**DEFAULTS, "job_completed": False}
    # another tenant's token of the same id finds no contact
    assert api.as_customer(anna, "globex").get("/me/notifications").status == 404
    # staff tokens stay off the customer's routes
    assert api.get("/me/notifications").status in (401, 403)


def test_the_preferences_go_with_the_contact(api: Api) -> None:
    anna = new_contact(api, "anna@example.com")
    put(api, f"/contacts/{anna}/notifications", {"job_completed": False})
    assert api.delete(f"/contacts/{anna}").status == 204
    assert api.get(f"/contacts/{anna}/notifications").status == 404


# --- job mails ---------------------------------------------------------------------------------


def test_a_new_job_and_its_completion_are_mailed_in_the_contacts_language(
    api: Api, queues: QueueRunner
) -> None:
    anna = new_contact(api, "anna@example.com", "de")
    ben = new_contact(api, "ben@example.com", "en")
    # WHEN staff add a job for each
    anna_job, ben_job = new_job(api, anna, "Flyer"), new_job(api, ben, "Posters")
    assert sent_mail("anna@example.com") == []  # queued, not yet sent
    queues.drain()
    # THEN each gets the "received" mail in their language, with a link to the job
    (received,) = sent_mail("anna@example.com")
    assert received["subject"] == "Ihr Auftrag „Flyer“ ist bei Acme eingegangen"
    assert f"https://portal.example.com/jobs/{anna_job}" in received["text"]
    assert "Guten Tag Anna" in received["text"]
    assert f'href="https://portal.example.com/jobs/{anna_job}"' in received["html"]
    assert subjects("ben@example.com") == ['Your job "Posters" has reached Acme']
    # WHEN the jobs are completed THEN the "completed" mail follows, once
    complete(api, anna_job)
    complete(api, ben_job)
    assert api.patch(f"/jobs/{anna_job}", {"state": "completed"}).status == 200  # no change: no mail
    queues.drain()
    assert subjects("anna@example.com")[1:] == ["Ihr Auftrag „Flyer“ bei Acme ist fertig"]
    assert subjects("ben@example.com")[1:] == ['Your job "Posters" at Acme is completed']
    # and they are in the contact's mail count
    assert api.get(f"/contacts/{anna}/summary").body["mails"] == 2


def test_no_job_mail_when_the_preference_is_off(api: Api, queues: QueueRunner) -> None:
    anna = new_contact(api, "anna@example.com")
    put(api, f"/contacts/{anna}/notifications", {"job_received": False})
    job = new_job(api, anna)
    queues.drain()
    assert sent_mail("anna@example.com") == []
    # the other preference is still on
    complete(api, job)
    queues.drain()
    assert subjects("anna@example.com") == ["Ihr Auftrag „Flyer“ bei Acme ist fertig"]
    # WHEN the customer turns completion mails off too, before the worker runs
    second = new_job(api, anna, "Karten")
    complete(api, second)
    put(api, f"/contacts/{anna}/notifications", {"job_received": False, "job_completed": False})
    queues.drain()
    # THEN the preference at sending time counts
    assert len(sent_mail("anna@example.com")) == 1


def test_no_job_mail_to_an_address_that_cannot_receive_mail(api: Api, queues: QueueRunner) -> None:
    # GIVEN a contact whose stored address is undeliverable (the API refuses such addresses now;
    # older data may hold them)
    nobody = new_contact(api, "nobody@example.com")
    repository = contact_repository()
    contact = repository.get("acme", nobody)
    assert contact is not None
    repository.replace(
        contact.model_copy(update={"email": "nobody@example.invalid", "version": contact.version + 1}),
        previous=contact,
    )
    new_job(api, nobody)
    queues.drain()
    assert sent_mail("nobody@example.invalid") == []
    assert api.get(f"/contacts/{nobody}/summary").body["mails"] == 0


def test_a_job_through_the_generic_link_is_mailed_once_even_when_the_submission_is_retried(
    api: Api, queues: QueueRunner
) -> None:
    token = token_of(generic(api))
    first = submit(api, token, submission("kim@example.com"), key="order-1")
    again = submit(api, token, submission("kim@example.com"), key="order-1")
    assert first.status == again.status == 201
    queues.drain()
    # the new contact is German by the tenant's language and in the default group
    assert subjects("kim@example.com") == ["Ihr Auftrag „Visitenkarten“ ist bei Acme eingegangen"]
    contact_id = api.get(f"/jobs/{first.body['job_id']}").body["contact_id"]
    assert api.get(f"/contacts/{contact_id}/permission-groups").body["ids"] == ["default"]


def test_a_known_contact_who_said_no_gets_no_mail_through_the_generic_link(
    api: Api, queues: QueueRunner
) -> None:
    kim = new_contact(api, "kim@example.com")
    put(api, f"/contacts/{kim}/notifications", {"job_received": False})
    assert submit(api, token_of(generic(api)), submission("kim@example.com")).status == 201
    queues.drain()
    assert sent_mail("kim@example.com") == []


def test_a_job_mail_for_a_contact_deleted_meanwhile_is_dropped(api: Api, queues: QueueRunner) -> None:
    anna = new_contact(api, "anna@example.com")
    new_job(api, anna)
    assert api.delete(f"/contacts/{anna}").status == 204
    queues.drain()
    assert sent_mail("anna@example.com") == []
