"""A contact's activities: notes and hints (a hint is a note shown first), each with an optional
file that goes up by presigned POST and is checked by its content on arrival.

An attachment is pending until it arrives, then stored (with the type its bytes were found to be)
or rejected (removed again; the activity says why). Attachments live below the contact's own
prefix (`contacts.service.contact_files_prefix`), so the contact's clean-up removes them all.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Protocol

from pydantic import AfterValidator, ConfigDict, Field, StrictInt

from pforte.contacts.service import ContactRepository, contact_files_prefix, get_contact
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.errors import must_exist, not_found, validation_error
from pforte.core.fields import Timestamp, safe_filename
from pforte.core.identity import Actor
from pforte.core.model import Model
from pforte.core.pagination import Page, decode_cursor, encode_cursor
from pforte.core.uploads import UploadForm
from pforte.jobs.files import UPLOAD_LINK_SECONDS, FileStorage, UploadFilename, checked
from pforte.jobs.service import ContactGone, FileProblem, FileStatus

MAX_TEXT_CHARS = 10_000
MAX_ATTACHMENT_BYTES = 800 * 1024
DOWNLOAD_SECONDS = 3600
# The form's declared type; what the file is gets decided by its bytes on arrival.
UPLOAD_CONTENT_TYPE = "application/octet-stream"


class ActivityKind(StrEnum):
    NOTE = "note"
    HINT = "hint"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("The text must not be blank.")
    return value


class AttachmentRequest(Model):
    model_config = ConfigDict(extra="forbid")

    filename: UploadFilename
    size: Annotated[
        StrictInt, Field(ge=1, le=MAX_ATTACHMENT_BYTES, description="Bytes; the upload may not be larger")
    ]


class ActivityCreate(Model):
    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_not_blank)]
    attachment: AttachmentRequest | None = None


class Attachment(Model):
    """The file of an activity, from the admitted upload on."""

    filename: str  # as the uploader called it: the download's name
    size: int  # announced while pending, as arrived afterwards
    status: FileStatus = FileStatus.PENDING
    upload_id: str
    requested_at: datetime
    stored_at: datetime | None = None
    version_id: str | None = None  # the S3 object version that was checked
    content_type: str | None = None  # as detected from the bytes
    problem: FileProblem | None = None


class Activity(Model):
    model_config = ConfigDict(extra="forbid")

    id: str
    tenant_id: str
    contact_id: str
    kind: ActivityKind
    text: str
    author_id: str  # the staff user who wrote it
    created_at: datetime
    attachment: Attachment | None = None


class AttachmentOut(Model):
    filename: str
    size: int
    status: FileStatus
    content_type: str | None = Field(description="The type found in the file's bytes (once stored)")
    problem: FileProblem | None = Field(description="Why the file was rejected and removed")
    download_url: str | None = Field(description="A link that saves the stored file (valid an hour)")
    expires_at: Timestamp | None = Field(description="When the download link stops working")


class ActivityOut(Model):
    id: str
    kind: ActivityKind
    text: str
    author_id: str
    created_at: Timestamp
    attachment: AttachmentOut | None


class CreatedActivity(ActivityOut):
    """The new activity; with an announced attachment, where and how to upload it (a
    multipart/form-data POST of `upload.fields` and then the file to `upload.url`, at most
    `attachment.size` bytes)."""

    upload: UploadForm | None = Field(description="Present when an attachment was announced")
    upload_expires_at: Timestamp | None = Field(description="When the upload form stops working")


class ActivityPage(Model):
    items: list[ActivityOut]
    next_cursor: str | None


def attachment_key(tenant_id: str, contact_id: str, activity_id: str) -> str:
    return f"{contact_files_prefix(tenant_id, contact_id)}attachments/{activity_id}"


def parse_attachment_key(key: str) -> tuple[str, str, str] | None:
    """(tenant, contact, activity) of an attachment's object key; None for anything else."""
    parts = key.split("/")
    if len(parts) != 6 or parts[0] != "tenants" or parts[2] != "contacts" or parts[4] != "attachments":
        return None
    if not (is_id(parts[3]) and is_id(parts[5])):
        return None
    return parts[1], parts[3], parts[5]


# --- cursors: a page of all kinds continues among the hints or among the notes ------------------
# The core cursor (of an id) with the kind of the last item before it: `h…` or `n…`.

