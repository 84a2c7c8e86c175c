"""Importing contacts from CSV as users' spreadsheets write it.

Accepted: `,` or `;` as delimiter, UTF-8 with or without BOM or Windows-1252, quoted fields,
CRLF, header names in any case and in German, language as code or name. Every good row becomes a
`not_registered` contact; a bad row is reported with its physical line and field and imports
nothing; an address already in the tenant, or repeated in the file, is skipped and counted.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO, Protocol

from pydantic import BaseModel, ValidationError

from pforte.contacts.service import Contact, ContactCreate, new_contact
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.csvcells import restore
from pforte.core.errors import DomainError, ErrorCode, FieldError, must_exist
from pforte.core.fields import Language, Timestamp, email_key
from pforte.core.identity import Actor, is_tenant_id
from pforte.core.uploads import UploadForm
from pforte.tenants.service import TenantRepository

TEMPLATE_FILENAME = "users_template.csv"
TEMPLATE_CSV = (
    "name,email,company,language\r\nErika Mustermann,erika.mustermann@example.com,Musterdruck GmbH,de\r\n"
)
MAX_REPORTED_ERRORS = 1000
MAX_HEADER_CHARS = 64 * 1024
CHUNK_ROWS = 500

_HEADERS = {
    "name": {"name", "full name", "vollständiger name", "kontakt", "kunde"},
    "email": {"email", "e-mail", "e-mail-adresse", "email address", "e-mail address", "mail", "emailadresse"},
    "company": {"company", "firma", "unternehmen", "organisation", "organization"},
    "language": {"language", "sprache", "lang"},
}
_LANGUAGES = {
    Language.DE: {"de", "deutsch", "german", "ger", "deu", "de-de", "de_de"},
    Language.EN: {"en", "englisch", "english", "eng", "en-gb", "en-us", "en_gb", "en_us"},
}
_ERROR_CODES = {
    "missing": "required",
    "string_too_short": "required",
    "string_too_long": "too_long",
    "enum": "invalid_language",
}


class RowError(BaseModel):
    line: int
    field: str
    code: str
    message: str


class ImportReport(BaseModel):
    imported: int = 0
    skipped: int = 0
    errors: list[RowError] = []
    # Rows not imported for their errors; `errors` lists the first MAX_REPORTED_ERRORS field errors.
    failed_rows: int = 0
    dry_run: bool = False


class ImportStore(Protocol):
    def existing_emails(self, tenant_id: str, email_keys: list[str]) -> set[str]:
        """Which of these comparable addresses the tenant has already."""

    def add_many(self, contacts: list[Contact]) -> None:
        """Store new contacts and their address claims in batches."""


def header_invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.CSV_HEADER_INVALID, message, [FieldError("header", message)])


def _decodes_as(open_bytes: Callable[[], BinaryIO], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open_bytes() as source:
        try:
            while chunk := source.read(1 << 16):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _encoding(open_bytes: Callable[[], BinaryIO]) -> str:
    """UTF-8 (with or without BOM) if the whole file is UTF-8, else Windows-1252, else Latin-1
    (which reads any byte: what is no text then fails row by row, as control characters).

    Read through incrementally: a file in S3 is never held in memory.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        if _decodes_as(open_bytes, encoding):
            return encoding
    return "latin-1"


def csv_invalid(line: int, reason: str) -> DomainError:
    message = f"The file cannot be read as CSV from line {line} on: {reason}."
    return DomainError(ErrorCode.CSV_INVALID, message, [FieldError("file", message)])


def _delimiter(header: str) -> str:
    """`;` or `,`, whichever splits the header line into more columns (quotes respected)."""
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in (";", ",")}
    return ";" if counts[";"] > counts[","] else ","


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        normalized = " ".join(title.strip().strip("\ufeff").lower().replace("_", " ").split())
        for field, names in _HEADERS.items():
            if normalized in names and field not in found:
                found[field] = index
    missing = [field for field in ("name", "email") if field not in found]
    if missing:
        raise header_invalid(f"The header line has no {' and no '.join(missing)} column.")
    return found


def _language(raw: str, default: Language) -> Language | str:
    value = raw.strip().lower()
    if not value:
        return default
    for language, names in _LANGUAGES.items():
        if value in names:
            return language
    return raw


Row = tuple[int, dict[str, str | Language]]


