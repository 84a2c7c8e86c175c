"""Importing contacts from CSV as users' spreadsheets write it.

Accepted: `,` or `;` as delimiter, UTF-8 with or without BOM or Windows-1252, quoted fields,
CRLF, header names in any case and in German, language as code or name. Every good row becomes a
`not_registered` contact; a bad row is reported with its physical line and field and imports
nothing; an address already in the tenant, or repeated in the file, is skipped, counted and listed
by line. A customer number another contact has, or an earlier row of the file, fails its row. The
tenant's custom fields are read from the columns named by their keys.
"""

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, BinaryIO, Literal, Protocol

from pydantic import SerializerFunctionWrapHandler, ValidationError, model_serializer

from pforte.contacts.service import DEFAULT_RULES, Contact, ContactCreate, ContactRules, new_contact, rules_of
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.csvcells import restore
from pforte.core.errors import DomainError, ErrorCode, FieldError, must_exist
from pforte.core.fields import Language, Timestamp, email_key
from pforte.core.identity import Actor, is_tenant_id
from pforte.core.model import Model
from pforte.core.uploads import UploadForm
from pforte.customfields.service import (
    CustomFieldRepository,
    FieldDefinition,
    MissingValue,
    definitions,
    from_text,
)
from pforte.tenants.service import TenantRepository

TEMPLATE_FILENAME = "users_template.csv"
TEMPLATE_CSV = (
    "name,email,company,language,phone,customer_number\r\n"
    "Erika Mustermann,erika.mustermann@example.com,Musterdruck GmbH,de,030 1234567,K-1001\r\n"
)
MAX_REPORTED_ERRORS = 1000
MAX_REPORTED_SKIPS = 1000
MAX_HEADER_CHARS = 64 * 1024
CHUNK_ROWS = 500
# The encoding is chosen from the file's first bytes; the file itself is read once.
SAMPLE_BYTES = 64 * 1024

_HEADERS = {
    "name": {"name", "full name", "vollständiger name", "kontakt", "kunde"},
    "email": {"email", "e-mail", "e-mail-adresse", "email address", "e-mail address", "mail", "emailadresse"},
    "company": {"company", "firma", "unternehmen", "organisation", "organization"},
    "language": {"language", "sprache", "lang"},
    "phone": {"phone", "telefon", "telephone", "phone number", "telefonnummer", "tel"},
    "customer_number": {"customer number", "kundennummer", "kundennr", "customer no", "customer id"},
}
CUSTOM_PREFIX = "custom."
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


class RowError(Model):
    line: int
    field: str
    code: str
    message: str


SkipReason = Literal["repeated_in_file", "already_a_contact"]


class SkippedRow(Model):
    line: int
    email: str
    reason: SkipReason


class ImportReport(Model):
    imported: int = 0
    skipped: int = 0
    errors: list[RowError] = []
    # Rows not imported for their errors; `errors` lists the first MAX_REPORTED_ERRORS field errors.
    failed_rows: int = 0
    dry_run: bool = False
    # The first MAX_REPORTED_SKIPS of the `skipped` rows, by line (left out while there is none).
    skipped_rows: list[SkippedRow] = []

    @model_serializer(mode="wrap")
    def _leave_out_no_skips(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not data.get("skipped_rows"):
            data.pop("skipped_rows", None)
        return data

    def skip(self, line: int, email: str, reason: SkipReason) -> None:
        self.skipped += 1
        if len(self.skipped_rows) < MAX_REPORTED_SKIPS:
            self.skipped_rows.append(SkippedRow(line=line, email=email, reason=reason))


@dataclass
class Claimed:
    """What a bulk write found claimed by contacts created meanwhile: comparable addresses and
    customer number keys. The rows of those are not stored."""

    emails: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)


class ImportStore(Protocol):
    def existing_emails(self, tenant_id: str, email_keys: list[str]) -> set[str]:
        """Which of these comparable addresses the tenant has already."""

    def existing_numbers(self, tenant_id: str, number_keys: list[str]) -> set[str]:
        """Which of these customer number keys the tenant's contacts have already."""

    def add_many(self, contacts: list[Contact]) -> Claimed:
        """Store new contacts, each with its address (and customer number) claim, each all or
        nothing; what was found claimed at the write: those contacts are not stored."""


