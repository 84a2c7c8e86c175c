"""Deleting contacts with what depends on them: their jobs, unless one is being processed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pforte.contacts.lifecycle import LoginIdentities
from pforte.contacts.service import Contact, ContactRepository, get_contact, with_retries
from pforte.core.bulk import BulkResult, BulkStatus, per_id
from pforte.core.errors import DomainError, ErrorCode, FieldError
from pforte.core.identity import Actor
from pforte.jobs.service import JobFiles, JobRepository, JobState


class CustomerExports(Protocol):
    def delete_of_customer(self, tenant_id: str, contact_id: str) -> None:
        """Remove every export file made of this customer (backups)."""


@dataclass(frozen=True)
class Deletion:
    """Everything a contact's delete reaches."""

    contacts: ContactRepository
    jobs: JobRepository
    logins: LoginIdentities
    files: JobFiles
    exports: CustomerExports


def delete_contact(ports: Deletion, actor: Actor, contact_id: str) -> Contact:
    """Delete the contact and its jobs in new, incoming or completed, all or nothing; refused with
    `jobs_in_progress`, changing nothing, while any of its jobs is processing.

    The login identity goes first: should the rest fail, the contact is still there to delete
    again, whereas an identity left behind by a deleted contact could never be found again. The
    jobs' files and the customer's backups go last, once the jobs are gone for good."""
    contacts, jobs, logins = ports.contacts, ports.jobs, ports.logins

    def attempt() -> Contact:
        # A contact left half-deleted by an interrupted large delete is finished here.
        contact = get_contact(contacts, actor, contact_id, deleting=True)
        its_jobs = jobs.all_of_contact(actor.tenant_id, contact.id)
        busy = [job for job in its_jobs if job.state is JobState.PROCESSING]
        if busy:
            raise DomainError(
                ErrorCode.JOBS_IN_PROGRESS,
                "The contact has jobs that are being processed; delete it when they are done.",
                [FieldError(f"jobs.{job.id}", "This job is being processed.") for job in busy],
            )
        logins.delete(contact)  # whatever the status says: an identity may exist all the same
        contacts.remove(contact, its_jobs)
        ports.files.delete_all(actor.tenant_id, [job.id for job in its_jobs])
        ports.exports.delete_of_customer(actor.tenant_id, contact.id)
        return contact

    return with_retries(attempt)


def delete_contacts(ports: Deletion, actor: Actor, ids: Sequence[str]) -> list[BulkResult]:
    """Each contact all or nothing, independently of the others; one result per id, in order."""
    return per_id(ids, lambda contact_id: delete_contact(ports, actor, contact_id), BulkStatus.DELETED)