def read_rows(open_bytes: Callable[[], BinaryIO]) -> Iterator[Row]:
    """(physical line of the row's start, field → value) for every non-empty row; line 1 is the
    header (after Excel's optional `sep=;` line)."""
    encoding = _encoding(open_bytes)
    with open_bytes() as source:
        text = io.TextIOWrapper(source, encoding=encoding, newline="")
        first, offset = text.readline(MAX_HEADER_CHARS), 0
        if first.lower().startswith(("sep=", "\ufeffsep=")):
            delimiter = first.strip().strip("\ufeff")[4:5] or ","
            first, offset = text.readline(MAX_HEADER_CHARS), 1
        elif first.strip():
            delimiter = _delimiter(first)
        if not first.strip():
            raise header_invalid("The file is empty.")
        if not first.endswith(("\n", "\r")) and len(first) >= MAX_HEADER_CHARS:
            raise header_invalid("The header line is too long.")
        reader = csv.reader(_prepend(first, text), delimiter=delimiter, strict=False)
        try:
            columns = _columns(next(reader))
            line = reader.line_num
            for record in reader:
                start, line = line + 1, reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                yield (
                    start + offset,
                    # Cells an export neutralised against spreadsheet formulas come back as they were.
                    {
                        field: restore(record[index]) if index < len(record) else ""
                        for field, index in columns.items()
                    },
                )
        except csv.Error as error:  # a field past the size limit, a NUL byte
            raise csv_invalid(reader.line_num + offset, str(error)) from None


