"""Terms of use: uploaded by admins, current once checked; customers accept the current version
through their own routes; new terms reset every acceptance without touching a contact."""

from __future__ import annotations

import base64
import json
from typing import Any

import requests

from infra.local.queues import QueueRunner
from pforte.wiring import contact_repository
from tests.api.conftest import Api, post_form, staff_claims
from tests.api.test_job_files import PDF
from tests.api.test_status import contact_in


def upload_terms(
    api: Api, queues: QueueRunner, data: bytes = PDF, filename: str = "AGB 2026.pdf"
) -> dict[str, Any]:
    response = api.post("/terms", {"filename": filename, "size": len(data)})
    assert response.status == 201, response.text
    post_form(response.body, data, filename)
    queues.drain()
    return dict(response.body)


def test_admins_upload_terms_which_become_current_once_checked(api: Api, queues: QueueRunner) -> None:
    assert api.get("/terms").error_code == "not_found"
    assert (
        api.as_("acme", "operator").post("/terms", {"filename": "a.pdf", "size": 10}).error_code
        == "forbidden"
    )
    form = api.post("/terms", {"filename": "AGB.pdf", "size": len(PDF)}).body
    policy = json.loads(base64.b64decode(form["upload"]["fields"]["policy"]))
    assert ["content-length-range", 1, len(PDF)] in policy["conditions"]
    assert api.get("/terms").error_code == "not_found"  # not current before it has arrived
    post_form(form, PDF, "AGB.pdf")
    queues.drain()

    current = api.as_("acme", "operator").get("/terms")
    assert current.status == 200, current.text
    assert (current.body["filename"], current.body["size"]) == ("AGB.pdf", len(PDF))
    downloaded = requests.get(current.body["download_url"], timeout=10)
    assert downloaded.content == PDF
    assert api.as_("globex").get("/terms").error_code == "not_found"


def test_a_file_that_is_no_pdf_never_becomes_the_terms(api: Api, queues: QueueRunner) -> None:
    first = upload_terms(api, queues)
    upload_terms(api, queues, data=b"<html>not a pdf</html>", filename="fake.pdf")
    assert api.get("/terms").body["filename"] == "AGB 2026.pdf"
    assert set(first) == {"version", "max_bytes", "upload", "expires_at"}  # only what an upload needs


def test_a_customer_accepts_the_current_terms_and_new_terms_reset_it_without_touching_contacts(
    api: Api, queues: QueueRunner
) -> None:
    anna = contact_in(api, "active", "anna@example.com")
    customer = api.as_customer(anna)
    assert customer.post("/me/terms-acceptance").error_code == "not_found"  # nothing to accept yet
    upload_terms(api, queues)
    accepted = customer.post("/me/terms-acceptance")
    assert accepted.status == 200, accepted.text
    assert accepted.body["version"] == api.get("/terms").body["version"]
    me = customer.get("/me").body
    assert (me["id"], me["status"], me["terms_accepted_at"]) == (anna, "active", accepted.body["accepted_at"])
    assert api.get(f"/contacts/{anna}").body["terms_accepted_at"] == accepted.body["accepted_at"]

    stored_before = contact_repository().get("acme", anna)
    upload_terms(api, queues, data=PDF + b"\n", filename="AGB 2027.pdf")
    assert api.get(f"/contacts/{anna}").body["terms_accepted_at"] is None
    assert customer.get("/me").body["terms_accepted_at"] is None
    assert contact_repository().get("acme", anna) == stored_before  # no contact was rewritten
    assert customer.post("/me/terms-acceptance").status == 200
    assert api.get(f"/contacts/{anna}").body["terms_accepted_at"] is not None