_CURSOR_KINDS = {kind.value[0]: kind for kind in ActivityKind}


def encode_position(after: Activity | None) -> str | None:
    if after is None:
        return None
    return f"{after.kind.value[0]}{encode_cursor(after.id)}"


def decode_position(cursor: str | None) -> tuple[ActivityKind, str] | None:
    """The kind and id a page continues after; a cursor that is not one of ours is a 422."""
    if not cursor:
        return None
    kind = _CURSOR_KINDS.get(cursor[0])
    after = decode_cursor(cursor[1:]) if kind is not None else None
    if kind is None or after is None:
        raise validation_error("cursor", "This cursor is not valid.")
    return kind, after


# --- ports ----------------------------------------------------------------------------------------


class ActivityRepository(Protocol):
    def add(self, activity: Activity) -> None:
        """Store the activity and count it, if its contact is still there (ContactGone
        otherwise)."""

    def get(self, tenant_id: str, contact_id: str, activity_id: str) -> Activity | None: ...

    def page(
        self,
        tenant_id: str,
        contact_id: str,
        kind: ActivityKind | None,
        after: tuple[ActivityKind, str] | None,
        limit: int,
    ) -> Page[Activity]:
        """Hints before notes, each newest first (only `kind` when given), after the position."""

    def remove(self, activity: Activity) -> bool:
        """Delete the activity and uncount it; False if it was gone already."""

    def settle(self, activity: Activity, attachment: Attachment) -> bool:
        """Record the outcome of the pending attachment; False if it is no longer pending (or the
        activity is gone)."""


class AttachmentFiles(FileStorage, Protocol):
    def download_url(
        self, key: str, version_id: str | None, filename: str, seconds: int, content_type: str | None = None
    ) -> str: ...

    def remove_all(self, key: str) -> None:
        """Every version of the object `key`; nothing to do once it is gone."""


# --- services -------------------------------------------------------------------------------------


def _attachment_out(files: AttachmentFiles, activity: Activity) -> AttachmentOut | None:
    attachment = activity.attachment
    if attachment is None:
        return None
    url = expires = None
    if attachment.status is FileStatus.STORED:
        # Saved under the uploader's name, with the type its bytes were found to be.
        url = files.download_url(
            attachment_key(activity.tenant_id, activity.contact_id, activity.id),
            attachment.version_id,
            attachment.filename,
            DOWNLOAD_SECONDS,
            attachment.content_type,
        )
        expires = utcnow() + timedelta(seconds=DOWNLOAD_SECONDS)
    return AttachmentOut(
        filename=attachment.filename,
        size=attachment.size,
        status=attachment.status,
        content_type=attachment.content_type,
        problem=attachment.problem,
        download_url=url,
        expires_at=expires,
    )


def _out(files: AttachmentFiles, activity: Activity) -> ActivityOut:
    return ActivityOut(
        id=activity.id,
        kind=activity.kind,
        text=activity.text,
        author_id=activity.author_id,
        created_at=activity.created_at,
        attachment=_attachment_out(files, activity),
    )


def create_activity(
    activities: ActivityRepository,
    contacts: ContactRepository,
    files: AttachmentFiles,
    actor: Actor,
    contact_id: str,
    request: ActivityCreate,
) -> CreatedActivity:
    """A note or hint by the signed-in staff member; with an announced attachment, the signed
    upload for it (checked by its content once it arrives)."""
    contact = get_contact(contacts, actor, contact_id)
    now = utcnow()
    attachment = None
    if request.attachment is not None:
        attachment = Attachment(
            # The name it is downloaded under: no path, nothing a file system refuses.
            filename=safe_filename(request.attachment.filename, fallback="attachment"),
            size=request.attachment.size,
            upload_id=new_id(),
            requested_at=now,
        )
    activity = Activity(
        id=new_id(),
        tenant_id=actor.tenant_id,
        contact_id=contact.id,
        kind=request.kind,
        text=request.text,
        author_id=actor.user_id,
        created_at=now,
        attachment=attachment,
    )
    try:
        activities.add(activity)
    except ContactGone:
        raise not_found("Contact") from None
    upload = expires = None
    if attachment is not None:
        form = files.presigned_post(
            attachment_key(activity.tenant_id, activity.contact_id, activity.id),
            attachment.size,
            UPLOAD_CONTENT_TYPE,
            {"upload-id": attachment.upload_id},
        )
        upload = UploadForm(url=form["url"], fields=form["fields"])
        expires = now + timedelta(seconds=UPLOAD_LINK_SECONDS)
    return CreatedActivity(**_out(files, activity).model_dump(), upload=upload, upload_expires_at=expires)


