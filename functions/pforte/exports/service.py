"""Exports: a customer's backup ZIP and the CSV of the account list, made in the background.

A request stores a pending export and queues it; the exports worker streams the file into S3
(multipart upload, never the whole file in memory or on disk) and marks it succeeded or failed.
`GET /exports/{id}` shows the progress and, once done, a download link valid for 24 hours.
"""

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Protocol
from urllib.parse import quote

from pydantic import ConfigDict, Field, StrictBool

from pforte.contacts.service import Contact, ContactQuery, ContactRepository, ContactStatus, get_contact
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.errors import not_found
from pforte.core.fields import Timestamp, safe_filename
from pforte.core.identity import Actor
from pforte.core.model import Model
from pforte.core.ports import MessageQueue
from pforte.customfields.service import CustomFieldRepository, definitions
from pforte.jobs.files import FileMissing, parse_file_key
from pforte.jobs.service import JobRepository
from pforte.terms.service import TermsRepository

EXPORT_DAYS = 7  # the exports bucket's lifecycle rule removes the files after as many days
DOWNLOAD_LINK_SECONDS = 24 * 3600


class ExportKind(StrEnum):
    BACKUP = "backup"
    ACCOUNTS = "accounts"


class ExportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


FINISHED = frozenset({ExportStatus.SUCCEEDED, ExportStatus.FAILED})


class ExportProblem(Model):
    code: str
    message: str


class Progress(Model):
    done_bytes: int = 0
    # Known from the start for a backup; for a CSV only once it is written (0 until then).
    total_bytes: int = 0


SearchText = Annotated[str, Field(max_length=200)]


class AccountFilters(Model):
    """The contact list's filters, with the same meaning as on `GET /contacts`."""

    model_config = ConfigDict(extra="forbid")

    status: ContactStatus | None = None
    q: SearchText | None = None
    company: SearchText | None = None
    invited: StrictBool | None = None

    def query(self) -> ContactQuery:
        return ContactQuery(
            status=self.status, q=self.q or None, company=self.company or None, invited=self.invited
        )


class AccountExportRequest(Model):
    model_config = ConfigDict(extra="forbid")

    filters: AccountFilters = AccountFilters()
    include_inactive: StrictBool = Field(
        default=True, description="false leaves out inactive and deactivated contacts"
    )
    only_credentials_sent: StrictBool = Field(
        default=False, description="true keeps only contacts who were sent an activation request"
    )
    delimiter: Literal[",", ";"] = ","

    def includes(self, contact: Contact) -> bool:
        """Whether the contact belongs in the file: the filters AND the two options."""
        if not self.include_inactive and contact.status in (
            ContactStatus.INACTIVE,
            ContactStatus.DEACTIVATED,
        ):
            return False
        if self.only_credentials_sent and contact.invitation_sent_at is None:
            return False
        return self.filters.query().matches(contact)


class Export(Model):
    id: str
    tenant_id: str
    kind: ExportKind
    status: ExportStatus = ExportStatus.PENDING
    progress: Progress = Progress()
    filename: str
    contact_id: str | None = None  # the customer of a backup
    request: AccountExportRequest | None = None  # the options of an account export
    object_key: str | None = None
    upload_id: str | None = None  # the multipart upload of the run under way
    run_id: str | None = None
    error: ExportProblem | None = None
    requested_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def available_until(self) -> datetime:
        return self.created_at + timedelta(days=EXPORT_DAYS)


class ExportStarted(Model):
    export_id: str


class ExportOut(Model):
    id: str
    kind: ExportKind
    status: ExportStatus
    progress: Progress
    filename: str
    download_url: str | None = None
    expires_at: Timestamp | None = Field(default=None, description="When the download link stops working")
    error: ExportProblem | None = None
    created_at: Timestamp
    updated_at: Timestamp


class ExportMessage(Model):
    """What the exports queue carries: which export to make."""

    tenant_id: str
    export_id: str


# --- ports ----------------------------------------------------------------------------------------


