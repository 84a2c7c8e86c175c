"""The tenant's terms of use: uploaded as a PDF (presigned POST, checked on arrival), the newest
one current; customers accept the current version.

Accepting stores the version on the contact. New terms therefore reset every acceptance at once,
by being a new version, without touching a single contact.
"""

from datetime import datetime, timedelta
from typing import Annotated, Protocol

from pydantic import ConfigDict, Field, StrictInt

from pforte.contacts.service import Contact, ContactRepository, ContactStatus, StaleContact
from pforte.core.clock import new_id, utcnow
from pforte.core.errors import forbidden, must_exist, not_found
from pforte.core.fields import Timestamp, safe_filename
from pforte.core.identity import Actor, Customer, require_admin
from pforte.core.model import Model
from pforte.core.retry import with_retries
from pforte.core.uploads import UploadForm
from pforte.jobs.files import FileStorage, UploadFilename, check_content, sign_upload
from pforte.jobs.service import FileKind, FileProblem, FileStatus, JobFile
from pforte.terms.current import CurrentTerms

MAX_TERMS_BYTES = 50 * 1024 * 1024
DOWNLOAD_SECONDS = 3600


class Terms(Model):
    version: str
    filename: str
    size: int
    uploaded_at: datetime
    version_id: str | None = None


class TermsState(Model):
    """The tenant's current terms, and uploads of newer ones under way (or rejected), by version."""

    tenant_id: str
    current: Terms | None = None
    uploads: dict[str, JobFile] = {}


class TermsUploadRequest(Model):
    model_config = ConfigDict(extra="forbid")

    filename: UploadFilename
    size: Annotated[StrictInt, Field(ge=1, le=MAX_TERMS_BYTES)]


class TermsOut(Model):
    version: str
    filename: str
    size: int
    uploaded_at: Timestamp
    download_url: str
    expires_at: Timestamp = Field(description="When the download link stops working")


class TermsUpload(Model):
    """Where and how to upload new terms (a multipart/form-data POST to `upload.url`)."""

    version: str = Field(description="Follow `GET /terms/uploads/{version}` to see it checked")
    max_bytes: int
    upload: UploadForm
    expires_at: Timestamp


class TermsUploadOut(Model):
    """An upload of new terms: pending until it arrives, then current (stored) or rejected, and why."""

    version: str
    filename: str
    size: int
    status: FileStatus
    problem: FileProblem | None = None
    requested_at: Timestamp


class TermsAccepted(Model):
    version: str
    accepted_at: Timestamp


def terms_key(tenant_id: str, version: str) -> str:
    return f"tenants/{tenant_id}/terms/{version}.pdf"


def parse_terms_key(key: str) -> tuple[str, str] | None:
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "tenants" or parts[2] != "terms" or not parts[3].endswith(".pdf"):
        return None
    return parts[1], parts[3].removesuffix(".pdf")


class TermsRepository(CurrentTerms, Protocol):
    def get(self, tenant_id: str) -> TermsState: ...

    def current_version(self, tenant_id: str) -> str | None:
        """The version of the tenant's current terms (a store may read just that)."""
        current = self.get(tenant_id).current
        return current.version if current else None

    def admit(self, tenant_id: str, upload: JobFile) -> None: ...

    def settle(self, tenant_id: str, upload: JobFile, current: Terms | None) -> bool:
        """Record the pending upload's outcome (and, if given, make `current` the current terms);
        False if the upload is no longer pending."""


class TermsFiles(FileStorage, Protocol):
    def download_url(self, key: str, version_id: str | None, filename: str, seconds: int) -> str: ...


def start_terms_upload(
    terms: TermsRepository, storage: FileStorage, actor: Actor, request: TermsUploadRequest
) -> TermsUpload:
    """New terms (admins only): a presigned upload; they become current once checked as a PDF."""
    require_admin(actor)
    version = new_id()
    upload = JobFile(
        name=f"{version}.pdf",
        kind=FileKind.INPUT,  # a PDF, checked as one
        # A name every file system takes: it is the download's name.
        filename=_download_name(request.filename),
        size=request.size,
        upload_id=version,
        requested_at=utcnow(),
    )
    terms.admit(actor.tenant_id, upload)
    form = sign_upload(storage, terms_key(actor.tenant_id, version), upload)
    return TermsUpload(
        version=version, max_bytes=form.max_bytes, upload=form.upload, expires_at=form.expires_at
    )