def header_invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.CSV_HEADER_INVALID, message, [FieldError("header", message)])


def _stray_bytes(error: UnicodeError) -> tuple[str, int]:
    """Bytes the chosen encoding does not define, read as Latin-1: control characters, which fail
    their row rather than the file."""
    assert isinstance(error, UnicodeDecodeError)
    return "".join(chr(byte) for byte in error.object[error.start : error.end]), error.end


codecs.register_error("pforte-stray-bytes", _stray_bytes)


def _encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) if the sample is UTF-8, else what charset-normalizer finds of
    Windows-1252 and Latin-1 (Windows-1252 whenever it reads the sample: it defines more of the
    bytes). A byte the encoding does not define later in the file fails its row."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    import charset_normalizer  # only for a file that is not UTF-8: ~7 ms of import

    best = charset_normalizer.from_bytes(sample, cp_isolation=["cp1252", "latin_1"]).best()
    if best is not None and best.encoding in ("cp1252", "latin_1"):
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return "latin-1"


class _Rejoined(io.RawIOBase):
    """The sample read for the encoding, then the rest of the same stream: read once."""

    def __init__(self, sample: bytes, rest: BinaryIO) -> None:
        self._sample = memoryview(sample)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._sample:
            size = min(len(buffer), len(self._sample))
            buffer[:size] = self._sample[:size]
            self._sample = self._sample[size:]
            return size
        chunk = self._rest.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def not_csv(reason: str) -> DomainError:
    message = f"The file is not a CSV file: {reason}."
    return DomainError(ErrorCode.CSV_INVALID, message, [FieldError("file", message)])


def _check_is_csv(sample: bytes) -> None:
    head = sample[:4096].lower()
    if head.startswith(b"--") and b"content-disposition: form-data" in head:
        raise not_csv("it looks like a multipart form upload; send the CSV itself")


def csv_invalid(line: int, reason: str) -> DomainError:
    message = f"The file cannot be read as CSV from line {line} on: {reason}."
    return DomainError(ErrorCode.CSV_INVALID, message, [FieldError("file", message)])


def _delimiter(header: str) -> str:
    """`;` or `,`, whichever splits the header line into more columns (quotes respected)."""
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in (";", ",")}
    return ";" if counts[";"] > counts[","] else ","


def _normalized(title: str) -> str:
    return " ".join(title.strip().strip("\ufeff").lower().replace("_", " ").split())


def _columns(header: list[str], custom_keys: Sequence[str] = ()) -> dict[str, int]:
    found: dict[str, int] = {}
    custom = {_normalized(key): CUSTOM_PREFIX + key for key in custom_keys}
    for index, title in enumerate(header):
        normalized = _normalized(title)
        for name, names in _HEADERS.items():
            if normalized in names and name not in found:
                found[name] = index
        if normalized in custom and custom[normalized] not in found:
            found[custom[normalized]] = index
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


def read_rows(open_bytes: Callable[[], BinaryIO], custom_keys: Sequence[str] = ()) -> Iterator[Row]:
    """(physical line of the row's start, field → value) for every non-empty row; line 1 is the
    header (after Excel's optional `sep=;` line). The columns of `custom_keys` come as
    `custom.<key>`."""
    with open_bytes() as source:
        sample = source.read(SAMPLE_BYTES)
        _check_is_csv(sample)
        stream = io.BufferedReader(_Rejoined(sample, source), buffer_size=1 << 16)
        text = io.TextIOWrapper(stream, encoding=_encoding(sample), errors="pforte-stray-bytes", newline="")
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
            columns = _columns(next(reader), custom_keys)
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
        if code == "required":
            message = f"{field.capitalize()} is required."
        errors.append(RowError(line=line, field=field, code=code, message=message))
    return errors


def _rule_errors(line: int, error: DomainError) -> list[RowError]:
    """A row's phone number or custom values the tenant's rules refused."""
    codes = {ErrorCode.INVALID_PHONE: "invalid_phone"}
    return [
        RowError(
            line=line,
            field=detail.field,
            code="required" if isinstance(detail, MissingValue) else codes.get(error.code, "invalid"),
            message=detail.message,
        )
        for detail in error.details
    ]