class Superseded(Exception):
    """Raised by a repository when another run of the same export has taken over."""


class CustomerGone(Exception):
    """Raised by a repository when the customer of a backup is no longer there."""


class ExportRepository(Protocol):
    def add(self, export: Export) -> None: ...

    def get(self, tenant_id: str, export_id: str) -> Export | None: ...

    def claim(self, tenant_id: str, export_id: str, run_id: str) -> Export | None:
        """Make `run_id` the export's run (running, progress reset) if the export is there and not
        finished, in one write; the export as it was before (what an earlier run left to clean
        up), or None."""

    def record_upload(self, export: Export, run: "Run") -> None:
        """Record the run's multipart upload and the bytes to come, so that a later run can
        discard the upload if this one is cut off; Superseded if another run has taken over."""

    def progress(self, export: Export, run_id: str, done_bytes: int) -> None:
        """Superseded if another run has taken over."""

    def finish(self, export: Export, run_id: str, outcome: "Outcome") -> None:
        """Store the outcome if `run_id` is still the export's run (Superseded if not) and, for
        `outcome.customer_id`, the customer still exists (CustomerGone if not)."""


@dataclass(frozen=True)
class Run:
    run_id: str
    object_key: str | None = None
    upload_id: str | None = None
    total_bytes: int = 0


@dataclass(frozen=True)
class Outcome:
    status: ExportStatus
    progress: Progress
    object_key: str | None = None
    error: ExportProblem | None = None
    customer_id: str | None = None  # a backup is only done while its customer still exists


class ObjectWriter(Protocol):
    @property
    def upload_id(self) -> str | None:
        """The multipart upload being written (None for an object sent whole)."""

    def write(self, data: bytes) -> None:
        """Append bytes; whole parts go to S3 as they fill up."""

    def complete(self) -> int:
        """Upload what is left and assemble the object; returns its size."""

    def abort(self) -> None:
        """Discard every part: no object is left behind."""


class ExportObjects(Protocol):
    def open_writer(
        self,
        key: str,
        content_type: str,
        download_name: str,
        on_part: Callable[[int], None],
        size: int | None = None,
    ) -> ObjectWriter:
        """A writer to `key`: a multipart upload, `on_part(bytes so far)` after each part sent;
        a single upload when `size`, known up front, fits one part."""

    def abort(self, key: str, upload_id: str) -> None:
        """Discard an upload a crashed run left unfinished (nothing if it is gone)."""

    def remove(self, key: str) -> None: ...

    def download_url(self, key: str, download_name: str, seconds: int) -> str: ...


class FileChunks(Protocol):
    def chunks(self, key: str, version_id: str | None) -> Iterator[bytes]:
        """The object's bytes, read lazily as they are consumed."""


@dataclass(frozen=True)
class ExportWork:
    """What the exports worker reaches."""

    exports: ExportRepository
    contacts: ContactRepository
    jobs: JobRepository
    files: FileChunks
    objects: ExportObjects
    terms: TermsRepository
    custom_fields: CustomFieldRepository


class ExportFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = ExportProblem(code=code, message=message)


# --- names ----------------------------------------------------------------------------------------


# Letters that NFKD does not decompose into ASCII ones, as German and Nordic readers write them.
_SPELLED_OUT = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "Œ": "OE",
        "œ": "oe",
        "Đ": "D",
        "đ": "d",
        "Ł": "L",
        "ł": "l",
    }
)


