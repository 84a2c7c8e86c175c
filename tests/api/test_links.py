"""Links through the API: the onboarding link, the generic link's settings, renewal, sending, and
job submission through it against the daily quotas; the scheduled functions invoked with
EventBridge events."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from infra.local.events import lambda_context
from infra.local.mailbox import sent_mail
from infra.local.provision import LocalResources
from infra.local.queues import QueueRunner
from pforte.core.clock import iso, utcnow
from pforte.wiring import link_repository
from tests.api.conftest import Api
from tests.api.test_job_files import PDF, files_of

MIB = 1024 * 1024


def generic(api: Api) -> dict[str, Any]:
    response = api.get("/links/generic")
    assert response.status == 200, response.text
    return dict(response.body)


def token_of(link: dict[str, Any]) -> str:
    return str(link["url"].rsplit("/g/", 1)[1])


def submission(
    email: str = "kunde@example.com", sizes: tuple[int, ...] = (len(PDF),), name: str = "Kim Kunde"
) -> dict[str, Any]:
    kinds = ["input", *["support"] * (len(sizes) - 1)]
    return {
        "name": name,
        "email": email,
        "title": "Visitenkarten",
        "files": [
            {"kind": kind, "filename": f"file-{n}.pdf", "size": size}
            for n, (kind, size) in enumerate(zip(kinds, sizes, strict=True))
        ],
    }


def submit(api: Api, token: str, body: Any, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return api.anonymous().post(f"/public/generic/{token}/submissions", body, headers=headers)


def scheduled(handler_name: str) -> dict[str, Any]:
    """Invoke a scheduled function as EventBridge Scheduler does."""
    from links import schedule

    event = {
        "version": "0",
        "id": "5c1bd4b1-2b3c-4d5e-8f90-0123456789ab",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": iso(utcnow()),
        "region": "eu-central-1",
        "resources": ["arn:aws:scheduler:eu-central-1:123456789012:schedule/default/pforte"],
        "detail": {},
    }
    result: dict[str, Any] = getattr(schedule, handler_name)(event, lambda_context(handler_name))
    return result


# --- onboarding link --------------------------------------------------------------------------------


def test_the_onboarding_link_is_the_portal_address_with_the_tenants_slug(api: Api) -> None:
    response = api.get("/links/onboarding")
    assert response.status == 200
    assert response.body == {"url": "https://portal.example.com/t/acme"}
    assert api.as_("globex", "operator").get("/links/onboarding").body["url"].endswith("/t/globex")


# --- the generic link's settings -------------------------------------------------------------------


def test_the_generic_link_starts_with_the_default_limits(api: Api) -> None:
    link = generic(api)
    assert link["url"].startswith("https://portal.example.com/g/acme.")
    assert len(token_of(link)) == len("acme.") + 43
    assert link["expires_at"] is None
    assert link["expired"] is False
    assert (link["max_jobs_per_day"], link["max_job_bytes"], link["max_daily_bytes"]) == (
        5,
        104857600,
        524288000,
    )
    assert (link["jobs_today"], link["bytes_today"]) == (0, 0)
    assert generic(api)["url"] == link["url"]  # stable until renewed
    assert generic(api.as_("globex"))["url"] != link["url"]


def test_staff_set_expiry_and_limits_and_the_url_stays(api: Api) -> None:
    before = generic(api)
    expires = iso(utcnow() + timedelta(days=3))
    body = {
        "expires_at": expires,
        "max_jobs_per_day": 20,
        "max_job_bytes": 10 * MIB,
        "max_daily_bytes": 50 * MIB,
    }
    response = api.as_("acme", "operator").request("PUT", "/links/generic", json_body=body)
    assert response.status == 200, response.text
    assert response.body["url"] == before["url"]
    assert response.body["expires_at"] == expires
    assert generic(api)["max_jobs_per_day"] == 20
    cleared = api.request("PUT", "/links/generic", json_body={**body, "expires_at": None})
    assert cleared.body["expires_at"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"expires_at": "2020-01-01T00:00:00Z"},
        {"expires_at": "tomorrow"},
        {"expires_at": "2030-01-01T00:00:00"},  # no time zone
        {"max_jobs_per_day": 0},
        {"max_jobs_per_day": "5"},
        {"max_job_bytes": 6 * 1024**3},
        {"max_daily_bytes": -1},
        {"max_daily_bytes": MIB - 1},  # below max_job_bytes: a job that large could never pass
        {"colour": "red"},
    ],
)
def test_settings_out_of_range_are_a_422(api: Api, change: dict[str, Any]) -> None:
    body = {
        "expires_at": None,
        "max_jobs_per_day": 5,
        "max_job_bytes": MIB,
        "max_daily_bytes": 5 * MIB,
        **change,
    }
    response = api.request("PUT", "/links/generic", json_body=body)
    assert (response.status, response.error_code) == (422, "validation_error")
    partial = api.request("PUT", "/links/generic", json_body={"max_jobs_per_day": 3})
    assert partial.status == 422


def test_renewing_gives_a_new_url_at_once_and_the_old_one_stops_working(api: Api) -> None:
    old = token_of(generic(api))
    assert submit(api, old, submission()).status == 201
    assert api.as_("acme", "operator").post("/links/generic/renew").error_code == "forbidden"
    renewed = api.post("/links/generic/renew")
    assert renewed.status == 200
    new = token_of(renewed.body)
    assert new != old
    refused = submit(api, old, submission())
    assert (refused.status, refused.error_code) == (410, "link_expired")
    assert submit(api, new, submission()).status == 201


def test_the_link_is_mailed_to_a_contact_in_the_contacts_language(api: Api) -> None:
    anna = api.post("/contacts", {"name": "Anna", "email": "anna@example.com", "language": "en"}).body["id"]
    response = api.post("/links/generic/send", {"contact_id": anna})
    assert response.status == 200, response.text
    assert response.body["sent_to"] == "anna@example.com"
    (mail,) = sent_mail("anna@example.com")
    assert generic(api)["url"] in mail["text"]
    assert mail["subject"] == "Your link for sending jobs to Acme"
    assert (
        api.post("/links/generic/send", {"contact_id": "01JAAAAAAAAAAAAAAAAAAAAAAA"}).error_code
        == "not_found"
    )
    assert api.as_("globex").post("/links/generic/send", {"contact_id": anna}).error_code == "not_found"


# --- submissions --------------------------------------------------------------------------------------


def test_a_submission_creates_an_incoming_job_for_a_new_contact_and_counts_it(
    api: Api, queues: QueueRunner
) -> None:
    token = token_of(generic(api))
    response = submit(api, token, submission())
    assert response.status == 201, response.text
    job_id = response.body["job_id"]
    (upload,) = response.body["uploads"]
    assert upload["name"] == "input.pdf"
    policy = json.loads(base64.b64decode(upload["upload"]["fields"]["policy"]))
    assert ["content-length-range", 1, len(PDF)] in policy["conditions"]

    job = api.get(f"/jobs/{job_id}").body
    assert job["state"] == "incoming"
    contact = api.get(f"/contacts/{job['contact_id']}").body
    assert (contact["name"], contact["email"], contact["status"]) == (
        "Kim Kunde",
        "kunde@example.com",
        "not_registered",
    )
    link = generic(api)
    assert (link["jobs_today"], link["bytes_today"]) == (1, len(PDF))

    posted = requests.post(
        upload["upload"]["url"],
        data=upload["upload"]["fields"],
        files={"file": ("file-0.pdf", PDF)},
        timeout=10,
    )
    assert posted.status_code in (200, 204)
    queues.drain()
    assert files_of(api, job_id)["input.pdf"]["status"] == "stored"


def test_a_known_address_gets_the_job_on_its_contact(api: Api) -> None:
    known = api.post("/contacts", {"name": "Known", "email": "Kunde@Example.com"}).body["id"]
    response = submit(api, token_of(generic(api)), submission(email="kunde@example.com", name="Someone else"))
    job = api.get(f"/jobs/{response.body['job_id']}").body
    assert job["contact_id"] == known
    assert api.get(f"/contacts/{known}").body["name"] == "Known"
    assert len(api.get("/contacts").body["items"]) == 1


def test_the_jobs_per_day_limit_refuses_the_next_job(api: Api) -> None:
    token = token_of(generic(api))
    for number in range(5):
        assert submit(api, token, submission(email=f"k{number}@example.com")).status == 201
    refused = submit(api, token, submission())
    assert (refused.status, refused.error_code) == (429, "quota_exceeded")
    assert refused.body["error"]["details"][0]["field"] == "max_jobs_per_day"
    assert generic(api)["jobs_today"] == 5
    assert len(api.get("/contacts").body["items"]) == 5  # the refused one made no contact


def test_the_daily_bytes_limit_counts_every_job(api: Api) -> None:
    body = {
        "expires_at": None,
        "max_jobs_per_day": 100,
        "max_job_bytes": 40 * MIB,
        "max_daily_bytes": 100 * MIB,
    }
    api.request("PUT", "/links/generic", json_body=body)
    token = token_of(generic(api))
    assert submit(api, token, submission(sizes=(30 * MIB, 10 * MIB))).status == 201
    assert submit(api, token, submission(sizes=(40 * MIB,))).status == 201
    refused = submit(api, token, submission(sizes=(30 * MIB,)))
    assert (refused.status, refused.error_code) == (429, "quota_exceeded")
    assert refused.body["error"]["details"][0]["field"] == "max_daily_bytes"
    assert submit(api, token, submission(sizes=(20 * MIB,))).status == 201  # exactly up to the limit
    assert generic(api)["bytes_today"] == 100 * MIB


def test_a_job_above_the_per_job_size_is_a_413(api: Api) -> None:
    token = token_of(generic(api))
    refused = submit(api, token, submission(sizes=(100 * MIB + 1,)))
    assert (refused.status, refused.error_code) == (413, "file_too_large")
    split = submit(api, token, submission(sizes=(60 * MIB, 60 * MIB)))
    assert (split.status, split.error_code) == (413, "file_too_large")
    assert generic(api)["jobs_today"] == 0


def test_an_upload_larger_than_admitted_is_removed_on_arrival(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    response = submit(api, token_of(generic(api)), submission(sizes=(100,)))
    (upload,) = response.body["uploads"]
    policy = json.loads(base64.b64decode(upload["upload"]["fields"]["policy"]))
    assert ["content-length-range", 1, 100] in policy["conditions"]  # S3 itself refuses more
    posted = requests.post(
        upload["upload"]["url"],
        data=upload["upload"]["fields"],
        files={"file": ("a.pdf", PDF + b"x" * 200)},
        timeout=10,
    )
    assert posted.status_code in (200, 204)  # moto does not enforce the policy
    queues.drain()
    entry = files_of(api, response.body["job_id"])["input.pdf"]
    assert (entry["status"], entry["problem"]["code"]) == ("rejected", "file_too_large")


def test_an_idempotency_key_makes_a_retry_count_once(api: Api) -> None:
    token = token_of(generic(api))
    first = submit(api, token, submission(), key="order-4711")
    again = submit(api, token, submission(), key="order-4711")
    assert first.status == again.status == 201
    assert again.body == first.body
    assert generic(api)["jobs_today"] == 1
    conflict = submit(api, token, submission(email="other@example.com"), key="order-4711")
    assert (conflict.status, conflict.error_code) == (409, "idempotency_conflict")
    assert submit(api, token, submission(), key="order-4712").body["job_id"] != first.body["job_id"]
    assert generic(api)["jobs_today"] == 2
    assert submit(api, token, submission(), key="bad key with spaces").status == 422


def test_a_refused_submission_is_not_remembered_for_its_key(api: Api) -> None:
    api.request(
        "PUT",
        "/links/generic",
        json_body={"expires_at": None, "max_jobs_per_day": 1, "max_job_bytes": MIB, "max_daily_bytes": MIB},
    )
    token = token_of(generic(api))
    assert submit(api, token, submission(), key="a").status == 201
    assert submit(api, token, submission(), key="b").status == 429
    assert submit(api, token, submission(), key="b").status == 429  # evaluated again, not replayed


@pytest.mark.parametrize(
    "token",
    ["nonsense", "acme." + "x" * 43, "globex." + "x" * 43, "ACME." + "x" * 43, "acme.", ".x"],
)
def test_unknown_or_forged_tokens_are_410(api: Api, token: str) -> None:
    generic(api)
    refused = submit(api, token, submission())
    assert (refused.status, refused.error_code) == (410, "link_expired")


def test_a_submission_takes_an_input_a_model_and_twenty_support_files(api: Api) -> None:
    body = submission(sizes=(1,) * 21)
    body["files"].append({"kind": "model", "filename": "model.json", "size": 1})
    accepted = submit(api, token_of(generic(api)), body)
    assert accepted.status == 201, accepted.text
    assert len(accepted.body["uploads"]) == 22


def test_another_tenants_token_cannot_be_bent_to_this_tenant(api: Api) -> None:
    theirs = token_of(generic(api.as_("globex")))
    forged = "acme." + theirs.split(".", 1)[1]
    assert submit(api, forged, submission()).error_code == "link_expired"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {**submission(), "files": []},
        {**submission(), "email": "not-an-address"},
        {**submission(), "files": [{"kind": "input", "filename": "a.pdf", "size": 1}] * 2},
        {**submission(), "files": [{"kind": "input", "filename": "a.pdf", "size": 0}]},
        {**submission(), "tenant": "globex"},
        submission(sizes=(1,) * 22),  # an input and 21 support files: a job takes 20
        {
            **submission(),
            "files": [
                {"kind": "input", "filename": "a.pdf", "size": 1},
                {"kind": "support", "filename": "Logo.PNG", "size": 1},
                {"kind": "support", "filename": "logo.png", "size": 1},  # one file on Windows
            ],
        },
    ],
)
def test_bad_submissions_are_a_422(api: Api, body: dict[str, Any]) -> None:
    refused = submit(api, token_of(generic(api)), body)
    assert (refused.status, refused.error_code) == (422, "validation_error")
    assert generic(api)["jobs_today"] == 0


# --- expiry, by time and by schedule ------------------------------------------------------------------


def _expire_now(tenant_id: str = "acme") -> None:
    """GIVEN the link's expiry has just passed (settings only take future dates)."""
    links = link_repository()
    link = links.get(tenant_id)
    assert link is not None
    moved = link.model_copy(update={"expires_at": utcnow() - timedelta(seconds=1)})
    assert links.save(moved, link)


