"""Job files: admitted through the API, uploaded by presigned POST straight to S3 (moto), checked
on arrival by the job-file worker (S3 notification → SQS → worker)."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest

from infra.local.provision import LocalResources
from infra.local.queues import QueueRunner
from pforte.jobs.files import MAX_FILE_BYTES, MAX_MODEL_BYTES, MAX_SUPPORT_FILES
from tests.api.conftest import Api, post_form, s3
from tests.api.test_jobs import contact, job

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def admit(api: Api, job_id: str, kind: str, filename: str, size: int) -> dict[str, Any]:
    response = api.post(f"/jobs/{job_id}/files", {"kind": kind, "filename": filename, "size": size})
    assert response.status == 201, response.text
    return dict(response.body)


def upload(api: Api, job_id: str, kind: str, filename: str, data: bytes) -> dict[str, Any]:
    admitted = admit(api, job_id, kind, filename, len(data))
    post_form(admitted, data, filename)
    return admitted


def files_of(api: Api, job_id: str) -> dict[str, dict[str, Any]]:
    found = api.get(f"/jobs/{job_id}")
    assert found.status == 200, found.text
    return {file["name"]: file for file in found.body["files"]}


def test_a_pdf_uploaded_through_the_form_is_checked_and_listed_on_the_job(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    job_id = job(api, contact(api))["id"]
    admitted = upload(api, job_id, "input", "Flyer final.pdf", PDF)
    assert admitted["name"] == "input.pdf"
    assert admitted["max_bytes"] == len(PDF)
    assert files_of(api, job_id)["input.pdf"]["status"] == "pending"

    queues.drain()

    stored = files_of(api, job_id)["input.pdf"]
    assert stored == {
        "name": "input.pdf",
        "kind": "input",
        "filename": "Flyer final.pdf",
        "size": len(PDF),
        "status": "stored",
        "uploaded_at": stored["uploaded_at"],
        "problem": None,
    }
    assert stored["uploaded_at"].endswith("Z")
    body = s3().get_object(Bucket=aws.physical["JobFilesBucket"], Key=f"tenants/acme/jobs/{job_id}/input.pdf")
    assert body["Body"].read() == PDF


def test_the_signed_policy_caps_the_size_and_pins_key_type_and_upload(api: Api) -> None:
    job_id = job(api, contact(api))["id"]
    admitted = admit(api, job_id, "model", "model.json", 1234)
    fields = admitted["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 1234] in conditions
    assert {"key": f"tenants/acme/jobs/{job_id}/model.json"} in conditions
    assert {"Content-Type": "application/json"} in conditions
    assert {"x-amz-meta-upload-id": fields["x-amz-meta-upload-id"]} in conditions


def test_a_file_larger_than_admitted_is_removed_on_arrival_and_the_job_says_why(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    # moto does not enforce the policy's content-length-range; S3 would refuse this upload.
    job_id = job(api, contact(api))["id"]
    admitted = admit(api, job_id, "input", "small.pdf", 100)
    post_form(admitted, PDF + b"x" * 200)
    queues.drain()

    rejected = files_of(api, job_id)["input.pdf"]
    assert rejected["status"] == "rejected"
    assert rejected["problem"]["code"] == "file_too_large"
    listed = s3().list_object_versions(
        Bucket=aws.physical["JobFilesBucket"], Prefix=f"tenants/acme/jobs/{job_id}/"
    )
    assert listed.get("Versions", []) == []


@pytest.mark.parametrize(
    ("kind", "data", "code"),
    [
        ("input", b"GIF89a not a pdf at all", "not_a_pdf"),
        ("input", b"%PDF-1.7\ntruncated in transit", "not_a_pdf"),
        ("model", b"{not json", "invalid_json"),
        ("model", b"\xff\xfe\x00", "invalid_json"),
        ("model", b"42", "invalid_json"),
    ],
)
def test_content_is_checked_by_what_it_is_not_by_its_name(
    api: Api, queues: QueueRunner, aws: LocalResources, kind: str, data: bytes, code: str
) -> None:
    job_id = job(api, contact(api))["id"]
    name = upload(api, job_id, kind, "looks-right.pdf" if kind == "input" else "model.json", data)["name"]
    queues.drain()
    entry = files_of(api, job_id)[name]
    assert entry["status"] == "rejected"
    assert entry["problem"]["code"] == code
    assert "Contents" not in s3().list_objects_v2(
        Bucket=aws.physical["JobFilesBucket"], Prefix=f"tenants/acme/jobs/{job_id}/"
    )


def test_a_model_and_support_files_are_stored_under_their_names(api: Api, queues: QueueRunner) -> None:
    job_id = job(api, contact(api))["id"]
    upload(api, job_id, "model", "whatever.json", b'{"pages": [1, 2]}')
    support = upload(api, job_id, "support", "../../Logo: final?.png", b"\x89PNG...")
    queues.drain()
    files = files_of(api, job_id)
    assert support["name"] == "support/Logo final.png"
    assert files["model.json"]["status"] == "stored"
    assert files["support/Logo final.png"]["status"] == "stored"
    assert files["support/Logo final.png"]["filename"] == "../../Logo: final?.png"


def test_a_pdf_with_a_long_body_is_recognised_by_head_and_tail(api: Api, queues: QueueRunner) -> None:
    job_id = job(api, contact(api))["id"]
    upload(api, job_id, "input", "big.pdf", PDF[:-7] + b"0" * 5000 + b"\n%%EOF\n")
    queues.drain()
    assert files_of(api, job_id)["input.pdf"]["status"] == "stored"


def test_an_object_nobody_admitted_is_removed(api: Api, queues: QueueRunner, aws: LocalResources) -> None:
    job_id = job(api, contact(api))["id"]
    bucket = aws.physical["JobFilesBucket"]
    s3().put_object(Bucket=bucket, Key=f"tenants/acme/jobs/{job_id}/support/sneaky.exe", Body=b"MZ")
    s3().put_object(Bucket=bucket, Key="tenants/acme/jobs/01JUNKNOWNJOB0000000000000/input.pdf", Body=PDF)
    queues.drain()
    assert "Contents" not in s3().list_objects_v2(Bucket=bucket, Prefix="tenants/acme/jobs/")
    assert files_of(api, job_id) == {}


def test_a_repeated_notification_changes_nothing(api: Api, queues: QueueRunner, aws: LocalResources) -> None:
    job_id = job(api, contact(api))["id"]
    upload(api, job_id, "input", "a.pdf", PDF)
    queues.drain()
    before = files_of(api, job_id)
    notification = {
        "Records": [{"s3": {"object": {"key": f"tenants/acme/jobs/{job_id}/input.pdf", "size": len(PDF)}}}]
    }
    boto3.client("sqs", region_name="eu-central-1").send_message(
        QueueUrl=aws.physical["JobFilesQueue"], MessageBody=json.dumps(notification)
    )
    queues.drain()
    assert files_of(api, job_id) == before


def test_a_newer_upload_replaces_the_file(api: Api, queues: QueueRunner) -> None:
    job_id = job(api, contact(api))["id"]
    upload(api, job_id, "input", "first.pdf", PDF)
    queues.drain()
    second = PDF.replace(b"Catalog", b"Catalog /Version /2.0")
    upload(api, job_id, "input", "second.pdf", second)
    queues.drain()
    entry = files_of(api, job_id)["input.pdf"]
    assert (entry["filename"], entry["size"], entry["status"]) == ("second.pdf", len(second), "stored")


def test_a_support_file_whose_name_differs_only_in_case_replaces_the_stored_one(
    api: Api, queues: QueueRunner
) -> None:
    job_id = job(api, contact(api))["id"]
    upload(api, job_id, "support", "NOTES.TXT", b"first")
    queues.drain()
    upload(api, job_id, "support", "notes.txt", b"second")
    queues.drain()
    files = files_of(api, job_id)
    assert list(files) == ["support/NOTES.TXT"]  # one file, as Windows and macOS would keep it
    assert (files["support/NOTES.TXT"]["filename"], files["support/NOTES.TXT"]["size"]) == ("notes.txt", 6)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "input", "filename": "a.pdf", "size": MAX_FILE_BYTES + 1}, 413, "file_too_large"),
        ({"kind": "model", "filename": "m.json", "size": MAX_MODEL_BYTES + 1}, 413, "file_too_large"),
        ({"kind": "input", "filename": "a.pdf", "size": 0}, 422, "validation_error"),
        ({"kind": "input", "filename": "a.pdf", "size": "12"}, 422, "validation_error"),
        ({"kind": "cover", "filename": "a.pdf", "size": 12}, 422, "validation_error"),
        ({"kind": "input", "filename": "", "size": 12}, 422, "validation_error"),
        ({"kind": "input", "filename": "a\u0000.pdf", "size": 12}, 422, "validation_error"),
        ({"kind": "input", "filename": "a.pdf", "size": 12, "url": "x"}, 422, "validation_error"),
    ],
)
def test_bad_admissions_are_refused(api: Api, body: dict[str, Any], status: int, code: str) -> None:
    job_id = job(api, contact(api))["id"]
    response = api.post(f"/jobs/{job_id}/files", body)
    assert (response.status, response.error_code) == (status, code)
    assert files_of(api, job_id) == {}


def test_support_files_are_limited_per_job(api: Api) -> None:
    job_id = job(api, contact(api))["id"]
    for number in range(MAX_SUPPORT_FILES):
        admit(api, job_id, "support", f"sheet-{number}.png", 10)
    refused = api.post(f"/jobs/{job_id}/files", {"kind": "support", "filename": "one-more.png", "size": 10})
    assert refused.status == 422
    assert (
        admit(api, job_id, "support", "sheet-3.png", 12)["name"] == "support/sheet-3.png"
    )  # replacing is fine


def test_another_tenants_job_and_a_missing_job_are_404(api: Api) -> None:
    job_id = job(api, contact(api))["id"]
    body = {"kind": "input", "filename": "a.pdf", "size": 10}
    assert api.as_("globex").post(f"/jobs/{job_id}/files", body).error_code == "not_found"
    assert api.post("/jobs/01JAAAAAAAAAAAAAAAAAAAAAAA/files", body).error_code == "not_found"


def test_deleting_the_contact_removes_every_version_of_its_job_files(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = contact(api)
    job_id = job(api, anna)["id"]
    upload(api, job_id, "input", "a.pdf", PDF)
    upload(api, job_id, "input", "b.pdf", PDF + b"\n")
    queues.drain()
    assert api.delete(f"/contacts/{anna}").status == 204
    listed = s3().list_object_versions(Bucket=aws.physical["JobFilesBucket"], Prefix="tenants/acme/jobs/")
    assert listed.get("Versions", []) == []
    assert listed.get("DeleteMarkers", []) == []


def entries_of(api: Api, job_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/jobs/{job_id}").body["files"])


def test_a_stored_file_stays_until_its_replacement_has_passed_the_check(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    job_id = job(api, contact(api))["id"]
    upload(api, job_id, "input", "good.pdf", PDF)
    queues.drain()
    admit(api, job_id, "input", "never-sent.pdf", 100)  # admitted, never uploaded
    assert [(e["filename"], e["status"]) for e in entries_of(api, job_id)] == [
        ("good.pdf", "stored"),
        ("never-sent.pdf", "pending"),
    ]
    upload(api, job_id, "input", "bad.pdf", b"GIF89a")
    queues.drain()
    assert [(e["filename"], e["status"]) for e in entries_of(api, job_id)] == [
        ("good.pdf", "stored"),
        ("never-sent.pdf", "pending"),
        ("bad.pdf", "rejected"),
    ]
    body = s3().get_object(Bucket=aws.physical["JobFilesBucket"], Key=f"tenants/acme/jobs/{job_id}/input.pdf")
    assert body["Body"].read() == PDF  # the rejected version was removed; the good one is current


def test_a_form_posted_a_second_time_is_removed_and_the_checked_file_stays(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    job_id = job(api, contact(api))["id"]
    admitted = admit(api, job_id, "input", "a.pdf", len(PDF))
    post_form(admitted, PDF)
    queues.drain()
    post_form(admitted, b"\x89PNG....")  # the same signed form, again, with other bytes
    queues.drain()
    assert [(e["status"], e["size"]) for e in entries_of(api, job_id)] == [("stored", len(PDF))]
    versions = s3().list_object_versions(
        Bucket=aws.physical["JobFilesBucket"], Prefix=f"tenants/acme/jobs/{job_id}/"
    )["Versions"]
    assert len(versions) == 1
    body = s3().get_object(Bucket=aws.physical["JobFilesBucket"], Key=f"tenants/acme/jobs/{job_id}/input.pdf")
    assert body["Body"].read() == PDF


def test_each_arrival_is_checked_even_when_a_later_one_overtakes_it(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    job_id = job(api, contact(api))["id"]
    first = admit(api, job_id, "model", "m.json", 10)
    second = admit(api, job_id, "model", "m.json", 10)
    post_form(first, b"")  # empty: moto takes it, S3 would refuse it (content-length-range 1..)
    post_form(second, b'{"a": 1}')
    queues.drain()
    outcome = {(e["status"], (e["problem"] or {}).get("code")) for e in entries_of(api, job_id)}
    assert outcome == {("rejected", "empty_file"), ("stored", None)}
    body = s3().get_object(
        Bucket=aws.physical["JobFilesBucket"], Key=f"tenants/acme/jobs/{job_id}/model.json"
    )
    assert body["Body"].read() == b'{"a": 1}'


def test_a_rejected_upload_shows_the_size_that_arrived(api: Api, queues: QueueRunner) -> None:
    job_id = job(api, contact(api))["id"]
    post_form(admit(api, job_id, "input", "a.pdf", 10), PDF)
    queues.drain()
    (entry,) = entries_of(api, job_id)
    assert (entry["status"], entry["size"]) == ("rejected", len(PDF))


def test_models_with_nan_or_infinity_are_not_json(api: Api, queues: QueueRunner) -> None:
    job_id = job(api, contact(api))["id"]
    upload(api, job_id, "model", "m.json", b'{"a": NaN}')
    queues.drain()
    assert entries_of(api, job_id)[0]["problem"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("kind", "filename", "name"),
    [
        (
            "support",
            "Screenshot 2024-05-01 at 10.00.00\u202fAM.png",
            "support/Screenshot 2024-05-01 at 10.00.00\u202fAM.png",
        ),
        ("input", "Angebot\u00a02024.pdf", "input.pdf"),
        ("support", "ü" * 250 + ".txt", "support/" + "ü" * 98 + ".txt"),
    ],
)
def test_names_with_any_space_are_fine_and_shortening_keeps_the_extension(
    api: Api, kind: str, filename: str, name: str
) -> None:
    job_id = job(api, contact(api))["id"]
    assert admit(api, job_id, kind, filename, 10)["name"] == name