def content_disposition(filename: str) -> str:
    """`attachment` with the name in plain ASCII for old clients and exactly (RFC 6266) for the rest."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    ascii_name = (_ascii(stem).strip(" .") or "download") + (f".{_ascii(extension)}" if extension else "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _ascii(text: str) -> str:
    """The closest plain ASCII spelling, for clients that read no other (letters without it dropped)."""
    spelled = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT))
    ascii_text = spelled.encode("ascii", "ignore").decode("ascii").replace('"', "").replace("\\", "")
    return " ".join(ascii_text.split())


def object_key(export: Export, run_id: str) -> str:
    """Where a run writes: unique per export and run, so that two customers of one name (or two
    runs of one export) never share an object. A backup lies below its customer, so that deleting
    the customer finds it (see `customer_exports_prefix`)."""
    if export.kind is ExportKind.BACKUP and export.contact_id:
        base = f"{customer_exports_prefix(export.tenant_id, export.contact_id)}backups/{export.id}"
    else:
        base = f"tenants/{export.tenant_id}/exports/{export.id}"
    return f"{base}/{run_id}/{export.filename}"


def customer_exports_prefix(tenant_id: str, contact_id: str) -> str:
    return f"tenants/{tenant_id}/contacts/{contact_id}/"


# --- requests -------------------------------------------------------------------------------------


def _new_export(actor: Actor, kind: ExportKind, filename: str, **fields: object) -> Export:
    now = utcnow()
    return Export.model_validate(
        {
            "id": new_id(),
            "tenant_id": actor.tenant_id,
            "kind": kind,
            "filename": filename,
            "requested_by": actor.user_id,
            "created_at": now,
            "updated_at": now,
            **fields,
        }
    )


def _enqueue(exports: ExportRepository, queue: MessageQueue, export: Export) -> Export:
    exports.add(export)
    queue.enqueue([ExportMessage(tenant_id=export.tenant_id, export_id=export.id)])
    return export


def request_backup(
    exports: ExportRepository, contacts: ContactRepository, queue: MessageQueue, actor: Actor, contact_id: str
) -> Export:
    """Queue a backup ZIP of one customer, named after the customer."""
    contact = get_contact(contacts, actor, contact_id)
    filename = safe_filename(contact.name, "customer") + ".zip"
    return _enqueue(exports, queue, _new_export(actor, ExportKind.BACKUP, filename, contact_id=contact.id))


def request_account_export(
    exports: ExportRepository, queue: MessageQueue, actor: Actor, request: AccountExportRequest
) -> Export:
    """Queue a CSV of the accounts that match the request."""
    filename = f"accounts-{utcnow():%Y-%m-%d}.csv"
    return _enqueue(exports, queue, _new_export(actor, ExportKind.ACCOUNTS, filename, request=request))


def get_export(
    exports: ExportRepository,
    contacts: ContactRepository,
    objects: ExportObjects,
    actor: Actor,
    export_id: str,
) -> ExportOut:
    """The export's state; once it succeeded, a fresh download link. A backup of a customer who
    was deleted since is gone with the customer."""
    export = exports.get(actor.tenant_id, export_id) if is_id(export_id) else None
    now = utcnow()
    if export is None or export.available_until <= now:
        raise not_found("Export")
    if export.contact_id and contacts.get(actor.tenant_id, export.contact_id) is None:
        raise not_found("Export")
    out = ExportOut(
        id=export.id,
        kind=export.kind,
        status=export.status,
        progress=export.progress,
        filename=export.filename,
        error=export.error,
        created_at=export.created_at,
        updated_at=export.updated_at,
    )
    if export.status is ExportStatus.SUCCEEDED and export.object_key:
        seconds = min(DOWNLOAD_LINK_SECONDS, int((export.available_until - now).total_seconds()))
        out.download_url = objects.download_url(export.object_key, export.filename, seconds)
        out.expires_at = now + timedelta(seconds=seconds)
    return out


# --- the worker -----------------------------------------------------------------------------------

_CONTENT_TYPES = {ExportKind.BACKUP: "application/zip", ExportKind.ACCOUNTS: "text/csv; charset=utf-8"}


def run_export(work: ExportWork, tenant_id: str, export_id: str, *, final_attempt: bool) -> Export | None:
    """Make the export's file, streamed into S3. Idempotent: a finished export is left alone, an
    interrupted run's upload is discarded and the file made again. A failure on the last attempt
    (or one that no attempt can mend) marks the export failed with a reason; no half file stays."""
    run_id = new_id()
    before = work.exports.claim(tenant_id, export_id, run_id)
    if before is None:
        return None  # finished already, or gone
    export = before.model_copy(
        update={"status": ExportStatus.RUNNING, "run_id": run_id, "progress": Progress(), "upload_id": None}
    )
    key = object_key(export, run_id)
    writer: ObjectWriter | None = None
    try:
        if before.object_key and before.upload_id:  # left by a run that was cut off
            work.objects.abort(before.object_key, before.upload_id)
        source, total = _source(work, export)
        writer = work.objects.open_writer(
            key,
            _CONTENT_TYPES[export.kind],
            export.filename,
            on_part=lambda done: work.exports.progress(export, run_id, done),
            size=total or None,
        )
        if writer.upload_id:
            work.exports.record_upload(export, Run(run_id, key, writer.upload_id, total))
        for chunk in source:
            writer.write(chunk)
        size = writer.complete()
    except Superseded:
        _discard(writer)
        return None
    except ExportFailed as failure:
        _discard(writer)
        return _fail(work, export, run_id, failure.problem)
    except FileMissing as missing:
        _discard(writer)  # no retry brings the file back
        return _fail(work, export, run_id, _file_missing(missing.key))
    except Exception:
        _discard(writer)
        if not final_attempt:
            raise
        problem = ExportProblem(
            code="internal_error", message="The export could not be made; request it again."
        )
        return _fail(work, export, run_id, problem)
    done = Outcome(
        ExportStatus.SUCCEEDED,
        Progress(done_bytes=size, total_bytes=size),
        object_key=key,
        customer_id=export.contact_id if export.kind is ExportKind.BACKUP else None,
    )
    try:
        work.exports.finish(export, run_id, done)
    except Superseded:
        work.objects.remove(key)  # another run made (or makes) the file
        return None
    except CustomerGone:
        work.objects.remove(key)  # the customer was deleted meanwhile: so is the backup
        return _fail(work, export, run_id, _customer_gone().problem)
    return export.model_copy(update={"status": done.status, "progress": done.progress, "object_key": key})


def _discard(writer: ObjectWriter | None) -> None:
    if writer is not None:
        writer.abort()


def _source(work: ExportWork, export: Export) -> tuple[Iterable[bytes], int]:
    """The export's bytes as a stream, and their size if known up front (0 if not)."""
    from pforte.exports import archive

    if export.kind is ExportKind.BACKUP:
        # The customer and its jobs are two independent reads: made at once, they cost one round trip.
        with ThreadPoolExecutor(max_workers=1) as pool:
            jobs = pool.submit(work.jobs.all_of_contact, export.tenant_id, export.contact_id or "")
            contact = _customer(work, export)
            return archive.backup(contact, jobs.result(), work.files)
    assert export.request is not None
    current_terms = work.terms.current_version(export.tenant_id)
    fields = definitions(work.custom_fields, export.tenant_id)
    return archive.accounts_csv(work.contacts, export.tenant_id, export.request, current_terms, fields), 0


def _fail(work: ExportWork, export: Export, run_id: str, problem: ExportProblem) -> Export | None:
    try:
        work.exports.finish(export, run_id, Outcome(ExportStatus.FAILED, export.progress, error=problem))
    except Superseded:
        return None
    return export.model_copy(update={"status": ExportStatus.FAILED, "error": problem, "run_id": run_id})


def _file_missing(key: str) -> ExportProblem:
    parsed = parse_file_key(key)
    where = f"{parsed[2]} of job {parsed[1]}" if parsed else key
    return ExportProblem(
        code="file_missing",
        message=f"The file {where} is no longer in storage; upload it again, then request a new backup.",
    )


def _customer_gone() -> ExportFailed:
    return ExportFailed("contact_gone", "The customer was deleted.")


def _customer(work: ExportWork, export: Export) -> Contact:
    contact = work.contacts.get(export.tenant_id, export.contact_id or "")
    if contact is None or contact.deleting:
        raise _customer_gone()
    return contact
