"""A job's files: admitting an upload (a presigned POST capped at the admitted size), and checking
what arrives (size and content) before the job counts it as stored.

Files live under the job's prefix: `input.pdf`, `model.json`, `support/<filename>`. Each file of a
job has an entry on the job: pending (upload admitted), stored (arrived and checked) or rejected
(removed again; the entry says why).
"""

import json
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, StrictInt

from pforte.core.clock import new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode, FieldError, not_found
from pforte.core.fields import Timestamp, safe_filename
from pforte.core.identity import Actor
from pforte.core.model import Model
from pforte.core.uploads import UploadForm
from pforte.jobs.service import FileKind, FileProblem, FileStatus, JobFile, JobRepository, get_job

# S3 takes at most 5 GB in one POST upload.
MAX_FILE_BYTES = 5 * 1024**3
# The model is parsed on arrival: a bound keeps that check within the worker's memory.
MAX_MODEL_BYTES = 16 * 1024 * 1024
MAX_SUPPORT_FILES = 20
UPLOAD_LINK_SECONDS = 3600
# How much of a PDF's head and tail is read to recognise it: readers accept the header within the
# first 1024 bytes and look for the end-of-file marker in the last ones.
PDF_PROBE_BYTES = 1024


_CONTENT_TYPES = {
    FileKind.INPUT: "application/pdf",
    FileKind.MODEL: "application/json",
    FileKind.SUPPORT: "application/octet-stream",
}


def _printable(value: str) -> str:
    # Control and format characters are refused; any kind of space (macOS puts a narrow
    # no-break space in screenshot names) is fine.
    if not value.strip() or any(unicodedata.category(char)[0] == "C" for char in value):
        raise ValueError("The file name must be printable text.")
    return value.strip()


# A file's name as the uploader gives it (cleaned for storage separately).
UploadFilename = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_printable)]


class FileUploadRequest(Model):
    model_config = ConfigDict(extra="forbid")

    kind: FileKind
    filename: UploadFilename
    size: Annotated[StrictInt, Field(ge=1, description="Bytes; the upload may not be larger")]


class FileUpload(Model):
    """Where and how to upload one admitted file (a multipart/form-data POST to `upload.url`)."""

    name: str
    kind: FileKind
    max_bytes: int
    upload: UploadForm
    expires_at: Timestamp


class FileMissing(Exception):
    """A stored file is no longer in S3 (removed outside the API)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def file_name(kind: FileKind, filename: str) -> str:
    """The file's path below the job's prefix: fixed for input and model, the safe name for support."""
    if kind is FileKind.INPUT:
        return "input.pdf"
    if kind is FileKind.MODEL:
        return "model.json"
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem or len(extension) > 16:
        return "support/" + safe_filename(filename, "file", max_len=200)
    # The extension survives shortening: it tells the customer's programs what the file is.
    safe_extension = safe_filename(extension, "bin", max_len=16)
    return f"support/{safe_filename(stem, 'file', max_len=200 - len(safe_extension) - 1)}.{safe_extension}"


def max_bytes_of(kind: FileKind) -> int:
    return MAX_MODEL_BYTES if kind is FileKind.MODEL else MAX_FILE_BYTES


def file_key(tenant_id: str, job_id: str, name: str) -> str:
    # Same prefix as pforte.jobs.files_prefix (kept there for the delete cascade).
    return f"tenants/{tenant_id}/jobs/{job_id}/{name}"


def parse_file_key(key: str) -> tuple[str, str, str] | None:
    """(tenant, job, name) of a job file's object key; None for anything else."""
    parts = key.split("/", 4)
    if len(parts) != 5 or parts[0] != "tenants" or parts[2] != "jobs" or not parts[4]:
        return None
    return parts[1], parts[3], parts[4]


# --- ports ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredObject:
    size: int
    upload_id: str | None  # from the object's metadata, as the signed form set it
    version_id: str | None