def _expires_in_an_hour(api: Api) -> None:
    settings = {"max_jobs_per_day": 5, "max_job_bytes": MIB, "max_daily_bytes": MIB}
    in_an_hour = iso(utcnow() + timedelta(hours=1))
    assert (
        api.request("PUT", "/links/generic", json_body={"expires_at": in_an_hour, **settings}).status == 200
    )


def test_an_expired_link_admits_nothing_even_before_the_schedule_runs(api: Api) -> None:
    token = token_of(generic(api))
    _expires_in_an_hour(api)
    assert submit(api, token, submission()).status == 201
    _expire_now()
    assert submit(api, token, submission()).error_code == "link_expired"
    assert generic(api)["expired"] is True


def test_the_expire_links_schedule_marks_passed_links_once(api: Api) -> None:
    generic(api)
    generic(api.as_("globex"))
    _expires_in_an_hour(api)
    _expire_now()
    assert scheduled("expire_links") == {"expired": 1}
    assert scheduled("expire_links") == {"expired": 0}  # twice is harmless
    stored = link_repository().get("acme")
    assert stored is not None
    assert stored.expired is True
    assert link_repository().get("globex").expired is False  # type: ignore[union-attr]
    # Setting a new expiry opens the link again.
    reopened = api.request(
        "PUT",
        "/links/generic",
        json_body={"expires_at": None, "max_jobs_per_day": 5, "max_job_bytes": MIB, "max_daily_bytes": MIB},
    )
    assert reopened.body["expired"] is False
    assert submit(api, token_of(reopened.body), submission()).status == 201


