"""Exports through the API: a customer's backup ZIP and the account CSV, made by the exports worker
from the exports queue, fetched by the presigned download link."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import boto3
import pytest
import requests

from infra.local.provision import LocalResources
from infra.local.queues import QueueRunner
from pforte.aws import clients
from tests.api.conftest import Api, s3
from tests.api.test_import import upload as import_csv
from tests.api.test_job_files import PDF, admit, upload
from tests.api.test_jobs import job
from tests.api.test_status import contact_in


def customer(api: Api, name: str = "Anna Beispiel", email: str = "anna@example.com", **more: Any) -> str:
    response = api.post("/contacts", {"name": name, "email": email, **more})
    assert response.status == 201, response.text
    return str(response.body["id"])


def job_with_input(api: Api, queues: QueueRunner, contact_id: str, filename: str, data: bytes = PDF) -> str:
    """A new job of the contact with `data` uploaded as its input file and checked: the job's id."""
    job_id = str(job(api, contact_id)["id"])
    upload(api, job_id, "input", filename, data)
    queues.drain()
    return job_id


def request_backup(api: Api, contact_id: str) -> str:
    response = api.post(f"/contacts/{contact_id}/backups")
    assert response.status == 202, response.text
    assert response.headers["Location"] == f"/exports/{response.body['export_id']}"
    return str(response.body["export_id"])


def finished(api: Api, queues: QueueRunner, export_id: str) -> dict[str, Any]:
    queues.drain()
    response = api.get(f"/exports/{export_id}")
    assert response.status == 200, response.text
    return dict(response.body)


def download(export: dict[str, Any]) -> requests.Response:
    response = requests.get(export["download_url"], timeout=10)
    assert response.status_code == 200, response.text
    return response


def exported_objects(aws: LocalResources) -> list[str]:
    listed = s3().list_objects_v2(Bucket=aws.physical["ExportsBucket"])
    return [item["Key"] for item in listed.get("Contents", [])]


def open_uploads(aws: LocalResources) -> list[Any]:
    return list(s3().list_multipart_uploads(Bucket=aws.physical["ExportsBucket"]).get("Uploads", []))


BIG_PDF = PDF[:-7] + bytes(range(256)) * (70 * 1024) + b"\n%%EOF\n"  # ~17.5 MiB: two parts


# --- the customer backup ---------------------------------------------------------------------------