class FileStorage(Protocol):
    def presigned_post(
        self, key: str, max_bytes: int, content_type: str, metadata: dict[str, str]
    ) -> dict[str, Any]: ...

    def head(self, key: str, version_id: str | None, etag: str | None = None) -> StoredObject | None:
        """The object's size and metadata (the version `version_id`, or else the one with this
        ETag, or else the latest); None once it is gone."""

    def read_range(self, key: str, version_id: str | None, start: int, end: int) -> bytes:
        """Bytes start..end (inclusive) of the object; `start` < 0 counts from the end."""

    def remove(self, key: str, version_id: str | None) -> None:
        """Remove this version of the object for good (or the object, without versions)."""


class FileEntries(Protocol):
    def admit(self, tenant_id: str, contact_id: str, job_id: str, file: JobFile) -> None:
        """Add a pending upload to the job, if the job and its contact are still there
        (FileTargetGone otherwise)."""

    def settle(self, tenant_id: str, contact_id: str, job_id: str, file: JobFile) -> bool:
        """Record the outcome of the pending upload `file.upload_id`: stored (the job's file of
        its name from now on) or rejected. False if it is no longer pending."""


class FileTargetGone(Exception):
    """Raised by a repository when the job (or its contact) is gone."""


# --- services -------------------------------------------------------------------------------------


def too_large(field: str, limit: int, what: str) -> DomainError:
    return DomainError(
        ErrorCode.FILE_TOO_LARGE,
        f"{what} may have at most {limit} bytes.",
        [FieldError(field, f"At most {limit} bytes.")],
    )


def new_entry(request: FileUploadRequest) -> JobFile:
    """A pending entry for one file to come, within its kind's size limit."""
    limit = max_bytes_of(request.kind)
    if request.size > limit:
        raise too_large(
            "size", limit, f"{'An' if request.kind is FileKind.INPUT else 'A'} {request.kind} file"
        )
    return JobFile(
        name=file_name(request.kind, request.filename),
        kind=request.kind,
        filename=request.filename,
        size=request.size,
        upload_id=new_id(),
        requested_at=utcnow(),
    )


def sign_upload(storage: FileStorage, key: str, entry: JobFile) -> FileUpload:
    """The presigned POST for an admitted entry: its key, type and upload id pinned, its size capped."""
    form = storage.presigned_post(
        key,
        entry.size,
        _CONTENT_TYPES[entry.kind],
        {"upload-id": entry.upload_id},
    )
    return FileUpload(
        name=entry.name,
        kind=entry.kind,
        max_bytes=entry.size,
        upload=UploadForm(url=form["url"], fields=form["fields"]),
        expires_at=entry.requested_at + timedelta(seconds=UPLOAD_LINK_SECONDS),
    )


def start_file_upload(
    jobs: JobRepository,
    entries: FileEntries,
    storage: FileStorage,
    actor: Actor,
    job_id: str,
    request: FileUploadRequest,
) -> FileUpload:
    """Admit one file of a job and sign its upload; S3 refuses anything above the admitted size."""
    job = get_job(jobs, actor, job_id)
    entry = new_entry(request)
    # Stored support files and uploads still under way; forms past their hour no longer count.
    fresh = utcnow() - timedelta(seconds=UPLOAD_LINK_SECONDS)
    supports = {n for n, f in job.files.items() if f.kind is FileKind.SUPPORT} | {
        f.name
        for f in job.uploads.values()
        if f.kind is FileKind.SUPPORT and f.status is FileStatus.PENDING and f.requested_at > fresh
    }
    if entry.kind is FileKind.SUPPORT:
        # Names that differ only in case are one file on Windows and macOS: the new one replaces it.
        same = next((name for name in sorted(supports) if name.casefold() == entry.name.casefold()), None)
        entry = entry.model_copy(update={"name": same or entry.name})
    if entry.kind is FileKind.SUPPORT and entry.name not in supports and len(supports) >= MAX_SUPPORT_FILES:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"A job takes at most {MAX_SUPPORT_FILES} support files.",
            [FieldError("kind", f"This job has {MAX_SUPPORT_FILES} support files already.")],
        )
    try:
        entries.admit(actor.tenant_id, job.contact_id, job.id, entry)
    except FileTargetGone:
        raise not_found("Job") from None
    return sign_upload(storage, file_key(actor.tenant_id, job.id, entry.name), entry)


