"""Jobs: the customers' print jobs, their states, and which changes of state are allowed."""

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import ConfigDict

from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode, must_exist, not_found
from pforte.core.fields import Name, Timestamp
from pforte.core.identity import Actor
from pforte.core.model import Model
from pforte.core.pagination import Page


class JobState(StrEnum):
    NEW = "new"
    INCOMING = "incoming"
    PROCESSING = "processing"
    COMPLETED = "completed"


# Which state may follow which: the production line, and back from processing to incoming.
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.NEW: frozenset({JobState.INCOMING}),
    JobState.INCOMING: frozenset({JobState.PROCESSING}),
    JobState.PROCESSING: frozenset({JobState.COMPLETED, JobState.INCOMING}),
    JobState.COMPLETED: frozenset(),
}


class FileKind(StrEnum):
    INPUT = "input"
    MODEL = "model"
    SUPPORT = "support"


class FileStatus(StrEnum):
    PENDING = "pending"
    STORED = "stored"
    REJECTED = "rejected"


class FileProblem(Model):
    """Why an arrived file was removed again."""

    code: str
    message: str


class JobFile(Model):
    """One file of a job, from the admitted upload on."""

    name: str  # the path below the job's prefix: input.pdf, model.json, support/<filename>
    kind: FileKind
    filename: str  # as the uploader called it
    size: int  # admitted while pending, as arrived afterwards
    status: FileStatus = FileStatus.PENDING
    upload_id: str
    requested_at: datetime
    stored_at: datetime | None = None
    version_id: str | None = None  # the S3 object version that was checked
    problem: FileProblem | None = None


class Job(Model):
    model_config = ConfigDict(extra="forbid")

    id: str
    tenant_id: str
    contact_id: str
    title: str
    state: JobState = JobState.NEW
    created_at: datetime
    updated_at: datetime
    # Stored files by name below the job's prefix (input.pdf, model.json, support/<filename>):
    # a file stays until a replacement has arrived and passed its check.
    files: dict[str, JobFile] = {}
    # Admitted uploads not stored (yet): pending, or rejected with the reason; by upload id.
    uploads: dict[str, JobFile] = {}


class JobCreate(Model):
    model_config = ConfigDict(extra="forbid")

    title: Name


class JobPatch(Model):
    model_config = ConfigDict(extra="forbid")

    state: JobState


class JobFileOut(Model):
    name: str
    kind: FileKind
    filename: str
    size: int
    status: FileStatus
    uploaded_at: Timestamp | None
    problem: FileProblem | None

    @classmethod
    def of(cls, file: JobFile) -> "JobFileOut":
        return cls(
            name=file.name,
            kind=file.kind,
            filename=file.filename,
            size=file.size,
            status=file.status,
            uploaded_at=file.stored_at,
            problem=file.problem,
        )


class JobOut(Model):
    id: str
    contact_id: str
    title: str
    state: JobState
    created_at: Timestamp
    updated_at: Timestamp
    files: list[JobFileOut]

    @classmethod
    def of(cls, job: Job) -> "JobOut":
        return cls(
            id=job.id,
            contact_id=job.contact_id,
            title=job.title,
            state=job.state,
            created_at=job.created_at,
            updated_at=job.updated_at,
            files=[
                JobFileOut.of(file)
                for file in sorted(
                    [*job.files.values(), *job.uploads.values()], key=lambda f: (f.name, f.requested_at)
                )
            ],
        )


class JobPage(Model):
    items: list[JobOut]
    next_cursor: str | None


def files_prefix(tenant_id: str, job_id: str) -> str:
    """Where a job's files live in the job-files bucket (input.pdf, model.json, support/...)."""
    return f"tenants/{tenant_id}/jobs/{job_id}/"


class JobFiles(Protocol):
    def delete_all(self, tenant_id: str, job_ids: Sequence[str]) -> None:
        """Remove every file of these jobs; nothing to do for a job without files."""


class JobChanged(Exception):
    """Raised by a repository when the job's state is no longer the one the change started from."""


class ContactGone(Exception):
    """Raised by a repository when the job's contact no longer exists (or is being deleted)."""


class JobRepository(Protocol):
    def get(self, tenant_id: str, job_id: str) -> Job | None: ...

    def add(self, job: Job) -> None:
        """Store a new job of an existing contact; ContactGone otherwise."""

    def change_state(self, job: Job, previous: JobState) -> None:
        """Store the job's new state if it still is `previous` (JobChanged) and its contact is there."""

    def of_contact(self, tenant_id: str, contact_id: str, after: str | None, limit: int) -> Page[Job]: ...

    def all_of_contact(self, tenant_id: str, contact_id: str) -> list[Job]:
        """Every job of the contact, read consistently."""


class Owner(Protocol):
    """A job's contact, as far as the jobs need to know it."""

    @property
    def id(self) -> str: ...

    @property
    def deleting(self) -> bool: ...


class Owners(Protocol):
    """The contacts, seen from the jobs (the contact repository is one): jobs sit below contacts,
    so that deleting a contact may cascade to its jobs without a cycle between the two areas."""

    def get(self, tenant_id: str, contact_id: str) -> Owner | None: ...


def _owner(contacts: Owners, actor: Actor, contact_id: str) -> Owner:
    owner = contacts.get(actor.tenant_id, contact_id) if is_id(contact_id) else None
    if owner is None or owner.deleting:
        raise not_found("Contact")
    return owner


def invalid_transition(current: str, wanted: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_TRANSITION, f"A {current} job cannot become {wanted}.")


def create_job(jobs: JobRepository, contacts: Owners, actor: Actor, contact_id: str, data: JobCreate) -> Job:
    contact = _owner(contacts, actor, contact_id)
    now = utcnow()
    job = Job(
        id=new_id(),
        tenant_id=actor.tenant_id,
        contact_id=contact.id,
        title=data.title,
        created_at=now,
        updated_at=now,
    )
    try:
        jobs.add(job)
    except ContactGone:
        raise not_found("Contact") from None
    return job


def get_job(jobs: JobRepository, actor: Actor, job_id: str) -> Job:
    return must_exist(jobs.get(actor.tenant_id, job_id) if is_id(job_id) else None, "Job")


def list_jobs(
    jobs: JobRepository,
    contacts: Owners,
    actor: Actor,
    contact_id: str,
    after: str | None,
    limit: int,
) -> Page[Job]:
    contact = _owner(contacts, actor, contact_id)
    return jobs.of_contact(actor.tenant_id, contact.id, after, limit)


def change_job_state(jobs: JobRepository, actor: Actor, job_id: str, wanted: JobState) -> Job:
    return move_job(jobs, actor, job_id, wanted)[0]


def move_job(jobs: JobRepository, actor: Actor, job_id: str, wanted: JobState) -> tuple[Job, JobState]:
    """The job in state `wanted`, and the state it had before (the same if it was in it already)."""
    job = get_job(jobs, actor, job_id)
    if wanted == job.state:
        return job, job.state
    if wanted not in TRANSITIONS[job.state]:
        raise invalid_transition(job.state, wanted)
    changed = job.model_copy(update={"state": wanted, "updated_at": utcnow()})
    try:
        jobs.change_state(changed, previous=job.state)
    except JobChanged:
        # Someone moved the job meanwhile: judge the request against the state it has now.
        current = get_job(jobs, actor, job_id)
        raise invalid_transition(current.state, wanted) from None
    except ContactGone:
        raise not_found("Job") from None
    return changed, job.state