def _with_custom(values: dict[str, str | Language], fields: Sequence[FieldDefinition]) -> dict[str, object]:
    """The row's values with its custom cells read as values of their fields' types."""
    by_key = {definition.key: definition for definition in fields}
    row: dict[str, object] = {
        name: value for name, value in values.items() if not name.startswith(CUSTOM_PREFIX)
    }
    custom = {}
    for name, cell in values.items():
        if name.startswith(CUSTOM_PREFIX):
            key = name.removeprefix(CUSTOM_PREFIX)
            value = from_text(by_key[key], str(cell))
            if value is not None:
                custom[key] = value
    row["custom"] = custom
    return row


class Resume(Model):
    """Where an interrupted import stands: every row up to `line` is in `report` (and stored)."""

    line: int = 0
    report: ImportReport = ImportReport()


def import_contacts(
    store: ImportStore,
    tenant_id: str,
    rows: Iterator[Row],
    default_language: Language,
    *,
    dry_run: bool = False,
    on_progress: Callable[[int, Resume], None] | None = None,
    resume: Resume | None = None,
    rules: ContactRules = DEFAULT_RULES,
) -> ImportReport:
    """Validate every row (with the tenant's `rules` for phone numbers and custom fields), skip
    known and repeated addresses, fail rows whose customer number is taken, and store the rest in
    batches.

    `on_progress` hears of every chunk stored, with where the import stands; given that as
    `resume`, a later run goes on from there (the rows before only mark their addresses as seen).
    """
    report = (resume.report if resume else ImportReport()).model_copy(deep=True)
    report.dry_run = dry_run
    done_line = resume.line if resume else 0
    seen: set[str] = set()
    seen_numbers: set[str] = set()
    pending: list[tuple[int, Contact]] = []
    processed = 0
    last_line = done_line

    def fail(errors: list[RowError]) -> None:
        report.failed_rows += 1
        room = MAX_REPORTED_ERRORS - len(report.errors)
        report.errors += errors[: max(room, 0)]

    def number_taken(line: int, contact: Contact, why: str) -> list[RowError]:
        message = f"The customer number {contact.customer_number} {why}."
        return [RowError(line=line, field="customer_number", code="customer_number_taken", message=message)]

    def flush() -> None:
        known = store.existing_emails(tenant_id, [contact.email_key for _, contact in pending])
        numbers = [contact.number_key for _, contact in pending if contact.number_key]
        taken = store.existing_numbers(tenant_id, numbers) if numbers else set()
        new = [
            (line, contact)
            for line, contact in pending
            if contact.email_key not in known and contact.number_key not in taken
        ]
        if new and not dry_run:
            claimed = store.add_many([contact for _, contact in new])
            known |= claimed.emails
            taken |= claimed.numbers
        for line, contact in pending:
            if contact.email_key in known:
                report.skip(line, contact.email, "already_a_contact")
            elif contact.number_key in taken:
                fail(number_taken(line, contact, "belongs to another contact"))
            else:
                report.imported += 1
        pending.clear()
        if on_progress:
            on_progress(processed, Resume(line=last_line, report=report))

    for line, values in rows:
        processed += 1
        values["language"] = _language(str(values.get("language", "")), default_language)
        try:
            data = ContactCreate.model_validate(_with_custom(values, rules.fields))
            contact = new_contact(tenant_id, data, default_language, rules)
        except ValidationError as error:
            if line > done_line:
                fail(_row_errors(line, error))
                last_line = line
            continue
        except DomainError as error:
            if line > done_line:
                fail(_rule_errors(line, error))
                last_line = line
            continue
        key = email_key(data.email)
        if line <= done_line:  # accounted for before the interruption
            seen.add(key)
            if contact.number_key:
                seen_numbers.add(contact.number_key)
            continue
        last_line = line
        if key in seen:
            report.skip(line, data.email, "repeated_in_file")
            continue
        seen.add(key)
        if contact.number_key in seen_numbers:
            fail(number_taken(line, contact, "is in an earlier row of the file"))
            continue
        if contact.number_key:
            seen_numbers.add(contact.number_key)
        pending.append((line, contact))
        if len(pending) >= CHUNK_ROWS:
            flush()
    flush()
    report.skipped_rows.sort(key=lambda skipped: skipped.line)
    report.errors.sort(key=lambda error: error.line)
    return report