def check_content(kind: FileKind, size: int, read: Any) -> FileProblem | None:
    """Whether the bytes are what the kind promises, judged by content, not by name.
    `read(start, end)` returns the bytes start..end of the object (start < 0: from its end)."""
    if kind is FileKind.INPUT:
        head = read(0, min(size, PDF_PROBE_BYTES) - 1)
        tail = read(-min(size, PDF_PROBE_BYTES), -1) if size > PDF_PROBE_BYTES else head
        if b"%PDF-" not in head or b"%%EOF" not in tail:
            return FileProblem(code="not_a_pdf", message="The file is not a complete PDF document.")
        return None
    if kind is FileKind.MODEL:
        try:
            parsed = json.loads(read(0, size - 1).decode("utf-8-sig"), parse_constant=_not_json)
        except (ValueError, UnicodeError, RecursionError):
            return FileProblem(code="invalid_json", message="The model file is not valid JSON (UTF-8).")
        if not isinstance(parsed, dict | list):
            return FileProblem(
                code="invalid_json", message="The model file must hold a JSON object or array."
            )
    return None


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")  # Python's json reads NaN and Infinity; JSON has none


Pending = TypeVar("Pending", bound=Model)


def checked(
    storage: FileStorage,
    key: str,
    pending: Pending,
    found: StoredObject,
    problem: FileProblem | None,
    **learnt: object,
) -> Pending:
    """The pending upload's record once its object `found` was checked: rejected with the problem
    (and the object removed again), or stored as that version (with what the check `learnt`)."""
    if problem is not None:
        storage.remove(key, found.version_id)
        return pending.model_copy(
            update={"status": FileStatus.REJECTED, "size": found.size, "problem": problem}
        )
    return pending.model_copy(
        update={
            "status": FileStatus.STORED,
            "size": found.size,
            "stored_at": utcnow(),
            "version_id": found.version_id,
            **learnt,
        }
    )


@dataclass(frozen=True)
class Arrival:
    tenant_id: str
    job_id: str
    name: str
    outcome: str  # stored | rejected | ignored


def receive_file(
    jobs: JobRepository,
    entries: FileEntries,
    storage: FileStorage,
    key: str,
    version_id: str | None,
    etag: str | None = None,
) -> Arrival | None:
    """An object arrived under a job's prefix. It stays only as the admitted upload it claims to
    be (its signed upload id), within the admitted size and of the right content: then it becomes
    the job's file of that name, replacing the one before. Anything else is removed again: a
    failed check (the upload notes why), an object nobody admitted, a form posted a second time.
    Idempotent: a repeated notification of the stored version changes nothing."""
    parsed = parse_file_key(key)
    if parsed is None:
        return None
    tenant_id, job_id, name = parsed
    job = jobs.get(tenant_id, job_id)
    found = storage.head(key, version_id, etag)
    if found is None:
        return Arrival(tenant_id, job_id, name, "ignored")  # removed meanwhile: nothing to check
    if job is None:
        storage.remove(key, found.version_id)
        return Arrival(tenant_id, job_id, name, "removed")
    upload = job.uploads.get(found.upload_id or "")
    if upload is None or upload.name != name or upload.status is not FileStatus.PENDING:
        current = job.files.get(name)
        if current is not None and current.version_id == found.version_id:
            return Arrival(tenant_id, job_id, name, "ignored")  # the stored file, notified again
        storage.remove(key, found.version_id)  # not admitted, or its admission was used already
        return Arrival(tenant_id, job_id, name, "removed")
    problem = _problem(
        upload, found, lambda start, end: storage.read_range(key, found.version_id, start, end)
    )
    settled = checked(storage, key, upload, found, problem)
    if not entries.settle(tenant_id, job.contact_id, job_id, settled):
        return Arrival(tenant_id, job_id, name, "ignored")  # settled by a concurrent delivery
    return Arrival(tenant_id, job_id, name, settled.status.value)


def _problem(upload: JobFile, found: StoredObject, read: Any) -> FileProblem | None:
    if found.size > upload.size:
        return FileProblem(
            code="file_too_large", message=f"The file has {found.size} bytes; {upload.size} were admitted."
        )
    if found.size == 0:
        return FileProblem(code="empty_file", message="The file is empty.")
    return check_content(upload.kind, found.size, read)
