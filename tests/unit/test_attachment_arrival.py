"""An attachment's arrival on in-memory fakes: kept only as the pending upload it claims to be,
checked by its content, and idempotent for a repeated notification."""

from __future__ import annotations

from pforte.activities.service import Activity, ActivityKind, Attachment, attachment_key, receive_attachment
from pforte.core.clock import new_id, utcnow
from pforte.jobs.service import FileStatus
from tests import samples
from tests.fakes import InMemoryActivities, InMemoryAttachmentFiles, StoredFile


def pending(activities: InMemoryActivities) -> Activity:
    activity = Activity(
        id=new_id(),
        tenant_id="acme",
        contact_id=new_id(),
        kind=ActivityKind.NOTE,
        text="Scan attached",
        author_id="staff-1",
        created_at=utcnow(),
        attachment=Attachment(filename="scan.png", size=1000, upload_id=new_id(), requested_at=utcnow()),
    )
    activities.add(activity)
    return activity


def arrive(
    files: InMemoryAttachmentFiles, activity: Activity, data: bytes, upload_id: str | None = None
) -> str:
    key = attachment_key(activity.tenant_id, activity.contact_id, activity.id)
    assert activity.attachment is not None
    files.objects[key] = StoredFile(data, upload_id or activity.attachment.upload_id, new_id())
    return key


def test_a_repeated_notification_of_the_stored_file_changes_nothing() -> None:
    activities, files = InMemoryActivities(), InMemoryAttachmentFiles()
    activity = pending(activities)
    key = arrive(files, activity, samples.png())
    assert receive_attachment(activities, files, key, None) == "stored"
    stored = activities.items[activity.id].attachment
    assert stored is not None
    assert (stored.status, stored.content_type) == (FileStatus.STORED, "image/png")

    assert receive_attachment(activities, files, key, None) == "ignored"

    assert activities.items[activity.id].attachment == stored
    assert key in files.objects
    assert files.removed == []


def test_an_object_nobody_admitted_is_removed_and_the_attachment_stays_pending() -> None:
    activities, files = InMemoryActivities(), InMemoryAttachmentFiles()
    activity = pending(activities)
    key = arrive(files, activity, samples.png(), upload_id="someone-else")
    assert receive_attachment(activities, files, key, None) == "removed"
    assert key not in files.objects
    attachment = activities.items[activity.id].attachment
    assert attachment is not None
    assert attachment.status is FileStatus.PENDING


def test_a_rejected_file_is_removed_and_the_reason_kept() -> None:
    activities, files = InMemoryActivities(), InMemoryAttachmentFiles()
    activity = pending(activities)
    key = arrive(files, activity, samples.exe())
    assert receive_attachment(activities, files, key, None) == "rejected"
    assert key not in files.objects
    attachment = activities.items[activity.id].attachment
    assert attachment is not None
    assert attachment.status is FileStatus.REJECTED
    assert attachment.problem is not None
    assert attachment.problem.code == "type_not_allowed"


def test_other_keys_and_vanished_objects_are_not_attachments_to_check() -> None:
    activities, files = InMemoryActivities(), InMemoryAttachmentFiles()
    assert receive_attachment(activities, files, "tenants/acme/jobs/J/input.pdf", None) is None
    activity = pending(activities)
    key = attachment_key(activity.tenant_id, activity.contact_id, activity.id)
    assert receive_attachment(activities, files, key, None) == "ignored"