def test_staff_and_customer_tokens_stay_on_their_own_routes(api: Api) -> None:
    anna = contact_in(api, "active", "anna@example.com")
    customer = api.as_customer(anna)
    assert customer.get("/contacts").status in (401, 403)
    assert customer.get(f"/contacts/{anna}").status in (401, 403)
    staff = Api(claims=staff_claims("acme", "admin") | {"custom:contact_id": anna})
    assert staff.get("/contacts").status in (401, 403)
    assert api.get("/me").status in (401, 403)  # a staff token never acts as a customer
    assert api.anonymous().get("/me").status == 401
    assert api.as_customer("01JAAAAAAAAAAAAAAAAAAAAAAA").get("/me").error_code == "not_found"
    assert api.as_customer(anna, "globex").get("/me").error_code == "not_found"


def test_a_customer_reads_the_terms_before_accepting_them(api: Api, queues: QueueRunner) -> None:
    customer = api.as_customer(contact_in(api, "active", "anna@example.com"))
    assert customer.get("/me/terms").error_code == "not_found"  # none yet
    upload_terms(api, queues)
    terms = customer.get("/me/terms")
    assert terms.status == 200, terms.text
    assert terms.body["version"] == api.get("/terms").body["version"]
    assert requests.get(terms.body["download_url"], timeout=10).content == PDF


def test_a_deactivated_customer_hears_so_before_anything_else(api: Api) -> None:
    anna = contact_in(api, "active", "anna@example.com")
    customer = api.as_customer(anna)
    assert api.post(f"/contacts/{anna}/deactivate").status == 200
    assert customer.post("/me/terms-acceptance").error_code == "forbidden"  # no terms yet, either


def test_a_terms_file_name_with_control_characters_is_a_422(api: Api) -> None:
    refused = api.post("/terms", {"filename": "x\r\nSet-Cookie: a=b.pdf", "size": 36})
    assert (refused.status, refused.error_code) == (422, "validation_error")
    assert refused.body["error"]["details"][0]["field"] == "filename"


def test_a_deactivated_customers_token_no_longer_reaches_the_account(api: Api, queues: QueueRunner) -> None:
    upload_terms(api, queues)
    anna = contact_in(api, "active", "anna@example.com")
    customer = api.as_customer(anna)  # a token issued while the account was active
    assert customer.get("/me").status == 200
    assert api.post(f"/contacts/{anna}/deactivate").status == 200
    for method, path in (("GET", "/me"), ("GET", "/me/terms"), ("POST", "/me/terms-acceptance")):
        refused = customer.request(method, path)
        assert (refused.status, refused.error_code) == (403, "forbidden"), path
    assert api.get(f"/contacts/{anna}").body["terms_accepted_at"] is None


def test_the_terms_file_name_is_made_safe_for_downloads(api: Api, queues: QueueRunner) -> None:
    upload_terms(api, queues, filename='../AGB/Nutzungsbedingungen Ü "2027".pdf')
    current = api.get("/terms").body
    assert current["filename"] == "AGBNutzungsbedingungen Ü 2027.pdf"
    disposition = requests.get(current["download_url"], timeout=10).headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="AGBNutzungsbedingungen U 2027.pdf"')


def test_an_admin_follows_an_upload_of_new_terms_to_its_outcome(api: Api, queues: QueueRunner) -> None:
    good = api.post("/terms", {"filename": "AGB.pdf", "size": len(PDF)})
    assert good.headers["Location"] == f"/terms/uploads/{good.body['version']}"
    assert api.get(good.headers["Location"]).body["status"] == "pending"
    post_form(good.body, PDF, "AGB.pdf")
    bad = upload_terms(api, queues, data=b"<html>not a pdf</html>", filename="fake.pdf")
    assert api.get(good.headers["Location"]).body["status"] == "stored"
    rejected = api.as_("acme", "operator").get(f"/terms/uploads/{bad['version']}").body
    assert (rejected["status"], rejected["problem"]["code"]) == ("rejected", "not_a_pdf")
    assert api.get("/terms").body["version"] == good.body["version"]  # the good one stays current
    assert api.as_("globex").get(f"/terms/uploads/{bad['version']}").error_code == "not_found"
    assert api.get("/terms/uploads/nonsense").error_code == "not_found"