def get_activity(
    activities: ActivityRepository,
    contacts: ContactRepository,
    files: AttachmentFiles,
    actor: Actor,
    contact_id: str,
    activity_id: str,
) -> ActivityOut:
    return _out(files, _find(activities, contacts, actor, contact_id, activity_id))


def _find(
    activities: ActivityRepository,
    contacts: ContactRepository,
    actor: Actor,
    contact_id: str,
    activity_id: str,
) -> Activity:
    contact = get_contact(contacts, actor, contact_id)
    found = activities.get(actor.tenant_id, contact.id, activity_id) if is_id(activity_id) else None
    return must_exist(found, "Activity")


def list_activities(
    activities: ActivityRepository,
    contacts: ContactRepository,
    files: AttachmentFiles,
    actor: Actor,
    contact_id: str,
    kind: ActivityKind | None,
    cursor: str | None,
    limit: int,
) -> ActivityPage:
    """Hints first, then notes, each newest first; one bounded page."""
    contact = get_contact(contacts, actor, contact_id)
    position = decode_position(cursor)
    if kind is not None and position is not None and position[0] is not kind:
        raise validation_error("cursor", "This cursor belongs to another list.")
    page = activities.page(actor.tenant_id, contact.id, kind, position, limit)
    last = page.items[-1] if page.after is not None and page.items else None
    return ActivityPage(items=[_out(files, item) for item in page.items], next_cursor=encode_position(last))


def delete_activity(
    activities: ActivityRepository,
    contacts: ContactRepository,
    files: AttachmentFiles,
    actor: Actor,
    contact_id: str,
    activity_id: str,
) -> None:
    """Delete the activity and its file (every version of it, whatever its status)."""
    activity = _find(activities, contacts, actor, contact_id, activity_id)
    if not activities.remove(activity):
        raise not_found("Activity")
    if activity.attachment is not None:
        files.remove_all(attachment_key(activity.tenant_id, activity.contact_id, activity.id))


def receive_attachment(
    activities: ActivityRepository,
    files: AttachmentFiles,
    key: str,
    version_id: str | None,
    etag: str | None = None,
) -> str | None:
    """An object arrived below a contact's attachments. It stays only as the pending attachment it
    claims to be (its signed upload id), within the announced size and the limit, and of an
    allowed type by its content; anything else is removed again (a checked attachment says why).
    Idempotent: a repeated notification of the stored version changes nothing."""
    from pforte.activities.content import Detected, detect

    parsed = parse_attachment_key(key)
    if parsed is None:
        return None
    tenant_id, contact_id, activity_id = parsed
    found = files.head(key, version_id, etag)
    if found is None:
        return "ignored"  # removed meanwhile: nothing to check
    activity = activities.get(tenant_id, contact_id, activity_id)
    attachment = activity.attachment if activity is not None else None
    if (
        activity is None
        or attachment is None
        or found.upload_id != attachment.upload_id
        or attachment.status is not FileStatus.PENDING
    ):
        if (
            attachment is not None
            and attachment.status is FileStatus.STORED
            and attachment.version_id == found.version_id
        ):
            return "ignored"  # the stored file, notified again
        files.remove(key, found.version_id)  # not admitted, or its admission was used already
        return "removed"
    problem: FileProblem | None = None
    content_type: str | None = None
    limit = min(attachment.size, MAX_ATTACHMENT_BYTES)
    if found.size > limit:
        problem = FileProblem(
            code="file_too_large", message=f"The file has {found.size} bytes; at most {limit} were admitted."
        )
    elif found.size == 0:
        problem = FileProblem(code="empty_file", message="The file is empty.")
    else:
        decided = detect(files.read_range(key, found.version_id, 0, found.size - 1))
        if isinstance(decided, Detected):
            content_type = decided.content_type
        else:
            problem = decided
    settled = checked(files, key, attachment, found, problem, content_type=content_type)
    if not activities.settle(activity, settled):
        return "ignored"  # settled by a concurrent delivery, or the activity went meanwhile
    return settled.status.value