def get_terms_upload(terms: TermsRepository, tenant_id: str, version: str) -> TermsUploadOut:
    """How an upload of new terms went: it becomes current once it arrived as a PDF."""
    upload = must_exist(terms.get(tenant_id).uploads.get(version), "Terms upload")
    return TermsUploadOut(
        version=version,
        filename=upload.filename,
        size=upload.size,
        status=upload.status,
        problem=upload.problem,
        requested_at=upload.requested_at,
    )


def _download_name(filename: str) -> str:
    stem = filename[:-4] if filename.lower().endswith(".pdf") else filename
    return safe_filename(stem, "terms", max_len=200) + ".pdf"


def get_terms(terms: TermsRepository, storage: TermsFiles, tenant_id: str) -> TermsOut:
    current = must_exist(terms.get(tenant_id).current, "Terms")
    now = utcnow()
    url = storage.download_url(
        terms_key(tenant_id, current.version), current.version_id, current.filename, DOWNLOAD_SECONDS
    )
    return TermsOut(
        version=current.version,
        filename=current.filename,
        size=current.size,
        uploaded_at=current.uploaded_at,
        download_url=url,
        expires_at=now + timedelta(seconds=DOWNLOAD_SECONDS),
    )


def receive_terms(
    terms: TermsRepository, storage: FileStorage, key: str, version_id: str | None, etag: str | None
) -> str | None:
    """New terms arrived: the admitted upload, a complete PDF within its size, becomes current;
    anything else is removed (a rejected upload says why)."""
    parsed = parse_terms_key(key)
    if parsed is None:
        return None
    tenant_id, version = parsed
    found = storage.head(key, version_id, etag)
    if found is None:
        return "ignored"
    state = terms.get(tenant_id)
    upload = state.uploads.get(version)
    if upload is None or found.upload_id != upload.upload_id or upload.status is not FileStatus.PENDING:
        if (
            state.current is None
            or state.current.version != version
            or state.current.version_id != found.version_id
        ):
            storage.remove(key, found.version_id)
            return "removed"
        return "ignored"
    problem: FileProblem | None = None
    if found.size > upload.size:
        problem = FileProblem(
            code="file_too_large", message=f"The file has {found.size} bytes; {upload.size} were admitted."
        )
    else:
        problem = check_content(
            FileKind.INPUT,
            found.size,
            lambda start, end: storage.read_range(key, found.version_id, start, end),
        )
    if problem is not None:
        storage.remove(key, found.version_id)
        terms.settle(
            tenant_id, upload.model_copy(update={"status": FileStatus.REJECTED, "problem": problem}), None
        )
        return "rejected"
    now = utcnow()
    current = Terms(
        version=version,
        filename=upload.filename,
        size=found.size,
        uploaded_at=now,
        version_id=found.version_id,
    )
    settled = upload.model_copy(update={"status": FileStatus.STORED, "size": found.size, "stored_at": now})
    return "stored" if terms.settle(tenant_id, settled, current) else "ignored"


def signed_in_contact(contacts: ContactRepository, customer: Customer) -> Contact:
    """The signed-in customer's contact, while the account is active. A token stays valid for up
    to an hour after the account was deactivated (Cognito cannot revoke an ID token): the
    contact's status decides, not the token."""
    contact = contacts.get(customer.tenant_id, customer.contact_id)
    if contact is None or contact.deleting:
        raise not_found("Contact")
    if contact.status is not ContactStatus.ACTIVE:
        raise forbidden("This account is not active.")
    return contact


def accept_terms(terms: TermsRepository, contacts: ContactRepository, customer: Customer) -> TermsAccepted:
    """The signed-in customer accepts the tenant's current terms."""
    contact = signed_in_contact(contacts, customer)  # a closed account hears that first
    version = must_exist(terms.current_version(customer.tenant_id), "Terms")
    first_read = iter([contact])

    def attempt() -> TermsAccepted:
        # The first attempt takes the contact read above; a retry reads it again.
        contact = next(first_read, None) or signed_in_contact(contacts, customer)
        now = utcnow()
        accepted = contact.model_copy(
            update={
                "terms_accepted_at": now,
                "terms_version": version,
                "updated_at": now,
                "version": contact.version + 1,
            }
        )
        contacts.replace(accepted, previous=contact)
        return TermsAccepted(version=version, accepted_at=now)

    return with_retries(
        attempt, on=StaleContact, exhausted=lambda: RuntimeError("The contact kept changing; try again.")
    )
