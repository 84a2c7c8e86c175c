"""Jobs through the API, and deleting contacts with their jobs."""

from __future__ import annotations

from typing import Any

import pytest

from pforte.contacts import store as contact_store
from pforte.storage import dynamo
from tests.api.conftest import Api, per_id

PATHS_TO = {
    "new": [],
    "incoming": ["incoming"],
    "processing": ["incoming", "processing"],
    "completed": ["incoming", "processing", "completed"],
}


def contact(api: Api, email: str = "anna@example.com") -> str:
    response = api.post("/contacts", {"name": "Anna", "email": email})
    assert response.status == 201, response.text
    return str(response.body["id"])


def job(api: Api, contact_id: str, state: str = "new", title: str = "Flyer") -> dict[str, Any]:
    created = api.post(f"/contacts/{contact_id}/jobs", {"title": title})
    assert created.status == 201, created.text
    body = created.body
    for step in PATHS_TO[state]:
        moved = api.patch(f"/jobs/{body['id']}", {"state": step})
        assert moved.status == 200, moved.text
        body = moved.body
    return dict(body)


def contact_with_jobs(api: Api, count: int) -> tuple[str, list[str]]:
    """A new contact with `count` new jobs titled J0, J1, …: its id and theirs, oldest first."""
    contact_id = contact(api)
    return contact_id, [job(api, contact_id, title=f"J{i}")["id"] for i in range(count)]


def test_a_job_is_created_new_and_listed_for_its_contact(api: Api) -> None:
    anna = contact(api)
    created = api.post(f"/contacts/{anna}/jobs", {"title": "Flyer A5"})
    assert created.status == 201
    assert created.headers["Location"] == f"/jobs/{created.body['id']}"
    assert {k: created.body[k] for k in ("contact_id", "title", "state")} == {
        "contact_id": anna,
        "title": "Flyer A5",
        "state": "new",
    }
    assert api.get(f"/jobs/{created.body['id']}").body == created.body
    second = job(api, anna, title="Poster")
    listed = api.get(f"/contacts/{anna}/jobs").body
    assert [item["id"] for item in listed["items"]] == [second["id"], created.body["id"]]
    assert listed["next_cursor"] is None


def test_jobs_page(api: Api) -> None:
    anna, ids = contact_with_jobs(api, 5)
    first = api.get(f"/contacts/{anna}/jobs", limit=3).body
    second = api.get(f"/contacts/{anna}/jobs", limit=3, cursor=first["next_cursor"]).body
    assert [j["id"] for j in first["items"] + second["items"]] == list(reversed(ids))
    assert second["next_cursor"] is None


def test_a_job_for_a_missing_or_foreign_contact_is_a_404(api: Api) -> None:
    anna = contact(api)
    assert api.as_("globex").post(f"/contacts/{anna}/jobs", {"title": "X"}).status == 404
    assert api.post("/contacts/01JAAAAAAAAAAAAAAAAAAAAAAA/jobs", {"title": "X"}).status == 404
    assert api.as_("globex").get(f"/contacts/{anna}/jobs").status == 404


def test_a_foreign_job_is_a_404(api: Api) -> None:
    flyer = job(api, contact(api))
    other = api.as_("globex")
    assert other.get(f"/jobs/{flyer['id']}").status == 404
    assert other.patch(f"/jobs/{flyer['id']}", {"state": "incoming"}).status == 404
    assert api.get(f"/jobs/{flyer['id']}").body["state"] == "new"


STATES = list(PATHS_TO)
# The only moves a job may make; every other pair of states is refused.
MOVES = {
    ("new", "incoming"),
    ("incoming", "processing"),
    ("processing", "completed"),
    ("processing", "incoming"),
}


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [(start, target, (start, target) in MOVES) for start in STATES for target in STATES if start != target],
)
def test_job_state_machine(api: Api, start: str, target: str, allowed: bool) -> None:
    flyer = job(api, contact(api), state=start)
    response = api.patch(f"/jobs/{flyer['id']}", {"state": target})
    if allowed:
        assert response.status == 200
        assert response.body["state"] == target
    else:
        assert response.status == 409
        assert response.error_code == "invalid_transition"
    assert api.get(f"/jobs/{flyer['id']}").body["state"] == (target if allowed else start)


def test_unknown_job_states_are_a_422(api: Api) -> None:
    flyer = job(api, contact(api))
    assert api.patch(f"/jobs/{flyer['id']}", {"state": "printing"}).status == 422
    assert api.patch(f"/jobs/{flyer['id']}", {"state": "incoming", "title": "x"}).status == 422


# --- delete cascade -----------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["new", "incoming", "completed"])
def test_deleting_a_contact_deletes_its_jobs(api: Api, state: str) -> None:
    anna = contact(api)
    flyer = job(api, anna, state=state)
    assert api.delete(f"/contacts/{anna}").status == 204
    assert api.get(f"/jobs/{flyer['id']}").status == 404
    assert api.get(f"/contacts/{anna}/jobs").status == 404


