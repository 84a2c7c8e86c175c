"""Deleting a contact: one read of its partition, and a clean-up that finishes what S3 or Cognito
could not do at once (through the clean-up queue and its worker)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.provision import LocalResources
from infra.local.queues import QueueRunner
from pforte.aws.files import S3JobFiles
from pforte.contacts import store as contact_store
from tests.api.conftest import Api, fail_once, s3
from tests.api.test_jobs import contact, contact_with_jobs, job


def put_files(aws: LocalResources, job_ids: list[str]) -> None:
    for job_id in job_ids:
        for name in ("input.pdf", "model.json"):
            s3().put_object(
                Bucket=aws.physical["JobFilesBucket"], Key=f"tenants/acme/jobs/{job_id}/{name}", Body=b"x"
            )


def files_left(aws: LocalResources) -> list[str]:
    listed = s3().list_objects_v2(Bucket=aws.physical["JobFilesBucket"], Prefix="tenants/acme/jobs/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_a_delete_reads_the_contacts_partition_once(api: Api, dynamodb_calls: list[str]) -> None:
    anna = contact(api)
    for title in ("A", "B", "C"):
        job(api, anna, state="completed", title=title)
    api.post(f"/contacts/{anna}/activation-request")
    dynamodb_calls.clear()
    assert api.delete(f"/contacts/{anna}").status == 204
    assert dynamodb_calls.count("Query") == 1
    assert dynamodb_calls == ["GetItem", "Query", "TransactWriteItems"]


def test_a_failed_file_clean_up_answers_204_and_the_queue_finishes_it(
    api: Api, aws: LocalResources, queues: QueueRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna, jobs = contact_with_jobs(api, 2)
    put_files(aws, jobs)
    calls = fail_once(monkeypatch, S3JobFiles, "delete_all")
    assert api.delete(f"/contacts/{anna}").status == 204
    assert api.get(f"/contacts/{anna}").status == 404
    assert api.post("/contacts", {"name": "Anna", "email": "anna@example.com"}).status == 201
    assert len(files_left(aws)) == 4  # S3 failed: the files are still there
    queues.drain()
    assert files_left(aws) == []
    assert calls["n"] == 2


def test_a_bulk_delete_whose_clean_up_fails_answers_deleted(
    api: Api, aws: LocalResources, queues: QueueRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna, ben = contact(api, "anna@example.com"), contact(api, "ben@example.com")
    put_files(aws, [job(api, anna)["id"], job(api, ben)["id"]])
    fail_once(monkeypatch, S3JobFiles, "delete_all")
    response = api.post("/contacts/bulk-delete", {"ids": [anna, ben]})
    assert response.status == 200
    assert [r["status"] for r in response.body["results"]] == ["deleted", "deleted"]
    queues.drain()
    assert files_left(aws) == []


def test_the_files_of_an_interrupted_large_delete_are_cleaned_up(
    api: Api, aws: LocalResources, queues: QueueRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_store, "MAX_TRANSACTION_ITEMS", 4)
    anna, jobs = contact_with_jobs(api, 3)
    put_files(aws, jobs)

    def dies_midway(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(contact_store, "batch_write", dies_midway)
    assert api.delete(f"/contacts/{anna}").status == 500
    # the clean-up was queued before anything was deleted: the files go even if nobody repeats it
    queues.drain()
    assert files_left(aws) == []
    assert api.get(f"/contacts/{anna}").status == 404


def test_a_failed_identity_delete_answers_204_and_the_queue_deletes_it(
    api: Api, aws: LocalResources, queues: QueueRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pforte.aws.identities import CognitoLoginIdentities
    from tests.api.test_status import Logins, contact_in

    logins = Logins(aws)
    contact_id = contact_in(api, "active")
    fail_once(monkeypatch, CognitoLoginIdentities, "delete")
    assert api.delete(f"/contacts/{contact_id}").status == 204
    assert logins.state("acme", contact_id) is not None
    queues.drain()
    assert logins.state("acme", contact_id) is None