def test_a_backup_holds_the_profile_every_job_and_their_files(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = customer(api, company="Musterdruck GmbH")
    flyer = job(api, anna, title="Flyer A5")["id"]
    poster = job(api, anna, "completed", title="Poster")["id"]
    upload(api, flyer, "input", "flyer.pdf", PDF)
    upload(api, flyer, "model", "model.json", b'{"pages": 2}')
    upload(api, flyer, "support", "logo.png", b"\x89PNG-logo")
    upload(api, poster, "input", "poster.pdf", PDF + b"\n")
    admit(api, poster, "model", "model.json", 10)  # admitted, never uploaded: not in the backup
    queues.drain()

    export_id = request_backup(api, anna)
    pending = api.get(f"/exports/{export_id}").body
    assert pending["status"] == "pending"
    assert pending["kind"] == "backup"
    assert "download_url" not in pending or pending["download_url"] is None

    export = finished(api, queues, export_id)
    assert export["status"] == "succeeded", export
    assert export["filename"] == "Anna Beispiel.zip"
    assert export["progress"]["done_bytes"] == export["progress"]["total_bytes"] > 0
    assert export["expires_at"].endswith("Z")
    response = download(export)
    assert "Anna Beispiel.zip" in response.headers["Content-Disposition"]
    assert len(response.content) == export["progress"]["total_bytes"]

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted(
        [
            "user-profile.json",
            "jobs.json",
            f"{flyer}/input.pdf",
            f"{flyer}/model.json",
            f"{flyer}/support/logo.png",
            f"{poster}/input.pdf",
        ]
    )
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert json.loads(archive.read("user-profile.json")) == {
        "name": "Anna Beispiel",
        "email": "anna@example.com",
        "company": "Musterdruck GmbH",
    }
    assert archive.read(f"{flyer}/input.pdf") == PDF
    assert archive.read(f"{flyer}/model.json") == b'{"pages": 2}'
    assert archive.read(f"{flyer}/support/logo.png") == b"\x89PNG-logo"
    assert archive.read(f"{poster}/input.pdf") == PDF + b"\n"
    jobs = {entry["id"]: entry for entry in json.loads(archive.read("jobs.json"))}
    assert jobs[poster]["title"] == "Poster"
    assert jobs[poster]["state"] == "completed"
    assert jobs[poster]["folder"] == poster
    assert [file["name"] for file in jobs[poster]["files"]] == ["input.pdf"]
    assert [(f["name"], f["kind"], f["size"]) for f in jobs[flyer]["files"]] == [
        ("input.pdf", "input", len(PDF)),
        ("model.json", "model", 12),
        ("support/logo.png", "support", 9),
    ]
    assert set(jobs[flyer]) == {"id", "title", "state", "created_at", "updated_at", "folder", "files"}


def test_a_customer_without_jobs_gets_a_backup_of_the_profile(api: Api, queues: QueueRunner) -> None:
    export = finished(api, queues, request_backup(api, customer(api)))
    archive = zipfile.ZipFile(io.BytesIO(download(export).content))
    assert sorted(archive.namelist()) == ["jobs.json", "user-profile.json"]
    assert json.loads(archive.read("jobs.json")) == []
    assert json.loads(archive.read("user-profile.json"))["company"] is None


def test_a_job_without_files_still_has_its_folder(api: Api, queues: QueueRunner) -> None:
    anna = customer(api)
    empty = job(api, anna, title="Noch leer")["id"]
    archive = zipfile.ZipFile(io.BytesIO(download(finished(api, queues, request_backup(api, anna))).content))
    assert sorted(archive.namelist()) == sorted(["jobs.json", "user-profile.json", f"{empty}/"])
    assert archive.getinfo(f"{empty}/").is_dir()
    assert json.loads(archive.read("jobs.json"))[0]["folder"] == empty


def test_a_backup_that_fits_one_part_is_sent_in_one_put(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = customer(api)
    job_with_input(api, queues, anna, "flyer.pdf")
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    clients.s3().meta.events.register("before-call.s3", count)
    try:
        export = finished(api, queues, request_backup(api, anna))
    finally:
        clients.s3().meta.events.unregister("before-call.s3", count)
    assert export["status"] == "succeeded"
    assert "PutObject" in calls
    assert not {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"} & set(calls)
    response = download(export)
    assert response.headers["Content-Type"] == "application/zip"
    assert "Anna Beispiel.zip" in response.headers["Content-Disposition"]
    assert len(response.content) == export["progress"]["total_bytes"]


def test_a_job_file_gone_from_storage_fails_the_backup_at_once_with_a_reason(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = customer(api)
    flyer = job_with_input(api, queues, anna, "flyer.pdf")
    # GIVEN the stored file was removed behind the API's back (every version of it)
    bucket = aws.physical["JobFilesBucket"]
    for version in s3().list_object_versions(Bucket=bucket, Prefix=f"tenants/acme/jobs/{flyer}/")["Versions"]:
        s3().delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    export = finished(api, queues, request_backup(api, anna))
    assert export["status"] == "failed"
    assert export["error"]["code"] == "file_missing"
    assert f"input.pdf of job {flyer}" in export["error"]["message"]
    assert exported_objects(aws) == []
    assert open_uploads(aws) == []


def test_a_backup_larger_than_one_part_is_uploaded_in_parts_with_progress(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = customer(api)
    big = BIG_PDF
    flyer = job_with_input(api, queues, anna, "big.pdf", big)
    export_id = request_backup(api, anna)
    seen: list[tuple[str, int, int]] = []  # what GET /exports/{id} answered before each part

    def watch(model: Any, **_: Any) -> None:
        body = api.get(f"/exports/{export_id}").body
        seen.append((body["status"], body["progress"]["done_bytes"], body["progress"]["total_bytes"]))

    clients.s3().meta.events.register("before-call.s3.UploadPart", watch)
    try:
        export = finished(api, queues, export_id)
    finally:
        clients.s3().meta.events.unregister("before-call.s3.UploadPart", watch)
    assert export["status"] == "succeeded"
    total = export["progress"]["total_bytes"]
    # The walk: running from the first part on, the second part after the first one's bytes.
    assert seen == [("running", 0, total), ("running", 16 * 1024 * 1024, total)]
    assert export["progress"]["done_bytes"] == total
    archive = zipfile.ZipFile(io.BytesIO(download(export).content))
    assert archive.read(f"{flyer}/input.pdf") == big
    assert open_uploads(aws) == []


def test_backup_names_are_safe_for_file_systems_and_never_clash_in_storage(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    first = customer(api, name='Müller/Schulz: "Büro" <GmbH>', email="a@example.com")
    second = customer(api, name='Müller/Schulz: "Büro" <GmbH>', email="b@example.com")
    one = finished(api, queues, request_backup(api, first))
    two = finished(api, queues, request_backup(api, second))
    assert one["filename"] == two["filename"] == "MüllerSchulz Büro GmbH.zip"
    keys = exported_objects(aws)
    assert len(keys) == 2
    assert len(set(keys)) == 2
    archive = zipfile.ZipFile(io.BytesIO(download(two).content))
    assert json.loads(archive.read("user-profile.json"))["email"] == "b@example.com"


def test_a_customer_deleted_before_the_backup_runs_fails_it_with_a_reason(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = customer(api)
    export_id = request_backup(api, anna)
    # GIVEN the customer is deleted (the cascade), the export was queued before
    assert api.delete(f"/contacts/{anna}").status == 204
    queues.drain()
    from pforte.wiring import export_repository

    stored = export_repository().get("acme", export_id)
    assert stored is not None
    assert stored.status == "failed"
    assert stored.error is not None
    assert stored.error.code == "contact_gone"
    assert exported_objects(aws) == []
    assert open_uploads(aws) == []
    assert api.get(f"/exports/{export_id}").error_code == "not_found"  # gone with the customer


def test_deleting_the_customer_deletes_its_backups(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = customer(api)
    export_id = request_backup(api, anna)
    assert finished(api, queues, export_id)["status"] == "succeeded"
    assert len(exported_objects(aws)) == 1
    assert api.delete(f"/contacts/{anna}").status == 204
    assert exported_objects(aws) == []
    assert api.get(f"/exports/{export_id}").error_code == "not_found"


def test_a_failing_run_is_retried_and_the_last_failure_marks_the_export_failed_without_a_file(
    api: Api, queues: QueueRunner, aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = customer(api)
    job_with_input(api, queues, anna, "a.pdf")
    from pforte.aws.files import S3JobFiles

    attempts: list[int] = []

    def broken(self: Any, key: str, version_id: str | None) -> Any:
        attempts.append(1)
        raise ConnectionError("S3 went away")
        yield b""  # pragma: no cover - makes this a generator, as the real one is

    monkeypatch.setattr(S3JobFiles, "chunks", broken)
    monkeypatch.setattr("infra.local.queues.LOCAL_RETRY_SECONDS", 0)
    export_id = request_backup(api, anna)
    for _ in range(5):
        queues.drain()
    export = api.get(f"/exports/{export_id}").body
    assert len(attempts) == 3  # the queue's maxReceiveCount
    assert export["status"] == "failed"
    assert export["error"]["code"] == "internal_error"
    assert export.get("download_url") is None
    assert exported_objects(aws) == []
    assert open_uploads(aws) == []


def test_a_repeated_message_makes_nothing_twice(api: Api, queues: QueueRunner, aws: LocalResources) -> None:
    export_id = request_backup(api, customer(api))
    first = finished(api, queues, export_id)
    boto3.client("sqs", region_name="eu-central-1").send_message(
        QueueUrl=aws.physical["ExportsQueue"],
        MessageBody=json.dumps({"tenant_id": "acme", "export_id": export_id}),
    )
    again = finished(api, queues, export_id)
    assert again["status"] == "succeeded"
    assert again["updated_at"] == first["updated_at"]
    assert len(exported_objects(aws)) == 1


def test_exports_stay_in_their_tenant(api: Api, queues: QueueRunner) -> None:
    anna = customer(api)
    export_id = request_backup(api, anna)
    other = api.as_("globex")
    assert other.get(f"/exports/{export_id}").error_code == "not_found"
    assert other.post(f"/contacts/{anna}/backups").error_code == "not_found"
    assert api.get("/exports/01JAAAAAAAAAAAAAAAAAAAAAAA").error_code == "not_found"
    assert api.get("/exports/not-an-id").error_code == "not_found"
    assert api.post("/contacts/01JAAAAAAAAAAAAAAAAAAAAAAA/backups").error_code == "not_found"
    assert api.as_("acme", "operator").post(f"/contacts/{anna}/backups").status == 202


# --- the account CSV ---------------------------------------------------------------------------------


def export_accounts(api: Api, queues: QueueRunner, body: Any = None) -> tuple[dict[str, Any], bytes]:
    response = api.post("/contacts/exports", body if body is not None else {})
    assert response.status == 202, response.text
    export = finished(api, queues, response.body["export_id"])
    assert export["status"] == "succeeded", export
    assert export["kind"] == "accounts"
    return export, download(export).content


def rows(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens it as UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


HEADER = [
    "name",
    "email",
    "company",
    "language",
    "status",
    "invitation_sent_at",
    "terms_accepted_at",
    "created_at",
    # issue 11: the contact's new fields
    "phone",
    "customer_number",
]


def test_the_csv_has_one_row_per_contact_with_a_header_the_import_reads(
    api: Api, queues: QueueRunner
) -> None:
    customer(api, "Anna", "anna@example.com", company="Druck AG", language="en")
    customer(api, "Ben", "ben@example.com")
    export, data = export_accounts(api, queues)
    assert export["filename"].startswith("accounts-")
    assert export["filename"].endswith(".csv")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(HEADER)
    assert "\r\n" in text
    found = {row["email"]: row for row in rows(data)}
    assert set(found) == {"anna@example.com", "ben@example.com"}
    anna = found["anna@example.com"]
    assert (anna["name"], anna["company"], anna["language"], anna["status"]) == (
        "Anna",
        "Druck AG",
        "en",
        "not_registered",
    )
    assert anna["invitation_sent_at"] == anna["terms_accepted_at"] == ""
    assert anna["created_at"].endswith("Z")
    assert "password" not in text.lower()


def test_filters_and_options_combine_across_every_page(api: Api, queues: QueueRunner) -> None:
    csv_rows = "".join(
        f"Kunde {n},kunde{n}@example.com,{'Druck AG' if n % 2 else 'Other'}\r\n" for n in range(230)
    )
    assert import_csv(api, "name,email,company\r\n" + csv_rows).status == 200
    for status in ("active", "deactivated", "inactive"):
        contact_in(api, status, f"{status}@example.com")
    invited = customer(api, "Invited", "invited@example.com", company="Druck AG")
    assert api.post(f"/contacts/{invited}/activation-request").status == 202

    everyone = rows(export_accounts(api, queues)[1])
    assert len(everyone) == 230 + 3 + 1

    no_inactive = rows(export_accounts(api, queues, {"include_inactive": False})[1])
    assert {row["status"] for row in no_inactive} == {"not_registered", "active"}
    assert len(no_inactive) == 230 + 1 + 1

    sent = rows(export_accounts(api, queues, {"only_credentials_sent": True})[1])
    assert [row["email"] for row in sent] == ["invited@example.com"]
    assert sent[0]["invitation_sent_at"].endswith("Z")

    druck = rows(export_accounts(api, queues, {"filters": {"company": "druck ag"}})[1])
    assert len(druck) == 115 + 1
    druck_invited = rows(
        export_accounts(
            api, queues, {"filters": {"company": "Druck AG", "invited": False}, "only_credentials_sent": True}
        )[1]
    )
    assert druck_invited == []
    by_status = rows(
        export_accounts(api, queues, {"filters": {"status": "deactivated"}, "include_inactive": True})[1]
    )
    assert [row["email"] for row in by_status] == ["deactivated@example.com"]
    searched = rows(export_accounts(api, queues, {"filters": {"q": "kunde1"}})[1])
    assert {row["email"] for row in searched} == {
        f"kunde{n}@example.com" for n in range(230) if str(n).startswith("1")
    }


def test_semicolons_for_german_excel(api: Api, queues: QueueRunner) -> None:
    customer(api, "Anna; die Erste", "anna@example.com", company="Druck, Satz & Co")
    data = export_accounts(api, queues, {"delimiter": ";"})[1]
    assert data.decode("utf-8-sig").splitlines()[0] == ";".join(HEADER)
    (row,) = rows(data, ";")
    assert (row["name"], row["company"]) == ("Anna; die Erste", "Druck, Satz & Co")


FORMULAS = {
    '=HYPERLINK("http://evil")': '\'=HYPERLINK("http://evil")',
    "+49 30 1234": "'+49 30 1234",
    "-5 Rabatt": "'-5 Rabatt",
    "@SUM(A1)": "'@SUM(A1)",
    "'=already quoted": "''=already quoted",
    "'t Hooft": "'t Hooft",
    "Plain": "Plain",
}


def test_cells_a_spreadsheet_would_run_are_neutralised_and_the_import_restores_them(
    api: Api, queues: QueueRunner
) -> None:
    for number, (name, _) in enumerate(FORMULAS.items()):
        customer(api, name, f"+user{number}@example.com", company=name)
    data = export_accounts(api, queues, {"delimiter": ";"})[1]
    exported = rows(data, ";")
    assert {row["name"] for row in exported} == set(FORMULAS.values())
    assert {row["company"] for row in exported} == set(FORMULAS.values())
    assert {row["email"][0] for row in exported} == {"'"}  # +user… starts like a formula too

    # Imported into another tenant, the file gives the same names, emails and companies back.
    other = api.as_("globex")
    imported = import_csv(other, data)
    assert imported.status == 200, imported.text
    assert imported.body["imported"] == len(FORMULAS)
    copied = {(c["name"], c["email"], c["company"]) for c in other.get("/contacts", limit=100).body["items"]}
    original = {(c["name"], c["email"], c["company"]) for c in api.get("/contacts", limit=100).body["items"]}
    assert copied == original


@pytest.mark.parametrize(
    "body",
    [
        {"delimiter": "|"},
        {"include_inactive": "yes"},
        {"only_credentials_sent": 1},
        {"filters": {"status": "gone"}},
        {"filters": {"invited": "maybe"}},
        {"filters": {"q": "x" * 201}},
        {"filters": {"colour": "red"}},
        {"format": "xlsx"},
        [],
    ],
)
def test_bad_export_requests_are_a_422(api: Api, body: Any) -> None:
    response = api.post("/contacts/exports", body)
    assert (response.status, response.error_code) == (422, "validation_error")


def test_an_account_export_stays_in_its_tenant(api: Api, queues: QueueRunner) -> None:
    customer(api, "Anna", "anna@example.com")
    other = api.as_("globex")
    response = other.post("/contacts/exports", {})
    export = finished(other, queues, response.body["export_id"])
    assert rows(download(export).content) == []
    assert api.get(f"/exports/{response.body['export_id']}").error_code == "not_found"


@pytest.mark.parametrize(
    ("pdf", "last_call"), [(BIG_PDF, "CompleteMultipartUpload"), (PDF, "PutObject")], ids=["parts", "one put"]
)
def test_a_run_that_fails_midway_leaves_no_half_object(
    api: Api, queues: QueueRunner, aws: LocalResources, pdf: bytes, last_call: str
) -> None:
    # A failing upload is discarded: no parts linger, no object appears.
    anna = customer(api)
    job_with_input(api, queues, anna, "a.pdf", pdf)

    def refuse(**_: Any) -> None:
        raise ConnectionError("network down")

    clients.s3().meta.events.register(f"before-call.s3.{last_call}", refuse)
    try:
        export_id = request_backup(api, anna)
        queues.drain()
    finally:
        clients.s3().meta.events.unregister(f"before-call.s3.{last_call}", refuse)
    assert api.get(f"/exports/{export_id}").body["status"] in ("running", "pending")
    assert open_uploads(aws) == []
    assert exported_objects(aws) == []


def test_an_account_export_needs_no_body(api: Api, queues: QueueRunner) -> None:
    customer(api, "Anna", "anna@example.com")
    response = api.request("POST", "/contacts/exports")
    assert response.status == 202, response.text
    export = finished(api, queues, response.body["export_id"])
    assert [row["email"] for row in rows(download(export).content)] == ["anna@example.com"]


def test_the_backups_profile_carries_the_phone_and_customer_number_when_given(
    api: Api, queues: QueueRunner
) -> None:
    contact_id = customer(api)
    changed = api.patch(f"/contacts/{contact_id}", {"phone": "+41 44 668 18 00", "customer_number": "K-77"})
    assert changed.status == 200
    export = finished(api, queues, request_backup(api, contact_id))
    profile = json.loads(zipfile.ZipFile(io.BytesIO(download(export).content)).read("user-profile.json"))
    assert (profile["phone"], profile["customer_number"]) == ("+41446681800", "K-77")