def _prepend(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield first
    yield from rest


def _row_errors(line: int, error: ValidationError) -> list[RowError]:
    errors = []
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else "row"
        code = _ERROR_CODES.get(detail["type"], "invalid_email" if field == "email" else "invalid")
        message = str(detail["msg"]).removeprefix("Value error, ")
        errors.append(RowError(line=line, field=field, code=code, message=message))
    return errors


def import_contacts(
    store: ImportStore,
    tenant_id: str,
    rows: Iterator[Row],
    default_language: Language,
    *,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row, skip known and repeated addresses, and store the rest in batches."""
    report = ImportReport(dry_run=dry_run)
    seen: set[str] = set()
    pending: list[Contact] = []
    processed = 0

    def flush() -> None:
        known = store.existing_emails(tenant_id, [contact.email_key for contact in pending])
        new = [contact for contact in pending if contact.email_key not in known]
        if new and not dry_run:
            store.add_many(new)
        report.imported += len(new)
        report.skipped += len(pending) - len(new)
        pending.clear()
        if on_progress:
            on_progress(processed)

    for line, values in rows:
        processed += 1
        values["language"] = _language(str(values.get("language", "")), default_language)
        try:
            data = ContactCreate.model_validate(values)
        except ValidationError as error:
            report.failed_rows += 1
            room = MAX_REPORTED_ERRORS - len(report.errors)
            report.errors += _row_errors(line, error)[: max(room, 0)]
            continue
        key = email_key(data.email)
        if key in seen:
            report.skipped += 1
            continue
        seen.add(key)
        pending.append(new_contact(tenant_id, data, default_language))
        if len(pending) >= CHUNK_ROWS:
            flush()
    flush()
    return report


# --- larger files: uploaded to S3, imported in the background -----------------------------------

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
CSV_CONTENT_TYPE = "text/csv"


class ImportStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ImportJob(BaseModel):
    id: str
    tenant_id: str
    status: ImportStatus = ImportStatus.AWAITING_UPLOAD
    processed_rows: int = 0
    total_rows: int | None = None
    report: ImportReport | None = None
    error: str | None = None
    dry_run: bool = False
    created_at: datetime
    updated_at: datetime

    @property
    def object_key(self) -> str:
        return upload_key(self.tenant_id, self.id)


class ImportJobOut(BaseModel):
    id: str
    status: ImportStatus
    dry_run: bool
    processed_rows: int
    total_rows: int | None
    report: ImportReport | None
    error: str | None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, job: ImportJob) -> ImportJobOut:
        return cls.model_validate(job.model_dump(exclude={"tenant_id"}))


class UploadStarted(BaseModel):
    import_id: str
    upload: UploadForm
    max_bytes: int


class ImportJobRepository(Protocol):
    def add(self, job: ImportJob) -> None: ...

    def get(self, tenant_id: str, import_id: str) -> ImportJob | None: ...

    def start(self, job: ImportJob) -> bool:
        """Move an awaiting import to running; False if another worker has it already."""

    def progress(self, job: ImportJob, processed_rows: int, total_rows: int | None = None) -> None: ...

    def finish(
        self, job: ImportJob, status: ImportStatus, report: ImportReport | None, error: str | None
    ) -> None: ...

    def reopen(self, job: ImportJob) -> None:
        """Back from running to awaiting its file, so that the redelivered notification runs it again."""


class Uploads(Protocol):
    def presigned_post(self, key: str, max_bytes: int, content_type: str) -> dict[str, Any]: ...

    def open(self, key: str) -> BinaryIO: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete(self, key: str) -> None: ...


def upload_key(tenant_id: str, import_id: str) -> str:
    return f"tenants/{tenant_id}/imports/{import_id}.csv"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """(tenant, import id) of an upload's object key, None for anything else."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "tenants" or parts[2] != "imports" or not parts[3].endswith(".csv"):
        return None
    tenant_id, import_id = parts[1], parts[3].removesuffix(".csv")
    return (tenant_id, import_id) if is_tenant_id(tenant_id) and is_id(import_id) else None


def _new_job(jobs: ImportJobRepository, actor: Actor, dry_run: bool) -> ImportJob:
    now = utcnow()
    job = ImportJob(id=new_id(), tenant_id=actor.tenant_id, dry_run=dry_run, created_at=now, updated_at=now)
    jobs.add(job)
    return job


def start_upload(
    jobs: ImportJobRepository, uploads: Uploads, actor: Actor, *, dry_run: bool = False
) -> UploadStarted:
    job = _new_job(jobs, actor, dry_run)
    form = uploads.presigned_post(job.object_key, MAX_UPLOAD_BYTES, CSV_CONTENT_TYPE)
    return UploadStarted(import_id=job.id, upload=UploadForm.model_validate(form), max_bytes=MAX_UPLOAD_BYTES)


def get_import(jobs: ImportJobRepository, actor: Actor, import_id: str) -> ImportJob:
    return must_exist(jobs.get(actor.tenant_id, import_id) if is_id(import_id) else None, "Import")


def run_uploaded_import(
    jobs: ImportJobRepository,
    store: ImportStore,
    uploads: Uploads,
    tenants: TenantRepository,
    key: str,
    size: int,
    *,
    final_attempt: bool = True,
) -> ImportJob | None:
    """Import an uploaded file once; a repeated notification for it changes nothing.

    A failure the file explains ends the import as failed, with the reason. An unexpected one
    reopens it for the next delivery of the notification, and fails it on the last."""
    found = parse_upload_key(key)
    job = jobs.get(*found) if found else None
    if job is None or job.status is not ImportStatus.AWAITING_UPLOAD or not jobs.start(job):
        return None
    if size > MAX_UPLOAD_BYTES:
        # S3 enforces the signed size limit; whatever got past it is removed all the same.
        uploads.delete(key)
        jobs.finish(job, ImportStatus.FAILED, None, f"The file is larger than {MAX_UPLOAD_BYTES} bytes.")
        return job
    tenant = tenants.get(job.tenant_id)
    try:
        total = sum(1 for _ in read_rows(lambda: uploads.open(key)))
        jobs.progress(job, 0, total)
        report = import_contacts(
            store,
            job.tenant_id,
            read_rows(lambda: uploads.open(key)),
            tenant.default_language if tenant else Language.DE,
            dry_run=job.dry_run,
            on_progress=lambda processed: jobs.progress(job, processed, total),
        )
    except DomainError as error:
        jobs.finish(job, ImportStatus.FAILED, None, error.message)
        return job
    except Exception:
        if final_attempt:
            jobs.finish(
                job, ImportStatus.FAILED, None, "The import stopped unexpectedly; upload the file again."
            )
        else:
            jobs.reopen(job)
        raise
    jobs.finish(job, ImportStatus.SUCCEEDED, report, None)
    return job


# --- small files: imported within the request ----------------------------------------------------

MAX_INLINE_BYTES = 4 * 1024 * 1024  # base64 in the Lambda event must stay under its 6 MB
# More rows than this would not be written within API Gateway's 29 seconds: imported in the background.
MAX_INLINE_ROWS = 1000


def import_csv(
    store: ImportStore,
    jobs: ImportJobRepository,
    uploads: Uploads,
    tenants: TenantRepository,
    actor: Actor,
    data: bytes,
    *,
    dry_run: bool = False,
) -> ImportReport | ImportJob:
    """Import a CSV sent with the request: a report when done at once; for a file too long to
    finish within the request, the background import it was handed to."""
    if len(data) > MAX_INLINE_BYTES:
        raise DomainError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            "Files over 4 MB are imported through an upload: POST /contacts/imports/uploads.",
        )
    rows = sum(1 for _ in read_rows(lambda: io.BytesIO(data)))
    if rows > MAX_INLINE_ROWS:
        job = _new_job(jobs, actor, dry_run)
        uploads.put(job.object_key, data, CSV_CONTENT_TYPE)  # its arrival starts the import
        return job
    tenant = tenants.get(actor.tenant_id)
    default_language = tenant.default_language if tenant else Language.DE
    return import_contacts(
        store, actor.tenant_id, read_rows(lambda: io.BytesIO(data)), default_language, dry_run=dry_run
    )