# --- larger files: uploaded to S3, imported in the background -----------------------------------

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
CSV_CONTENT_TYPE = "text/csv"


class ImportStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ImportJob(Model):
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
    # Where a running import stands, so that an interrupted one goes on (not in the API).
    resume: Resume | None = None

    @property
    def object_key(self) -> str:
        return upload_key(self.tenant_id, self.id)


class ImportJobOut(Model):
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
    def of(cls, job: ImportJob) -> "ImportJobOut":
        return cls.model_validate(job.model_dump(exclude={"tenant_id"}))


class UploadStarted(Model):
    import_id: str
    upload: UploadForm
    max_bytes: int


class ImportJobRepository(Protocol):
    def add(self, job: ImportJob) -> None: ...

    def get(self, tenant_id: str, import_id: str) -> ImportJob | None: ...

    def start(self, job: ImportJob, stale_before: datetime) -> bool:
        """Move an awaiting import to running, or take over a running one whose worker last
        wrote before `stale_before` (it died); False if another worker has it."""

    def progress(
        self, job: ImportJob, processed_rows: int, total_rows: int | None = None, resume: Resume | None = None
    ) -> None: ...

    def finish(
        self,
        job: ImportJob,
        status: ImportStatus,
        report: ImportReport | None,
        error: str | None,
        *,
        total_rows: int | None = None,
    ) -> None:
        """The end; `total_rows` (with as many processed) when known."""

    def reopen(self, job: ImportJob) -> None:
        """Back from running to awaiting its file, so that the redelivered notification runs it
        again (from where it stands)."""


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


# The import worker's Timeout in template.yaml: a running import no worker wrote to for longer
# lost its worker (a redelivery comes after the queue's visibility timeout, six times this).
WORKER_TIMEOUT_SECONDS = 900


def run_uploaded_import(
    jobs: ImportJobRepository,
    store: ImportStore,
    uploads: Uploads,
    tenants: TenantRepository,
    custom_fields: CustomFieldRepository,
    key: str,
    size: int,
    *,
    final_attempt: bool = True,
) -> ImportJob | None:
    """Import an uploaded file once; a repeated notification for it changes nothing.

    The file is read once, in one pass: `total_rows` is known when the import ends. Progress is
    recorded with every chunk stored, so a delivery that finds the import running with a worker
    that died (nothing written for longer than the worker may run) goes on from there.
    A failure the file explains ends the import as failed, with the reason. An unexpected one
    reopens it for the next delivery of the notification, and fails it on the last."""
    found = parse_upload_key(key)
    job = jobs.get(*found) if found else None
    if job is None or job.status not in (ImportStatus.AWAITING_UPLOAD, ImportStatus.RUNNING):
        return None
    if not jobs.start(job, utcnow() - timedelta(seconds=WORKER_TIMEOUT_SECONDS)):
        return None
    if size > MAX_UPLOAD_BYTES:
        # S3 enforces the signed size limit; whatever got past it is removed all the same.
        uploads.delete(key)
        jobs.finish(job, ImportStatus.FAILED, None, f"The file is larger than {MAX_UPLOAD_BYTES} bytes.")
        return job
    tenant = tenants.get(job.tenant_id)
    rules = rules_of(tenant, definitions(custom_fields, job.tenant_id))
    processed = 0

    def progress(rows: int, resume: Resume) -> None:
        nonlocal processed
        processed = rows
        jobs.progress(job, rows, None, resume)

    try:
        report = import_contacts(
            store,
            job.tenant_id,
            read_rows(lambda: uploads.open(key), [field.key for field in rules.fields]),
            tenant.default_language if tenant else Language.DE,
            dry_run=job.dry_run,
            on_progress=progress,
            resume=job.resume,
            rules=rules,
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
    jobs.finish(job, ImportStatus.SUCCEEDED, report, None, total_rows=processed)
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
    custom_fields: CustomFieldRepository,
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
    rules = rules_of(tenant, definitions(custom_fields, actor.tenant_id))
    return import_contacts(
        store,
        actor.tenant_id,
        read_rows(lambda: io.BytesIO(data), [field.key for field in rules.fields]),
        default_language,
        dry_run=dry_run,
        rules=rules,
    )