def test_counters_belong_to_the_tenants_local_day_and_the_schedule_closes_past_days(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_of(generic(api))
    # GIVEN two jobs admitted yesterday (Europe/Berlin)
    yesterday = utcnow() - timedelta(days=1)
    monkeypatch.setattr("pforte.links.service.utcnow", lambda: yesterday)
    assert submit(api, token, submission(email="a@example.com")).status == 201
    assert submit(api, token, submission(email="b@example.com")).status == 201
    monkeypatch.undo()
    # THEN today starts at zero, whether or not the reset ran
    assert generic(api)["jobs_today"] == 0
    assert submit(api, token, submission(email="c@example.com")).status == 201

    assert scheduled("reset_quotas") == {"closed": 1}
    assert scheduled("reset_quotas") == {"closed": 0}
    history = api.get("/links/generic/usage").body["items"]
    assert [(day["jobs"], day["closed"]) for day in history] == [(1, False), (2, True)]
    assert date.fromisoformat(history[0]["day"]) - date.fromisoformat(history[1]["day"]) == timedelta(days=1)


def test_the_day_turns_at_the_tenants_midnight(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.request("PATCH", "/tenant", json_body={"time_zone": "Pacific/Auckland"})
    token = token_of(generic(api))
    # 11:30 UTC is 00:30 the next day in Auckland (UTC+13 in November).
    late = datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
    monkeypatch.setattr("pforte.links.service.utcnow", lambda: late)
    assert submit(api, token, submission()).status == 201
    assert generic(api)["day"] == "2026-11-24"


def dynamodb_calls() -> Any:
    """A list that fills with the DynamoDB operations made from now on (until `.unregister()`)."""
    from pforte.aws.clients import dynamodb

    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = dynamodb().meta.events
    events.register("before-call.dynamodb", record)
    return calls, lambda: events.unregister("before-call.dynamodb", record)


@pytest.mark.parametrize(
    ("settings", "sizes", "field"),
    [
        ({"max_jobs_per_day": 1}, (len(PDF),), "max_jobs_per_day"),
        ({"max_jobs_per_day": 10, "max_daily_bytes": 2 * MIB}, (MIB + 1,), "max_daily_bytes"),
    ],
)
def test_a_refused_admission_names_its_limit_without_reading_the_counter_again(
    api: Api, settings: dict[str, Any], sizes: tuple[int, ...], field: str
) -> None:
    body = {"expires_at": None, "max_jobs_per_day": 5, "max_job_bytes": 2 * MIB, "max_daily_bytes": 10 * MIB}
    assert api.request("PUT", "/links/generic", json_body=body | settings).status == 200
    token = token_of(generic(api))
    assert submit(api, token, submission(email="first@example.com", sizes=sizes)).status == 201
    calls, stop = dynamodb_calls()
    try:
        refused = submit(api, token, submission(sizes=sizes))
    finally:
        stop()
    assert (refused.status, refused.error_code) == (429, "quota_exceeded")
    assert refused.body["error"]["details"][0]["field"] == field
    assert "TransactWriteItems" in calls
    after = calls[calls.index("TransactWriteItems") + 1 :]
    assert not [call for call in after if call in {"GetItem", "Query", "BatchGetItem"}], calls


@pytest.mark.parametrize(
    "expires_at", ["9999-12-31T23:59:59-14:00", "9999-12-31T23:30:00Z", "9000-01-01T00:00:00+14:00"]
)
def test_an_expiry_more_than_ten_years_ahead_is_a_422_in_its_field(api: Api, expires_at: str) -> None:
    body = {"expires_at": expires_at, "max_jobs_per_day": 5, "max_job_bytes": MIB, "max_daily_bytes": 5 * MIB}
    response = api.request("PUT", "/links/generic", json_body=body)
    assert (response.status, response.error_code) == (422, "validation_error"), response.text
    assert response.body["error"]["details"][0]["field"] == "expires_at"


def test_an_expiry_near_the_limit_is_mailed_in_the_tenants_zone(api: Api) -> None:
    api.request("PATCH", "/tenant", json_body={"time_zone": "Pacific/Kiritimati"})  # UTC+14
    expires = (utcnow() + timedelta(days=3650)).replace(microsecond=0)
    body = {
        "expires_at": iso(expires),
        "max_jobs_per_day": 5,
        "max_job_bytes": MIB,
        "max_daily_bytes": 5 * MIB,
    }
    assert api.request("PUT", "/links/generic", json_body=body).status == 200
    anna = api.post("/contacts", {"name": "Anna", "email": "anna.far@example.com", "language": "en"}).body[
        "id"
    ]
    assert api.post("/links/generic/send", {"contact_id": anna}).status == 200
    (mail,) = sent_mail("anna.far@example.com")
    assert str(expires.year) in mail["text"]
    assert "(Pacific/Kiritimati)" in mail["text"]


def test_writing_a_time_in_a_zone_never_overflows() -> None:
    from pforte.core.fields import in_zone

    end = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    assert in_zone(end, "Europe/Berlin", "%Y-%m-%d %H:%M") == "9999-12-31 23:30 (UTC)"
    assert in_zone(end, "America/New_York", "%Y-%m-%d %H:%M") == "9999-12-31 18:30 (America/New_York)"
