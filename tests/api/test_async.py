"""The asynchronous path: S3 upload → SQS → import worker, and the mail queue → mail worker,
run by the same queue runner `make run` uses."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote_plus

import boto3

from infra.local.mailbox import sent_mail
from infra.local.provision import LocalResources
from infra.local.queues import QueueRunner
from pforte.contacts.imports import MAX_UPLOAD_BYTES
from tests.api.conftest import Api, per_id, s3
from tests.api.test_status import contact_in

# --- bulk activation requests --------------------------------------------------------------------


def test_bulk_activation_requests_are_queued_checked_per_id_and_mailed_by_the_worker(
    api: Api, queues: QueueRunner
) -> None:
    anna = contact_in(api, "not_registered", "anna@example.com")
    ben = contact_in(api, "active", "ben@example.com")
    foreign = api.as_("globex").post("/contacts", {"name": "G", "email": "g@example.com"}).body["id"]
    response = api.post("/contacts/activation-requests", {"ids": [anna, ben, foreign]})
    assert response.status == 202
    assert per_id(response) == {
        anna: ("queued", None),
        ben: ("failed", "invalid_transition"),
        foreign: ("failed", "not_found"),
    }
    # nothing is sent inside the request
    assert sent_mail("anna@example.com") == []
    assert queues.drain() == 1
    assert len(sent_mail("anna@example.com")) == 1
    assert api.get(f"/contacts/{anna}").body["invitation_sent_at"] is not None
    assert sent_mail("ben@example.com") == []


def test_a_repeated_mail_message_sends_nothing_twice(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = contact_in(api, "not_registered")
    sqs = boto3.client("sqs", region_name="eu-central-1")
    api.post("/contacts/activation-requests", {"ids": [anna]})
    message = sqs.receive_message(QueueUrl=aws.physical["MailQueue"], VisibilityTimeout=0)["Messages"][0]
    sqs.send_message(QueueUrl=aws.physical["MailQueue"], MessageBody=message["Body"])  # delivered twice
    assert queues.drain() == 2
    assert len(sent_mail("anna@example.com")) == 1


def test_a_contact_deleted_before_its_mail_goes_out_gets_none(api: Api, queues: QueueRunner) -> None:
    anna = contact_in(api, "not_registered")
    api.post("/contacts/activation-requests", {"ids": [anna]})
    api.delete(f"/contacts/{anna}")
    queues.drain()
    assert sent_mail("anna@example.com") == []


# --- background imports -------------------------------------------------------------------------


def start_upload(api: Api) -> dict[str, Any]:
    response = api.post("/contacts/imports/uploads")
    assert response.status == 201, response.text
    return dict(response.body)


def upload(aws: LocalResources, started: dict[str, Any], data: bytes) -> None:
    # moto does not enforce a presigned POST's policy; the object lands where the form says.
    s3().put_object(Bucket=aws.physical["ImportsBucket"], Key=started["upload"]["fields"]["key"], Body=data)


def imported(api: Api, aws: LocalResources, queues: QueueRunner, data: bytes) -> dict[str, Any]:
    """A new import with `data` uploaded, after the worker ran: what starting it answered."""
    started = start_upload(api)
    upload(aws, started, data)
    queues.drain()
    return started


def import_job(api: Api, started: dict[str, Any]) -> dict[str, Any]:
    return dict(api.get(f"/contacts/imports/{started['import_id']}").body)


def test_the_upload_form_caps_the_size_and_names_a_key_of_the_tenant(api: Api) -> None:
    started = start_upload(api)
    fields = started["upload"]["fields"]
    assert fields["key"] == f"tenants/acme/imports/{started['import_id']}.csv"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, MAX_UPLOAD_BYTES] in policy["conditions"]
    assert import_job(api, started)["status"] == "awaiting_upload"


def test_an_uploaded_file_is_imported_in_the_background_with_progress(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    rows = "".join(f"Person {i};p{i}@example.com;;en\r\n" for i in range(1200))
    data = ("Name;E-Mail;Firma;Sprache\r\n" + rows + "Bad;nope;;\r\n").encode("cp1252")
    job = import_job(api, imported(api, aws, queues, data))
    assert job["status"] == "succeeded"
    assert (job["processed_rows"], job["total_rows"]) == (1201, 1201)
    assert job["report"]["imported"] == 1200
    assert [(e["line"], e["field"]) for e in job["report"]["errors"]] == [(1202, "email")]
    assert api.get("/contacts", q="p1199@").body["items"][0]["language"] == "en"


def test_a_repeated_notification_imports_nothing_twice(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    started = imported(api, aws, queues, b"name,email\nAnna,anna@example.com\n")
    upload(aws, started, b"name,email\nBen,ben@example.com\n")  # same key again
    queues.drain()
    emails = [c["email"] for c in api.get("/contacts").body["items"]]
    assert emails == ["anna@example.com"]


def test_an_oversized_upload_is_removed_and_the_import_fails(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    started = start_upload(api)
    key = started["upload"]["fields"]["key"]
    s3().put_object(Bucket=aws.physical["ImportsBucket"], Key="elsewhere.txt", Body=b"x")  # not an import
    s3().put_object(Bucket=aws.physical["ImportsBucket"], Key=key, Body=b"name,email\n")
    queues.drain()  # (the real notification: tiny, an empty import)
    # a notification that reports more than was signed for
    later = start_upload(api)
    later_key = later["upload"]["fields"]["key"]
    s3().put_object(
        Bucket=aws.physical["ImportsBucket"], Key=later_key, Body=b"name,email\nA,a@example.com\n"
    )
    sqs = boto3.client("sqs", region_name="eu-central-1")
    sqs.purge_queue(QueueUrl=aws.physical["ImportsQueue"])
    event = {
        "Records": [
            {"s3": {"bucket": {"name": "b"}, "object": {"key": later_key, "size": MAX_UPLOAD_BYTES + 1}}}
        ]
    }
    sqs.send_message(QueueUrl=aws.physical["ImportsQueue"], MessageBody=json.dumps(event))
    queues.drain()
    job = import_job(api, later)
    assert job["status"] == "failed"
    assert "larger" in job["error"]
    assert "Contents" not in s3().list_objects_v2(Bucket=aws.physical["ImportsBucket"], Prefix=later_key)


def test_a_file_without_a_usable_header_fails_with_a_reason(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    job = import_job(api, imported(api, aws, queues, b"foo,bar\n1,2\n"))
    assert (job["status"], job["report"]) == ("failed", None)
    assert "no name and no email column" in job["error"]


def test_s3_test_events_and_url_encoded_keys_are_understood(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    sqs = boto3.client("sqs", region_name="eu-central-1")
    sqs.send_message(QueueUrl=aws.physical["ImportsQueue"], MessageBody=json.dumps({"Event": "s3:TestEvent"}))
    started = start_upload(api)
    key = started["upload"]["fields"]["key"]
    s3().put_object(
        Bucket=aws.physical["ImportsBucket"], Key=key, Body=b"name,email\nAnna,anna@example.com\n"
    )
    sqs.purge_queue(QueueUrl=aws.physical["ImportsQueue"])  # deliver our own notification instead
    encoded = quote_plus(key)  # as S3 writes keys into notifications
    assert encoded != key
    event = {"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": encoded, "size": 30}}}]}
    sqs.send_message(QueueUrl=aws.physical["ImportsQueue"], MessageBody=json.dumps(event))
    queues.drain()
    assert import_job(api, started)["status"] == "succeeded"
    assert (
        sqs.get_queue_attributes(
            QueueUrl=aws.physical["ImportsQueue"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_another_tenants_import_is_a_404(api: Api) -> None:
    started = start_upload(api)
    assert api.as_("globex").get(f"/contacts/imports/{started['import_id']}").status == 404
    assert api.get("/contacts/imports/nonsense").status == 404


def test_repeated_ids_in_a_bulk_request_send_one_mail(api: Api, queues: QueueRunner) -> None:
    anna = contact_in(api, "not_registered")
    results = api.post("/contacts/activation-requests", {"ids": [anna, anna]}).body["results"]
    assert [r["status"] for r in results] == ["queued", "queued"]
    queues.drain()
    assert len(sent_mail("anna@example.com")) == 1


def test_a_long_inline_file_is_imported_in_the_background(api: Api, queues: QueueRunner) -> None:
    data = "name,email\n" + "".join(f"P{i},p{i}@example.com\n" for i in range(2500))
    response = api.request("POST", "/contacts/imports", raw_body=data, headers={"Content-Type": "text/csv"})
    assert response.status == 202
    assert response.headers["Location"] == f"/contacts/imports/{response.body['id']}"
    queues.drain()
    job = api.get(f"/contacts/imports/{response.body['id']}").body
    assert (job["status"], job["report"]["imported"]) == ("succeeded", 2500)


def test_an_unexpected_failure_is_retried_and_the_last_one_fails_the_import(
    api: Api, queues: QueueRunner, aws: LocalResources, monkeypatch: Any
) -> None:
    from pforte.contacts import imports

    original = imports.import_contacts
    failures = {"left": 1}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("DynamoDB had a bad moment")
        return original(*args, **kwargs)

    monkeypatch.setattr(imports, "import_contacts", flaky)
    monkeypatch.setattr("infra.local.queues.LOCAL_RETRY_SECONDS", 0)
    started = start_upload(api)
    upload(aws, started, b"name,email\nAnna,anna@example.com\n")
    for _ in range(5):
        queues.drain()
    assert import_job(api, started)["status"] == "succeeded"

    failures["left"] = 99
    doomed = start_upload(api)
    upload(aws, doomed, b"name,email\nBen,ben@example.com\n")
    for _ in range(5):
        queues.drain()
    job = import_job(api, doomed)
    assert (job["status"], job["error"]) == (
        "failed",
        "The import stopped unexpectedly; upload the file again.",
    )


def test_an_uploaded_file_is_read_from_s3_once(api: Api, queues: QueueRunner, aws: LocalResources) -> None:
    """One GetObject for the whole import, whatever the encoding: it is chosen from the first
    bytes (the file here is Windows-1252 and longer than that sample)."""
    from pforte.aws import clients

    gets: list[str] = []
    client = clients.s3()
    counter = lambda **_: gets.append("GetObject")  # noqa: E731

    client.meta.events.register("before-call.s3.GetObject", counter)
    try:
        rows = "".join(f"Jörg {i};j{i}@example.com;Müller & Söhne;de\r\n" for i in range(3000))
        data = ("Name;E-Mail;Firma;Sprache\r\n" + rows).encode("cp1252")
        assert len(data) > 64 * 1024
        started = imported(api, aws, queues, data)
    finally:
        client.meta.events.unregister("before-call.s3.GetObject", counter)
    job = import_job(api, started)
    assert (job["status"], job["report"]["imported"], job["total_rows"]) == ("succeeded", 3000, 3000)
    assert api.get("/contacts", q="j2999@").body["items"][0]["company"] == "Müller & Söhne"
    assert gets == ["GetObject"]


def test_an_import_whose_worker_died_goes_on_at_the_next_delivery(
    api: Api, queues: QueueRunner, aws: LocalResources, monkeypatch: Any
) -> None:
    from pforte.contacts import imports as imports
    from pforte.contacts.import_store import DynamoImportJobs, DynamoImportStore

    original = DynamoImportStore.add_many
    writes = {"count": 0, "crashed": False}

    def dies_after_the_first_chunk(self: DynamoImportStore, contacts: list[Any]) -> imports.Claimed:
        writes["count"] += 1
        if writes["count"] == 2 and not writes["crashed"]:
            writes["crashed"] = True
            raise RuntimeError("the worker is gone")
        return original(self, contacts)

    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    monkeypatch.setattr(DynamoImportStore, "add_many", dies_after_the_first_chunk)
    # A worker that dies (a timeout, the process killed) reopens nothing: the import stays running.
    monkeypatch.setattr(DynamoImportJobs, "reopen", lambda self, job: None)
    monkeypatch.setattr("infra.local.queues.LOCAL_RETRY_SECONDS", 0)
    rows = "".join(f"P{i},p{i}@example.com\n" for i in range(35))
    started = imported(api, aws, queues, ("name,email\n" + rows + "P3 again,P3@example.com\n").encode())
    assert writes["crashed"]
    job = import_job(api, started)
    assert (job["status"], job["processed_rows"]) == ("running", 10)  # the first chunk is recorded
    # a delivery at once finds it running but not overdue (a live worker may have it): it waits
    monkeypatch.setattr(imports, "WORKER_TIMEOUT_SECONDS", -1)  # now its worker is overdue
    sqs = boto3.client("sqs", region_name="eu-central-1")
    key = started["upload"]["fields"]["key"]
    event = {"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": key, "size": 100}}}]}
    sqs.send_message(QueueUrl=aws.physical["ImportsQueue"], MessageBody=json.dumps(event))
    queues.drain()
    job = import_job(api, started)
    assert job["status"] == "succeeded"
    assert (job["processed_rows"], job["total_rows"]) == (36, 36)
    report = job["report"]
    assert (report["imported"], report["skipped"], report["failed_rows"]) == (35, 1, 0)
    assert report["skipped_rows"] == [{"line": 37, "email": "P3@example.com", "reason": "repeated_in_file"}]
    emails = [c["email"] for c in api.get("/contacts", limit=100).body["items"]]
    assert sorted(emails) == sorted(f"p{i}@example.com" for i in range(35))
