"""Activities: notes and hints on a contact, with a file that goes up by presigned POST straight to
S3 (moto) and is checked by its content on arrival (S3 notification → SQS → file worker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from infra.local.provision import LocalResources
from infra.local.queues import QueueRunner
from pforte.activities.service import MAX_ATTACHMENT_BYTES, MAX_TEXT_CHARS
from tests import samples
from tests.api.conftest import Api, fail_once, post_form, s3
from tests.api.test_jobs import contact


def note(
    api: Api, contact_id: str, kind: str = "note", text: str = "Called, wants a quote", **extra: Any
) -> dict[str, Any]:
    created = api.post(f"/contacts/{contact_id}/activities", {"kind": kind, "text": text, **extra})
    assert created.status == 201, created.text
    return dict(created.body)


def with_file(
    api: Api, contact_id: str, filename: str, data: bytes, size: int | None = None
) -> dict[str, Any]:
    created = note(api, contact_id, attachment={"filename": filename, "size": size or len(data)})
    post_form(created, data, filename)
    return created


def activity(api: Api, contact_id: str, activity_id: str) -> dict[str, Any]:
    found = api.get(f"/contacts/{contact_id}/activities/{activity_id}")
    assert found.status == 200, found.text
    return dict(found.body)


def objects_of(aws: LocalResources, contact_id: str) -> list[str]:
    listed = s3().list_object_versions(
        Bucket=aws.physical["JobFilesBucket"], Prefix=f"tenants/acme/contacts/{contact_id}/"
    )
    return [item["Key"] for item in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]]


def partition_of(aws: LocalResources, contact_id: str) -> list[dict[str, Any]]:
    found = boto3.client("dynamodb", region_name="eu-central-1").query(
        TableName=aws.physical["Table"],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TENANT#acme#CONTACT#{contact_id}"}},
    )
    return list(found["Items"])


def summary_count(api: Api, contact_id: str) -> int:
    return int(api.get(f"/contacts/{contact_id}/summary").body["activities"])


# --- notes and hints ------------------------------------------------------------------------------


def test_a_note_records_its_author_and_time_and_is_counted(api: Api) -> None:
    anna = contact(api)
    created = note(api, anna, text="Prefers mail over phone")
    assert created["kind"] == "note"
    assert created["text"] == "Prefers mail over phone"
    assert created["author_id"] == api.claims["sub"]  # type: ignore[index]
    assert created["created_at"].endswith("Z")
    assert created["attachment"] is None
    assert created["upload"] is None
    assert activity(api, anna, created["id"])["text"] == "Prefers mail over phone"
    assert summary_count(api, anna) == 1


def test_an_operator_may_read_write_and_delete_activities(api: Api) -> None:
    anna = contact(api)
    operator = api.as_(role="operator")
    created = note(operator, anna, kind="hint", text="VIP")
    assert operator.get(f"/contacts/{anna}/activities").body["items"][0]["id"] == created["id"]
    assert operator.delete(f"/contacts/{anna}/activities/{created['id']}").status == 204
    assert operator.get(f"/contacts/{anna}/activities/{created['id']}").status == 404
    assert summary_count(api, anna) == 0


def test_another_tenants_contact_and_activities_are_not_found(api: Api) -> None:
    anna = contact(api)
    created = note(api, anna)
    other = api.as_("globex")
    assert other.get(f"/contacts/{anna}/activities").error_code == "not_found"
    assert other.post(f"/contacts/{anna}/activities", {"kind": "note", "text": "x"}).status == 404
    assert other.get(f"/contacts/{anna}/activities/{created['id']}").status == 404
    assert other.delete(f"/contacts/{anna}/activities/{created['id']}").status == 404
    # AND nothing changed for the owner
    assert activity(api, anna, created["id"])["text"] == created["text"]
    assert summary_count(api, anna) == 1


def test_unknown_contacts_and_activities_are_not_found(api: Api) -> None:
    anna = contact(api)
    assert api.get("/contacts/01J00000000000000000000000/activities").status == 404
    assert api.post("/contacts/not-an-id/activities", {"kind": "note", "text": "x"}).status == 404
    assert api.get(f"/contacts/{anna}/activities/not-an-id").status == 404
    assert api.delete(f"/contacts/{anna}/activities/01J00000000000000000000000").status == 404


def test_a_customer_or_anonymous_caller_may_not_touch_activities(api: Api) -> None:
    anna = contact(api)
    note(api, anna)
    assert api.as_customer(anna).get(f"/contacts/{anna}/activities").status in (401, 403)
    assert api.anonymous().post(f"/contacts/{anna}/activities", {"kind": "note", "text": "x"}).status == 401


def test_hints_come_before_notes_each_newest_first(api: Api) -> None:
    anna = contact(api)
    first_note = note(api, anna, text="note 1")["id"]
    first_hint = note(api, anna, kind="hint", text="hint 1")["id"]
    second_note = note(api, anna, text="note 2")["id"]
    second_hint = note(api, anna, kind="hint", text="hint 2")["id"]
    listed = api.get(f"/contacts/{anna}/activities").body
    assert [item["id"] for item in listed["items"]] == [second_hint, first_hint, second_note, first_note]
    assert listed["next_cursor"] is None
    hints = api.get(f"/contacts/{anna}/activities", kind="hint").body["items"]
    assert [item["id"] for item in hints] == [second_hint, first_hint]
    notes = api.get(f"/contacts/{anna}/activities", kind="note").body["items"]
    assert [item["id"] for item in notes] == [second_note, first_note]


def test_pages_are_bounded_and_continue_across_hints_and_notes(api: Api) -> None:
    anna = contact(api)
    ids = [
        note(api, anna, kind="hint" if index < 3 else "note", text=f"n{index}")["id"] for index in range(7)
    ]
    expected = [*reversed(ids[:3]), *reversed(ids[3:])]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/contacts/{anna}/activities", **query)
        assert page.status == 200, page.text
        assert len(page.body["items"]) <= 2
        seen += [item["id"] for item in page.body["items"]]
        pages += 1
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 4
    # A kind's list pages within that kind.
    first = api.get(f"/contacts/{anna}/activities", kind="note", limit=3).body
    rest = api.get(f"/contacts/{anna}/activities", kind="note", limit=3, cursor=first["next_cursor"]).body
    assert [item["id"] for item in first["items"] + rest["items"]] == list(reversed(ids[3:]))
    assert rest["next_cursor"] is None


def test_bad_cursors_limits_and_kinds_are_422(api: Api) -> None:
    anna = contact(api)
    for query in (
        {"cursor": "garbage"},
        {"cursor": "hbm90LWEtY3Vyc29y"},
        {"limit": 0},
        {"limit": 201},
        {"kind": "memo"},
    ):
        answered = api.get(f"/contacts/{anna}/activities", **query)
        assert answered.status == 422, (query, answered.text)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "note", "text": ""},
        {"kind": "note", "text": "   \n "},
        {"kind": "note", "text": "x" * (MAX_TEXT_CHARS + 1)},
        {"kind": "memo", "text": "x"},
        {"text": "x"},
        {"kind": "note", "text": "x", "author_id": "someone-else"},
        {"kind": "note", "text": "x", "attachment": {"filename": "a.pdf"}},
        {"kind": "note", "text": "x", "attachment": {"filename": "", "size": 10}},
        {"kind": "note", "text": "x", "attachment": {"filename": "a.pdf", "size": 0}},
    ],
)
def test_invalid_activities_are_422_and_store_nothing(api: Api, body: dict[str, Any]) -> None:
    anna = contact(api)
    answered = api.post(f"/contacts/{anna}/activities", body)
    assert answered.status == 422, answered.text
    assert api.get(f"/contacts/{anna}/activities").body["items"] == []
    assert summary_count(api, anna) == 0


def test_the_longest_text_is_taken(api: Api) -> None:
    anna = contact(api)
    created = note(api, anna, text="ä" * MAX_TEXT_CHARS)
    assert len(activity(api, anna, created["id"])["text"]) == MAX_TEXT_CHARS


def test_an_announced_file_above_800_kb_is_refused(api: Api) -> None:
    anna = contact(api)
    too_large = {"filename": "scan.pdf", "size": MAX_ATTACHMENT_BYTES + 1}
    answered = api.post(
        f"/contacts/{anna}/activities", {"kind": "note", "text": "x", "attachment": too_large}
    )
    assert answered.status == 422
    assert answered.body["error"]["details"][0]["field"].startswith("attachment.size")
    assert summary_count(api, anna) == 0
    largest = {"filename": "scan.pdf", "size": MAX_ATTACHMENT_BYTES}
    created = note(api, anna, attachment=largest)
    assert created["attachment"]["size"] == MAX_ATTACHMENT_BYTES
    assert created["upload"]["url"]
    assert created["upload_expires_at"].endswith("Z")


def test_deleting_twice_counts_once(api: Api) -> None:
    anna = contact(api)
    created = note(api, anna)
    note(api, anna)
    assert api.delete(f"/contacts/{anna}/activities/{created['id']}").status == 204
    assert api.delete(f"/contacts/{anna}/activities/{created['id']}").status == 404
    assert summary_count(api, anna) == 1


# --- attachments ----------------------------------------------------------------------------------


def test_a_pdf_is_stored_with_a_download_link_of_the_detected_type(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = contact(api)
    data = samples.pdf()
    created = with_file(api, anna, "Angebot März.pdf", data)
    assert created["attachment"]["status"] == "pending"
    assert created["attachment"]["download_url"] is None
    fields = created["upload"]["fields"]
    assert fields["key"] == f"tenants/acme/contacts/{anna}/attachments/{created['id']}"

    queues.drain()

    stored = activity(api, anna, created["id"])["attachment"]
    assert stored["status"] == "stored"
    assert stored["content_type"] == "application/pdf"
    assert stored["size"] == len(data)
    assert stored["problem"] is None
    download = requests.get(stored["download_url"], timeout=10)
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Angebot%20M%C3%A4rz.pdf" in download.headers["Content-Disposition"]
    listed = api.get(f"/contacts/{anna}/activities").body["items"][0]["attachment"]
    assert listed["status"] == "stored"
    assert listed["download_url"]


@pytest.mark.parametrize("extension", sorted(samples.ALLOWED))
def test_each_allowed_type_is_stored_as_its_content_says(
    api: Api, queues: QueueRunner, extension: str
) -> None:
    make, content_type = samples.ALLOWED[extension]
    anna = contact(api)
    data = make()
    # The name says nothing: every file is called .bin.
    created = with_file(api, anna, "file.bin", data)
    queues.drain()
    stored = activity(api, anna, created["id"])["attachment"]
    assert (stored["status"], stored["content_type"]) == ("stored", content_type), stored["problem"]
    download = requests.get(stored["download_url"], timeout=10)
    assert download.headers["Content-Type"] == content_type
    assert download.content == data


DISGUISED: dict[str, tuple[str, Callable[[], bytes]]] = {
    "program named .pdf": ("invoice.pdf", samples.exe),
    "web page named .pdf": ("invoice.pdf", samples.html),
    "zip named .docx": ("contract.docx", samples.plain_zip),
    "truncated pdf": ("scan.pdf", lambda: samples.pdf()[:40]),
}


@pytest.mark.parametrize("case", sorted(DISGUISED))
def test_a_disguised_file_is_rejected_with_its_reason_and_removed(
    api: Api, queues: QueueRunner, aws: LocalResources, case: str
) -> None:
    filename, make = DISGUISED[case]
    anna = contact(api)
    created = with_file(api, anna, filename, make())
    queues.drain()
    rejected = activity(api, anna, created["id"])["attachment"]
    assert rejected["status"] == "rejected"
    assert rejected["problem"]["code"] in ("type_not_allowed", "not_a_pdf")
    assert rejected["problem"]["message"]
    assert rejected["download_url"] is None
    assert rejected["content_type"] is None
    assert [key for key in objects_of(aws, anna) if not key.endswith("/")] == []  # no version left
    # AND the note itself stays
    assert activity(api, anna, created["id"])["text"] == created["text"]


def test_a_file_larger_than_announced_is_rejected_on_arrival(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    # moto does not enforce the form's size limit; the worker does.
    anna = contact(api)
    data = samples.pdf()
    created = with_file(api, anna, "scan.pdf", data + b"\n" * 100, size=len(data))
    queues.drain()
    rejected = activity(api, anna, created["id"])["attachment"]
    assert rejected["status"] == "rejected"
    assert rejected["problem"]["code"] == "file_too_large"
    assert objects_of(aws, anna) == []


def test_a_file_above_800_kb_is_rejected_on_arrival(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = contact(api)
    data = samples.pdf()
    large = data[:-6] + b" " * (MAX_ATTACHMENT_BYTES + 1 - len(data)) + data[-6:]
    created = with_file(api, anna, "scan.pdf", large, size=MAX_ATTACHMENT_BYTES)
    queues.drain()
    assert activity(api, anna, created["id"])["attachment"]["problem"]["code"] == "file_too_large"
    assert objects_of(aws, anna) == []


def test_a_second_post_of_the_form_is_removed_and_the_stored_file_stays(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = contact(api)
    created = with_file(api, anna, "a.png", samples.png())
    queues.drain()
    post_form(created, samples.exe(), "a.png")
    queues.drain()
    stored = activity(api, anna, created["id"])["attachment"]
    assert stored["status"] == "stored"
    assert requests.get(stored["download_url"], timeout=10).content == samples.png()
    assert len(objects_of(aws, anna)) == 1


def test_deleting_an_activity_removes_its_file(api: Api, queues: QueueRunner, aws: LocalResources) -> None:
    anna = contact(api)
    created = with_file(api, anna, "a.png", samples.png())
    queues.drain()
    assert objects_of(aws, anna)
    assert api.delete(f"/contacts/{anna}/activities/{created['id']}").status == 204
    assert objects_of(aws, anna) == []
    assert summary_count(api, anna) == 0


def test_a_file_arriving_after_its_activity_was_deleted_is_removed(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = contact(api)
    created = note(api, anna, attachment={"filename": "a.png", "size": len(samples.png())})
    assert api.delete(f"/contacts/{anna}/activities/{created['id']}").status == 204
    post_form(created, samples.png(), "a.png")
    queues.drain()
    assert objects_of(aws, anna) == []


def test_deleting_the_contact_removes_its_activities_and_their_files(
    api: Api, queues: QueueRunner, aws: LocalResources
) -> None:
    anna = contact(api)
    kept = contact(api, "ben@example.com")
    for index in range(3):
        with_file(api, anna, f"scan-{index}.pdf", samples.pdf())
    other = with_file(api, kept, "scan.pdf", samples.pdf())
    queues.drain()
    assert len(objects_of(aws, anna)) == 3
    assert len([item for item in partition_of(aws, anna) if item["SK"]["S"].startswith("ACTIVITY#")]) == 3

    assert api.delete(f"/contacts/{anna}").status == 204
    queues.drain()

    assert objects_of(aws, anna) == []
    assert api.get(f"/contacts/{anna}/activities").status == 404
    assert partition_of(aws, anna) == []  # its activities and its counters went with it
    # AND another contact's files stay
    assert activity(api, kept, other["id"])["attachment"]["status"] == "stored"
    assert len(objects_of(aws, kept)) == 1


def test_attachments_a_failed_clean_up_left_are_removed_by_the_queue(
    api: Api, queues: QueueRunner, aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pforte.aws.files import S3JobFiles

    anna = contact(api)
    with_file(api, anna, "scan.pdf", samples.pdf())
    queues.drain()
    calls = fail_once(monkeypatch, S3JobFiles, "delete_of_contact")
    assert api.delete(f"/contacts/{anna}").status == 204
    assert len(objects_of(aws, anna)) == 1  # S3 failed: the file is still there

    queues.drain()

    assert objects_of(aws, anna) == []
    assert calls["n"] == 2


def test_an_attachments_name_keeps_no_path(api: Api) -> None:
    contact_id = contact(api)
    created = note(api, contact_id, attachment={"filename": "../../etc/passwd", "size": 10})
    assert created["attachment"]["filename"] == "etcpasswd"  # separators and dots taken out
    created = note(api, contact_id, attachment={"filename": "..", "size": 10})
    assert created["attachment"]["filename"] == "attachment"
