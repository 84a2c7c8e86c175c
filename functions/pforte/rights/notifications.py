"""Notification preferences (which mails a customer wants) and the job mails that honour them.

A job mail is queued where a job is received or completed (the HTTP edge and the generic link, both
above this area; the jobs area itself knows nothing of mail) and sent by the mail worker, which
decides on the preference and the address when it sends: what counts is the wish at that time.
"""

from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import ConfigDict, StrictBool

from pforte.contacts.service import Contact, ContactRepository
from pforte.core.clock import new_id
from pforte.core.errors import not_found
from pforte.core.model import Model
from pforte.core.observability import logger
from pforte.core.ports import MessageQueue
from pforte.tenants.service import TenantRepository

if TYPE_CHECKING:
    # Only the mail worker renders mail: the customer's routes that read preferences load neither.
    from pforte.jobs.service import JobRepository
    from pforte.mail.messages import Mailer, OutgoingMail


class Notification(StrEnum):
    JOB_RECEIVED = "job_received"
    JOB_COMPLETED = "job_completed"
    MESSAGE_RECEIVED = "message_received"
    TERMS_CHANGED = "terms_changed"


class NotificationPreferences(Model):
    """Which mails the customer wants; every one until they say otherwise. A PUT sets all four
    (one left out is on)."""

    model_config = ConfigDict(extra="forbid")

    job_received: StrictBool = True
    job_completed: StrictBool = True
    message_received: StrictBool = True
    terms_changed: StrictBool = True

    def wants(self, notification: Notification) -> bool:
        return bool(getattr(self, notification.value))


class Preferences(Protocol):
    def preferences(self, tenant_id: str, contact_id: str) -> NotificationPreferences: ...

    def save_preferences(self, contact: Contact, preferences: NotificationPreferences) -> bool:
        """Store them while the contact exists; False if it is gone."""


class MailLog(Protocol):
    def record_mail(self, contact: Contact, mail: "OutgoingMail", message_id: str) -> None: ...


class MailRequests(Protocol):
    """Marks that make a queued mail go once (the activation store keeps them)."""

    def claim_request(self, tenant_id: str, contact_id: str, request_id: str) -> bool: ...

    def complete_request(self, tenant_id: str, contact_id: str, request_id: str) -> None: ...


def get_preferences(preferences: Preferences, contact: Contact) -> NotificationPreferences:
    return preferences.preferences(contact.tenant_id, contact.id)


def put_preferences(
    preferences: Preferences, contact: Contact, wanted: NotificationPreferences
) -> NotificationPreferences:
    """Set the contact's preferences (staff for a contact, or the customer for themselves)."""
    if not preferences.save_preferences(contact, wanted):
        raise not_found("Contact")
    return wanted


# --- job mails ---------------------------------------------------------------------------------


class QueuedJobMail(Model):
    """A message on the mail queue: a job was received or completed."""

    kind: Literal["job_received", "job_completed"]
    request_id: str
    tenant_id: str
    job_id: str


def queue_job_mail(queue: MessageQueue, kind: Notification, tenant_id: str, job_id: str) -> None:
    """Queue the job's mail. A notification is not worth failing the job's request for: if the
    queue refuses, that is logged and the request goes on."""
    message = QueuedJobMail(kind=kind.value, request_id=new_id(), tenant_id=tenant_id, job_id=job_id)
    try:
        queue.enqueue([message])
    except Exception:
        logger.exception("The job mail could not be queued", extra={"job_id": job_id, "kind": kind.value})


def receives_mail(contact: Contact) -> bool:
    """Whether the contact's address can receive mail: there is one, its domain is not reserved as
    undeliverable (RFC 2606 `.invalid`, RFC 6761 `.localhost`), and the contact is not being deleted."""
    domain = contact.email.rpartition("@")[2].rstrip(".").lower()
    if not contact.email or "@" not in contact.email or not domain or contact.deleting:
        return False
    return not (domain.endswith(".invalid") or domain == "invalid" or domain.endswith(".localhost"))


def send_job_mail(
    contacts: ContactRepository,
    tenants: TenantRepository,
    jobs: "JobRepository",
    preferences: Preferences,
    requests: MailRequests,
    log: MailLog,
    mailer: "Mailer",
    message: QueuedJobMail,
) -> bool:
    """Send one queued job mail if the contact wants it and can receive it; a repeated message
    sends nothing. False if nothing was sent."""
    from pforte.mail.messages import job_mail

    job = jobs.get(message.tenant_id, message.job_id)
    if job is None:
        return False  # deleted with its contact meanwhile
    if not requests.claim_request(job.tenant_id, job.contact_id, message.request_id):
        return False
    sent = False
    notification = Notification(message.kind)
    contact = contacts.get(job.tenant_id, job.contact_id)
    tenant = tenants.get(job.tenant_id)
    if (
        contact is not None
        and tenant is not None
        and receives_mail(contact)
        and get_preferences(preferences, contact).wants(notification)
    ):
        mail = job_mail(
            tenant, contact, notification.value, job.title, f"{tenant.portal_base_url}/jobs/{job.id}"
        )
        log.record_mail(contact, mail, mailer.send(mail))
        sent = True
    requests.complete_request(job.tenant_id, job.contact_id, message.request_id)
    return sent
