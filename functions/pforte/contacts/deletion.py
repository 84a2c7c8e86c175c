"""Deleting contacts with what depends on them: their jobs, unless one is being processed.

A delete has two parts. The DynamoDB part (the contact, its address claim, its partition, what that
points to) is all or nothing and decides the answer. What lies outside DynamoDB (the login
identity, the job files, the contact's own files such as activity attachments, the customer's
backups) is cleaned up after it: at once, and should that
fail, by the clean-up queue, whose worker repeats the same idempotent clean-up until it succeeds.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import ConfigDict

from pforte.contacts.lifecycle import LoginIdentities
from pforte.contacts.service import Contact, ContactRepository, get_contact, with_retries
from pforte.core.bulk import BulkResult, BulkStatus, per_id
from pforte.core.errors import DomainError, ErrorCode, FieldError
from pforte.core.identity import Actor
from pforte.core.model import Model
from pforte.core.observability import logger
from pforte.core.ports import MessageQueue
from pforte.jobs.service import JobFiles, JobState


class CustomerExports(Protocol):
    def delete_of_customer(self, tenant_id: str, contact_id: str) -> None:
        """Remove every export file made of this customer (backups)."""


class ContactFiles(Protocol):
    def delete_of_contact(self, tenant_id: str, contact_id: str) -> None:
        """Remove every file kept under the contact's own prefix (`contact_files_prefix`), with all
        its versions; nothing to do when there is none."""


class ContactCleanup(Model):
    """What a deleted contact left outside DynamoDB: the message of the clean-up queue."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    contact_id: str
    job_ids: list[str]


@dataclass(frozen=True)
class Cleanup:
    """What the clean-up reaches (the worker needs only this)."""

    logins: LoginIdentities
    files: JobFiles
    exports: CustomerExports
    contact_files: ContactFiles


@dataclass(frozen=True)
class Deletion:
    """Everything a contact's delete reaches."""

    contacts: ContactRepository
    logins: LoginIdentities
    files: JobFiles
    exports: CustomerExports
    queue: MessageQueue  # the clean-up queue
    contact_files: ContactFiles


def delete_contact(ports: Deletion, actor: Actor, contact_id: str) -> Contact:
    """Delete the contact and its jobs in new, incoming or completed, all or nothing; refused with
    `jobs_in_progress`, changing nothing, while any of its jobs is processing.

    The contact's partition is read once (one Query for all but the largest contacts). Once the
    DynamoDB part has committed the delete is done: the login identity, the jobs' files and the
    customer's backups are removed after it, and what fails there is left to the clean-up queue
    rather than answered as an error (the contact is gone; a repeated delete could not find them)."""
    contacts = ports.contacts

    def queue_cleanup(job_ids: Sequence[str]) -> None:
        # A delete in steps: queued before anything is deleted, so that the files of jobs a cut-off
        # run already deleted are not lost with them.
        ports.queue.enqueue(cleanup_messages(actor.tenant_id, contact_id, job_ids))

    def attempt() -> tuple[Contact, list[str]]:
        # A contact left half-deleted by an interrupted large delete is finished here.
        contact = get_contact(contacts, actor, contact_id, deleting=True)
        dependents = contacts.dependents(contact)
        busy = [job for job in dependents.jobs if job.state is JobState.PROCESSING]
        if busy:
            raise DomainError(
                ErrorCode.JOBS_IN_PROGRESS,
                "The contact has jobs that are being processed; delete it when they are done.",
                [FieldError(f"jobs.{job.id}", "This job is being processed.") for job in busy],
            )
        contacts.remove(contact, dependents, on_commit=queue_cleanup)
        return contact, [job.id for job in dependents.jobs]

    contact, job_ids = with_retries(attempt)
    cleanup = ContactCleanup(tenant_id=actor.tenant_id, contact_id=contact.id, job_ids=job_ids)
    try:
        clean_up(Cleanup(ports.logins, ports.files, ports.exports, ports.contact_files), cleanup)
    except Exception as error:  # S3 or Cognito: the queue's worker tries again
        logger.warning("Clean-up after a delete failed; queued", extra={"error_type": type(error).__name__})
        ports.queue.enqueue(cleanup_messages(actor.tenant_id, contact.id, job_ids))
    return contact


# Job ids per clean-up message: ten such messages fit one SQS batch (256 KB) with room to spare.
JOB_IDS_PER_MESSAGE = 500


def cleanup_messages(tenant_id: str, contact_id: str, job_ids: Sequence[str]) -> list[ContactCleanup]:
    """A contact's clean-up as messages of bounded size; each also removes the identity and the
    backups (idempotent: doing that more than once costs a call)."""
    step = JOB_IDS_PER_MESSAGE
    chunks = [list(job_ids[start : start + step]) for start in range(0, len(job_ids), step)] or [[]]
    return [ContactCleanup(tenant_id=tenant_id, contact_id=contact_id, job_ids=chunk) for chunk in chunks]


def clean_up(ports: Cleanup, cleanup: ContactCleanup) -> None:
    """Remove what a deleted contact left outside DynamoDB; idempotent (what is gone stays gone)."""
    # The login identity is named by tenant and contact id alone: the queue carries no personal data,
    # and a stand-in contact of just those two names it.
    stand_in = Contact.model_construct(tenant_id=cleanup.tenant_id, id=cleanup.contact_id)  # type: ignore[call-arg]
    ports.logins.delete(stand_in)
    ports.files.delete_all(cleanup.tenant_id, cleanup.job_ids)
    ports.contact_files.delete_of_contact(cleanup.tenant_id, cleanup.contact_id)
    ports.exports.delete_of_customer(cleanup.tenant_id, cleanup.contact_id)


def delete_contacts(ports: Deletion, actor: Actor, ids: Sequence[str]) -> list[BulkResult]:
    """Each contact all or nothing, independently of the others; one result per id, in order."""
    return per_id(ids, lambda contact_id: delete_contact(ports, actor, contact_id), BulkStatus.DELETED)
