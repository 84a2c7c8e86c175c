"""The contents of exports, produced as streams of bytes: a customer's backup ZIP and the CSV of
the account list. Nothing here holds a whole file; the bytes flow from S3 (or DynamoDB pages) to
whoever consumes them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from zipstream import ZIP_STORED, ZipStream

from pforte.contacts.service import Contact, ContactRepository, terms_accepted_at
from pforte.core.clock import iso
from pforte.core.csvcells import neutralise
from pforte.customfields.service import FieldDefinition, shown, to_text
from pforte.jobs.files import file_key
from pforte.jobs.service import Job

if TYPE_CHECKING:
    from pforte.exports.service import AccountExportRequest, FileChunks

CONTACTS_PAGE = 100


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def job_folder(job: Job) -> str:
    return job.id


def _job_entry(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "title": job.title,
        "state": job.state.value,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "folder": job_folder(job),
        "files": [
            {
                "name": file.name,
                "kind": file.kind.value,
                "filename": file.filename,
                "size": file.size,
                "uploaded_at": iso(file.stored_at) if file.stored_at else None,
            }
            for name, file in sorted(job.files.items())
        ],
    }


def backup(contact: Contact, jobs: Sequence[Job], files: FileChunks) -> tuple[Iterable[bytes], int]:
    """The customer's backup ZIP as a stream, and its exact size in bytes.

    `user-profile.json` (name, email, company; phone and customer number when given), `jobs.json` (every job with its fields and files),
    and a folder per job with its stored files (input.pdf, model.json, support/...). Files are
    stored as they are (no recompression: PDFs gain nothing), with ZIP64 where sizes call for it;
    stored entries let the archive's size be known before it is written, for progress."""
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    profile: dict[str, object] = {"name": contact.name, "email": contact.email, "company": contact.company}
    # Left out while empty, as the API leaves them out.
    profile |= {name: value for name in ("phone", "customer_number") if (value := getattr(contact, name))}
    archive.add(_json(profile), "user-profile.json")
    ordered = sorted(jobs, key=lambda job: job.id)
    archive.add(_json([_job_entry(job) for job in ordered]), "jobs.json")
    for job in ordered:
        if not job.files:
            archive.add(None, f"{job_folder(job)}/")  # one folder per job, as jobs.json says
        for name, file in sorted(job.files.items()):
            key = file_key(contact.tenant_id, job.id, name)
            archive.add(files.chunks(key, file.version_id), f"{job_folder(job)}/{name}", size=file.size)
    return archive, len(archive)


ACCOUNT_COLUMNS = (
    "name",
    "email",
    "company",
    "language",
    "status",
    "invitation_sent_at",
    "terms_accepted_at",
    "created_at",
    "phone",
    "customer_number",
)


def _account_row(
    contact: Contact, current_terms: str | None, fields: Sequence[FieldDefinition] = ()
) -> list[str]:
    def when(value: Any) -> str:
        return iso(value) if value else ""

    cells = [
        contact.name,
        contact.email,
        contact.company or "",
        contact.language.value,
        contact.status.value,
        when(contact.invitation_sent_at),
        when(terms_accepted_at(contact, current_terms)),
        when(contact.created_at),
        contact.phone or "",
        contact.customer_number or "",
    ]
    values = shown(fields, contact.custom)
    cells += [to_text(values.get(field.key)) for field in fields]
    return [neutralise(cell) for cell in cells]


def accounts_csv(
    contacts: ContactRepository,
    tenant_id: str,
    request: AccountExportRequest,
    current_terms: str | None,
    fields: Sequence[FieldDefinition] = (),
) -> Iterator[bytes]:
    """The accounts that match the request, every page of them, as a UTF-8 CSV with a byte order
    mark (so that Excel reads it as UTF-8) and a header the import understands; the tenant's
    custom fields follow as one column each, named by key. No secrets: the contact holds none, and
    only these columns are written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=request.delimiter, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([*ACCOUNT_COLUMNS, *(field.key for field in fields)])
    query = request.filters.query()
    after: str | None = None
    while True:
        page = contacts.page(tenant_id, query, after, CONTACTS_PAGE)
        for contact in page.items:
            if request.includes(contact):
                writer.writerow(_account_row(contact, current_terms, fields))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        if page.after is None:
            return
        after = page.after
