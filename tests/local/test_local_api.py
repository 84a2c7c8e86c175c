"""`make run` as a newcomer meets it: the local API over real HTTP, with real Cognito tokens on moto."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.request import urlopen

import boto3
import pytest

from tests.local.server import Http


def test_the_demo_tenant_is_seeded_and_readable_with_a_real_token(local: tuple[Http, str]) -> None:
    http, _ = local
    token = http.token("demo")
    status, body, _ = http.call("GET", "/contacts", token=token)
    assert status == 200
    assert len(body["items"]) >= 5
    status, tenant, _ = http.call("GET", "/tenant", token=token)
    assert (status, tenant["id"], tenant["slug"]) == (200, "demo", "demo")


def test_a_newcomers_walk_through_the_contact_list(local: tuple[Http, str]) -> None:
    http, _ = local
    admin, operator = http.token("walk"), http.token("walk", "operator")
    status, anna, headers = http.call(
        "POST", "/contacts", {"name": "Anna", "email": "anna@example.com"}, admin
    )
    assert status == 201
    assert headers["Location"] == f"/contacts/{anna['id']}"
    assert http.call("POST", "/contacts", {"name": "A", "email": "ANNA@example.com"}, operator)[0] == 409
    assert http.call("POST", "/contacts", {"name": "A", "email": "nope"}, admin)[0] == 422
    status, changed, _ = http.call("PATCH", f"/contacts/{anna['id']}", {"company": "ACME"}, operator)
    assert (status, changed["company"]) == (200, "ACME")
    status, page, _ = http.call("GET", "/contacts?company=acme&limit=10", token=admin)
    assert [item["id"] for item in page["items"]] == [anna["id"]]
    # another tenant's admin sees a 404, operators may not change settings
    assert http.call("GET", f"/contacts/{anna['id']}", token=http.token("other"))[0] == 404
    assert http.call("PATCH", "/tenant", {"name": "X"}, operator)[0] == 403
    assert http.call("DELETE", f"/contacts/{anna['id']}", token=admin)[0] == 204
    assert http.call("GET", f"/contacts/{anna['id']}", token=admin)[0] == 404


@pytest.mark.parametrize("token", [None, "", "garbage", "eyJhbGciOiJub25lIn0.e30."])
def test_no_or_a_bad_token_is_a_401_in_our_error_shape(local: tuple[Http, str], token: str | None) -> None:
    http, _ = local
    status, body, headers = http.call("GET", "/contacts", token=token)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    # as template.yaml declares for API Gateway's refusals: a browser may read them
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_tokens_are_issued_for_any_number_of_tenants(local: tuple[Http, str]) -> None:
    http, _ = local
    for i in range(40):
        assert http.token(f"many-{i}", ("admin", "operator")[i % 2])


def test_a_customer_pool_token_is_refused_on_staff_routes(local: tuple[Http, str]) -> None:
    http, moto_url = local
    cognito = boto3.client("cognito-idp", region_name="eu-central-1", endpoint_url=moto_url)
    pool = next(p for p in cognito.list_user_pools(MaxResults=10)["UserPools"] if "customer" in p["Name"])
    client_id = cognito.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"][0]["ClientId"]
    email = "customer@example.com"
    cognito.admin_create_user(
        UserPoolId=pool["Id"],
        Username=email,
        UserAttributes=[{"Name": "custom:tenant_id", "Value": "demo"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username=email, Password="Customer-123", Permanent=True
    )
    tokens = cognito.admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": "Customer-123"},
    )["AuthenticationResult"]
    assert http.call("GET", "/contacts", token=tokens["IdToken"])[0] == 401
    assert http.call("GET", "/contacts", token=tokens["AccessToken"])[0] == 401


def test_concurrent_requests_are_all_served(local: tuple[Http, str]) -> None:
    http, _ = local
    token = http.token("busy")

    def create(i: int) -> int:
        return http.call("POST", "/contacts", {"name": f"C{i}", "email": f"c{i}@example.com"}, token)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(24)))
    assert statuses == [201] * 24
    _, page, _ = http.call("GET", "/contacts?limit=100", token=token)
    assert len(page["items"]) == 24


def test_local_routes_and_documents(local: tuple[Http, str]) -> None:
    http, _ = local
    assert http.call("POST", "/_local/token", {"tenant_id": "Bad Tenant!"})[0] == 422
    assert http.call("POST", "/_local/token", {"tenant_id": "x1", "role": "root"})[0] == 422
    status, mail, _ = http.call("GET", "/_local/mail?to=nobody@example.com")
    assert (status, mail) == (200, {"items": []})
    status, spec, _ = http.call("GET", "/openapi.json")
    assert status == 200
    assert {"/contacts", "/contacts/{contact_id}", "/tenant"} <= set(spec["paths"])
    assert "email_taken" in spec["components"]["schemas"]["ErrorCode"]["enum"]
    status, page, _ = http.call("GET", "/docs")
    assert status == 200
    assert "swagger-ui" in page
    # Everything the page loads comes from the local server: no CDN, no validator badge.
    assert not re.findall(r"https?:|//", page)
    assert "validatorUrl: null" in page
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {asset.rsplit("/", 1)[1] for asset in assets} >= {"swagger-ui.css", "swagger-ui-bundle.js"}
    for asset in assets:
        assert asset.startswith("/docs/assets/"), asset
        with urlopen(http.base + asset, timeout=30) as response:
            assert response.status == 200, asset
            assert len(response.read()) > 100
            content_type = response.headers["Content-Type"].split(";")[0]
        assert content_type in {"text/css", "text/javascript", "application/javascript", "image/png"}
    status, _, _ = http.call("GET", "/docs/assets/0.0.0/swagger-ui.css")
    assert status == 404  # only the pinned version's files, and only those the page loads
    assert http.call("GET", assets[-1].rsplit("/", 1)[0] + "/index.html")[0] == 404
    status, body, _ = http.call("GET", "/no/such/route")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body, _ = http.call(
        "POST", "/contacts", raw=b"x" * (10 * 1024 * 1024 + 1), token=http.token("demo")
    )
    assert (status, body["error"]["code"]) == (413, "payload_too_large")


def test_invite_read_the_mail_activate_and_walk_every_status(local: tuple[Http, str]) -> None:
    http, _ = local
    admin = http.token("lifecycle")
    _, anna, _ = http.call("POST", "/contacts", {"name": "Anna", "email": "anna@lifecycle.example"}, admin)
    status, _sent, _ = http.call("POST", f"/contacts/{anna['id']}/activation-request", token=admin)
    assert status == 202
    _, mailbox, _ = http.call("GET", "/_local/mail?to=anna@lifecycle.example")
    (mail,) = mailbox["items"]
    assert mail["text"]
    assert mail["html"]
    token = mail["text"].split("/activate?token=")[1].split()[0]
    assert http.call("POST", "/public/activations", {"token": token, "password": "weak"})[0] == 422
    status, body, _ = http.call(
        "POST", "/public/activations", {"token": token, "password": "Good-Password-2026"}
    )
    assert (status, body) == (200, {"status": "active"})
    assert (
        http.call("POST", "/public/activations", {"token": token, "password": "Good-Password-2026"})[0] == 410
    )
    for path, method, expected in [
        ("deactivate", "POST", "deactivated"),
        ("activate", "POST", "active"),
        ("identities", "DELETE", "not_registered"),
    ]:
        status, contact, _ = http.call(method, f"/contacts/{anna['id']}/{path}", token=admin)
        assert (status, contact["status"]) == (200, expected)
    assert http.call("POST", f"/contacts/{anna['id']}/deactivate", token=admin)[0] == 409


def test_a_large_import_through_the_presigned_upload(local: tuple[Http, str]) -> None:
    import requests

    http, _ = local
    admin = http.token("bulk")
    status, started, _ = http.call("POST", "/contacts/imports/uploads", token=admin)
    assert status == 201
    rows = "".join(f"Person {i},p{i}@bulk.example\n" for i in range(600))
    form = started["upload"]
    uploaded = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("contacts.csv", "name,email\n" + rows, "text/csv")},
        timeout=30,
    )
    assert uploaded.status_code in (200, 204), uploaded.text
    job = http.wait_for(
        f"/contacts/imports/{started['import_id']}",
        admin,
        lambda job: job["status"] in ("succeeded", "failed"),
    )
    assert job["status"] == "succeeded", job
    assert (job["report"]["imported"], job["total_rows"]) == (600, 600)


def test_upload_a_pdf_to_a_job_back_up_the_customer_and_download_the_zip(local: tuple[Http, str]) -> None:
    import io
    import zipfile

    import requests

    http, _ = local
    admin = http.token("backups")
    _, anna, _ = http.call(
        "POST", "/contacts", {"name": "Anna Beispiel", "email": "anna@backup.example"}, token=admin
    )
    _, flyer, _ = http.call("POST", f"/contacts/{anna['id']}/jobs", {"title": "Flyer"}, token=admin)
    pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
    status, admitted, _ = http.call(
        "POST",
        f"/jobs/{flyer['id']}/files",
        {"kind": "input", "filename": "flyer.pdf", "size": len(pdf)},
        token=admin,
    )
    assert status == 201, admitted
    form = admitted["upload"]
    uploaded = requests.post(form["url"], data=form["fields"], files={"file": ("flyer.pdf", pdf)}, timeout=30)
    assert uploaded.status_code in (200, 204), uploaded.text
    job = http.wait_for(
        f"/jobs/{flyer['id']}", admin, lambda job: job["files"] and job["files"][0]["status"] != "pending"
    )
    assert job["files"][0]["status"] == "stored", job

    status, started, _headers = http.call("POST", f"/contacts/{anna['id']}/backups", token=admin)
    assert status == 202, started
    export = http.wait_for(
        f"/exports/{started['export_id']}", admin, lambda export: export["status"] in ("succeeded", "failed")
    )
    assert export["status"] == "succeeded", export
    zipped = requests.get(export["download_url"], timeout=30)
    assert zipped.status_code == 200
    assert "Anna Beispiel.zip" in zipped.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    assert archive.read(f"{flyer['id']}/input.pdf") == pdf
    assert sorted(archive.namelist()) == sorted(
        ["user-profile.json", "jobs.json", f"{flyer['id']}/input.pdf"]
    )


@pytest.mark.parametrize(
    ("tenant", "limits", "admitted", "limit_hit"),
    [
        ("quota-jobs", None, 5, "max_jobs_per_day"),  # the defaults: 5 jobs a day
        (
            "quota-bytes",
            {"expires_at": None, "max_jobs_per_day": 50, "max_job_bytes": 1000, "max_daily_bytes": 3500},
            3,
            "max_daily_bytes",
        ),
    ],
)
def test_fifty_parallel_submissions_admit_exactly_the_days_limit(
    local: tuple[Http, str], tenant: str, limits: dict[str, Any] | None, admitted: int, limit_hit: str
) -> None:
    http, _ = local
    admin = http.token(tenant)
    if limits:
        assert http.call("PUT", "/links/generic", limits, token=admin)[0] == 200
    status, link, _ = http.call("GET", "/links/generic", token=admin)
    assert status == 200, link
    token = link["url"].rsplit("/g/", 1)[1]

    def send(number: int) -> tuple[int, Any]:
        body = {
            "name": f"Kunde {number}",
            "email": f"kunde{number}@quota.example",
            "title": "Flyer",
            "files": [{"kind": "input", "filename": "flyer.pdf", "size": 1000}],
        }
        # One warm container serves the function, one request at a time, as on a quiet Lambda:
        # the last of fifty waits for the forty-nine before it.
        status, answer, _ = http.call("POST", f"/public/generic/{token}/submissions", body, timeout=180)
        return status, answer

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(send, range(50)))
    statuses = [status for status, _ in answers]
    assert statuses.count(201) == admitted
    assert statuses.count(429) == 50 - admitted
    refusals = [answer["error"] for status, answer in answers if status == 429]
    assert {(error["code"], error["details"][0]["field"]) for error in refusals} == {
        ("quota_exceeded", limit_hit)
    }
    _, after, _ = http.call("GET", "/links/generic", token=admin)
    assert (after["jobs_today"], after["bytes_today"]) == (admitted, admitted * 1000)
    _, contacts, _ = http.call("GET", "/contacts?limit=100", token=admin)
    assert len(contacts["items"]) == admitted  # refused submissions leave nothing behind


def test_a_customer_registers_activates_signs_in_and_accepts_the_terms(local: tuple[Http, str]) -> None:
    import requests

    http, _ = local
    admin = http.token("terms")
    registration = {
        "tenant": "terms",
        "name": "Kim",
        "email": "kim@terms.example",
        "password": "Good-Password-2026",
    }
    assert http.call("POST", "/public/registrations", registration)[0] == 202
    _, mailbox, _ = http.call("GET", "/_local/mail?to=kim@terms.example")
    token = mailbox["items"][-1]["text"].split("/activate?token=")[1].split()[0]
    assert http.call("POST", "/public/activations", {"token": token})[0] == 200
    _, contacts, _ = http.call("GET", "/contacts?q=kim@terms.example", token=admin)
    (kim,) = contacts["items"]

    pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
    status, form, _ = http.call("POST", "/terms", {"filename": "AGB.pdf", "size": len(pdf)}, token=admin)
    assert status == 201, form
    posted = requests.post(
        form["upload"]["url"], data=form["upload"]["fields"], files={"file": pdf}, timeout=30
    )
    assert posted.status_code in (200, 204)
    for _ in range(100):
        if http.call("GET", "/terms", token=admin)[0] == 200:
            break
        time.sleep(0.2)

    status, body, _ = http.call(
        "POST", "/_local/token", {"tenant_id": "terms", "role": "customer", "contact_id": kim["id"]}
    )
    assert status == 200, body
    customer = body["token"]
    assert http.call("POST", "/me/terms-acceptance", token=customer)[0] == 200
    status, me, _ = http.call("GET", "/me", token=customer)
    assert (status, me["status"]) == (200, "active")
    assert me["terms_accepted_at"] is not None
    # Each authorizer takes only its own pool's tokens.
    assert http.call("GET", "/me", token=admin)[0] == 401
    assert http.call("GET", "/contacts", token=customer)[0] == 401


def test_scheduled_functions_can_be_run_by_hand(local: tuple[Http, str]) -> None:
    http, _ = local
    for function, result in (("ExpireLinksFunction", "expired"), ("ResetQuotasFunction", "closed")):
        status, body, _ = http.call("POST", f"/_local/schedules/{function}")
        assert status == 200, body
        assert body["function"] == function
        assert isinstance(body["result"][result], int)