def test_a_contact_with_a_job_in_processing_is_not_deleted(api: Api) -> None:
    anna = contact(api)
    kept = job(api, anna, state="completed")
    busy = job(api, anna, state="processing")
    response = api.delete(f"/contacts/{anna}")
    assert response.status == 409
    assert response.error_code == "jobs_in_progress"
    assert [d["field"] for d in response.body["error"]["details"]] == [f"jobs.{busy['id']}"]
    # nothing changed
    assert api.get(f"/contacts/{anna}").status == 200
    assert api.get(f"/jobs/{kept['id']}").body == kept
    # once the job is done, the delete goes through
    api.patch(f"/jobs/{busy['id']}", {"state": "completed"})
    assert api.delete(f"/contacts/{anna}").status == 204


def test_a_contact_with_more_jobs_than_a_transaction_holds_is_deleted_whole(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_store, "MAX_TRANSACTION_ITEMS", 6)
    anna, jobs = contact_with_jobs(api, 4)
    assert api.delete(f"/contacts/{anna}").status == 204
    assert all(api.get(f"/jobs/{job_id}").status == 404 for job_id in jobs)
    assert api.get(f"/contacts/{anna}").status == 404
    assert api.post("/contacts", {"name": "Anna", "email": "anna@example.com"}).status == 201


def test_a_large_delete_refused_for_a_processing_job_changes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_store, "MAX_TRANSACTION_ITEMS", 4)
    anna, jobs = contact_with_jobs(api, 3)
    busy = job(api, anna, state="processing")
    assert api.delete(f"/contacts/{anna}").status == 409
    assert [j["id"] for j in api.get(f"/contacts/{anna}/jobs").body["items"]] == [busy["id"], *reversed(jobs)]


def test_an_interrupted_large_delete_is_finished_by_the_next_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_store, "MAX_TRANSACTION_ITEMS", 4)
    anna, jobs = contact_with_jobs(api, 3)
    calls = {"n": 0}
    original = dynamo.batch_write  # what the contact store calls

    def dies_midway(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(contact_store, "batch_write", dies_midway)
    assert api.delete(f"/contacts/{anna}").status == 500
    # the contact is gone for users, but blocks new jobs and remains deletable
    assert api.get(f"/contacts/{anna}").status == 404
    assert anna not in [c["id"] for c in api.get("/contacts").body["items"]]
    assert api.post(f"/contacts/{anna}/jobs", {"title": "late"}).status == 404
    monkeypatch.setattr(contact_store, "batch_write", original)
    assert api.delete(f"/contacts/{anna}").status == 204
    assert all(api.get(f"/jobs/{job_id}").status == 404 for job_id in jobs)
    assert calls["n"] == 1


def test_bulk_delete_answers_per_id(api: Api) -> None:
    anna = contact(api, "anna@example.com")
    ben = contact(api, "ben@example.com")
    job(api, ben, state="processing")
    foreign = contact(api.as_("globex"), "carl@example.com")
    response = api.post("/contacts/bulk-delete", {"ids": [anna, ben, foreign, "nonsense"]})
    assert response.status == 200
    assert per_id(response) == {
        anna: ("deleted", None),
        ben: ("failed", "jobs_in_progress"),
        foreign: ("failed", "not_found"),
        "nonsense": ("failed", "not_found"),
    }
    assert api.get(f"/contacts/{anna}").status == 404
    assert api.get(f"/contacts/{ben}").status == 200
    assert api.as_("globex").get(f"/contacts/{foreign}").status == 200


@pytest.mark.parametrize("ids", [[], ["x"] * 101, "abc", None])
def test_bulk_delete_takes_1_to_100_ids(api: Api, ids: Any) -> None:
    response = api.post("/contacts/bulk-delete", {"ids": ids})
    assert response.status == 422
    assert response.body["error"]["details"][0]["field"].startswith("ids")


def test_deleting_a_contact_removes_its_jobs_files_and_no_one_elses(api: Api, aws: Any) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="eu-central-1")
    bucket = aws.physical["JobFilesBucket"]
    anna, ben = contact(api, "anna@example.com"), contact(api, "ben@example.com")
    annas, bens = job(api, anna), job(api, ben)
    for job_id in (annas["id"], bens["id"]):
        for name in ("input.pdf", "model.json", "support/logo.png"):
            s3.put_object(Bucket=bucket, Key=f"tenants/acme/jobs/{job_id}/{name}", Body=b"x")
    assert api.delete(f"/contacts/{anna}").status == 204
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert sorted(left) == sorted(
        f"tenants/acme/jobs/{bens['id']}/{n}" for n in ("input.pdf", "model.json", "support/logo.png")
    )
