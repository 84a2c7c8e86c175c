"""Activation: the single-use, expiring links that turn a contact into an active account.

A link carries `<tenant>.<secret>`: 256 random bits, of which only the SHA-256 is stored. A newer
link replaces the older one. Public answers never tell whether an address or a token exists.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import ConfigDict, Field

from pforte.contacts.lifecycle import (
    LoginIdentities,
    WeakPassword,
    check_password,
    weak_password,
)
from pforte.contacts.service import Contact, ContactRepository, ContactStatus, get_contact
from pforte.contacts.status import Change, allows, check, moved
from pforte.core.bulk import BulkResult, BulkStatus, per_id
from pforte.core.clock import new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode, FieldError
from pforte.core.fields import Timestamp
from pforte.core.identity import Actor, LinkToken, Role
from pforte.core.model import Model
from pforte.core.ports import MessageQueue
from pforte.mail.messages import Mailer, OutgoingMail, activation_mail, without_secret
from pforte.tenants.service import Tenant, TenantRepository, get_tenant

MAX_FAILED_ATTEMPTS = 10
ATTEMPT_WINDOW = timedelta(minutes=15)


class ActivationToken(LinkToken):
    """The secret of an activation link."""


class LinkPurpose(StrEnum):
    """Why a link was sent, which decides its mail and whether using it needs a password."""

    INVITATION = "invitation"  # staff asked: the customer chooses the password
    REGISTRATION = "registration"  # a new address registered itself: the link confirms that password
    # An address the tenant knew registered itself: the mailbox's owner chooses the password, so
    # that nobody gets into an account with its data by typing its address.
    REGISTRATION_OF_KNOWN_ADDRESS = "registration_of_known_address"


@dataclass(frozen=True)
class IssuedLink:
    """What the store knows of a link: whose it is, until when it works, and why it was sent."""

    tenant_id: str
    contact_id: str
    digest: str
    expires_at: datetime
    purpose: LinkPurpose = LinkPurpose.INVITATION
    contact_version: int | None = None  # the contact as the link's mail left it

    def needs_password(self, contact: Contact) -> bool:
        """Whether using the link must set the password. Only a new address's registration link
        confirms the password given at registration, and only while the contact is as that left
        it: a job or a change since (a new version) may be the owner's data, not the registrant's."""
        return self.purpose is not LinkPurpose.REGISTRATION or contact.version != self.contact_version


class ActivationRepository(Protocol):
    def issue(self, contact: Contact, link: IssuedLink) -> None:
        """Store the link as the contact's only valid one (an older one stops working)."""

    def find(self, tenant_id: str, digest: str) -> IssuedLink | None:
        """The link with this digest if it is its contact's current one."""

    def consume(self, link: IssuedLink, contact: Contact, previous: Contact) -> bool:
        """Use the link up and store the activated contact, all or nothing; False if the link was
        used meanwhile or the contact changed."""

    def record_sent(self, contact: Contact, previous: Contact, mail: OutgoingMail, message_id: str) -> None:
        """Store the contact (now invited) and the sent mail in its mail log."""

    def claim_request(self, tenant_id: str, contact_id: str, request_id: str) -> bool:
        """True the first time a queued request is handled (or while it never finished)."""

    def complete_request(self, tenant_id: str, contact_id: str, request_id: str) -> None: ...


class FailedAttempts(Protocol):
    """Failed tries per source address, to slow down guessing."""

    def blocked_for(self, source: str) -> int:
        """Seconds until `source` may try again; 0 if it may now."""

    def record_failure(self, source: str) -> None: ...


class ActivationRequested(Model):
    invitation_sent_at: Timestamp
    expires_at: Timestamp


class ActivationRequest(Model):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=1, max_length=256)


class Activated(Model):
    status: ContactStatus


def token_invalid() -> DomainError:
    # One answer for unknown, used, replaced and expired links alike.
    return DomainError(ErrorCode.TOKEN_INVALID, "This activation link is not valid (any more).")


def request_activation(
    contacts: ContactRepository,
    tenants: TenantRepository,
    activations: ActivationRepository,
    mailer: Mailer,
    actor: Actor,
    contact_id: str,
) -> ActivationRequested:
    """Mail the contact a new activation link; the link is stored before the mail goes out."""
    contact = get_contact(contacts, actor, contact_id)
    check(contact, Change.REQUEST_ACTIVATION)
    return send_activation(get_tenant(tenants, actor), activations, mailer, contact)


def send_activation(
    tenant: Tenant,
    activations: ActivationRepository,
    mailer: Mailer,
    contact: Contact,
    purpose: LinkPurpose = LinkPurpose.INVITATION,
) -> ActivationRequested:
    """Issue a new activation link for the contact (replacing an older one) and mail it."""
    now = utcnow()
    token = ActivationToken.new(tenant.id)
    expires_at = now + timedelta(days=tenant.activation_link_days)
    invited = contact.model_copy(
        update={"invitation_sent_at": now, "updated_at": now, "version": contact.version + 1}
    )
    link = IssuedLink(tenant.id, contact.id, token.digest, expires_at, purpose, invited.version)
    activations.issue(contact, link)
    mail = activation_mail(
        tenant,
        contact,
        f"{tenant.portal_base_url}/activate?token={token}",
        link.expires_at,
        registered=purpose is not LinkPurpose.INVITATION,
    )
    message_id = mailer.send(mail)
    activations.record_sent(invited, contact, without_secret(mail, str(token), f"{tenant.id}.…"), message_id)
    return ActivationRequested(invitation_sent_at=now, expires_at=link.expires_at)


def activate(
    contacts: ContactRepository,
    activations: ActivationRepository,
    logins: LoginIdentities,
    attempts: FailedAttempts,
    request: ActivationRequest,
    source: str,
) -> Activated:
    """A customer uses an activation link: the identity is created (or confirmed), the contact
    becomes active, the link is used up."""
    wait = attempts.blocked_for(source)
    if wait:
        raise DomainError(
            ErrorCode.RATE_LIMITED, "Too many failed attempts; try again later.", retry_after=wait
        )
    token = ActivationToken.parse(request.token)
    link = activations.find(token.tenant_id, token.digest) if token else None
    contact = contacts.get(link.tenant_id, link.contact_id) if link else None
    if (
        link is None
        or contact is None
        or contact.deleting
        or link.expires_at <= utcnow()
        or not allows(contact, Change.USE_ACTIVATION_LINK)
    ):
        attempts.record_failure(source)
        raise token_invalid()
    if request.password:
        check_password(request.password)  # before anything is made; the link stays usable
        try:
            # A new identity, or the registered one with the password chosen now: the password
            # the customer sets last is the one that works.
            logins.create(contact, request.password)
        except WeakPassword as error:
            if contact.status is ContactStatus.NOT_REGISTERED:
                logins.delete(contact)  # nothing half-made stays behind
            raise weak_password(error) from None
        if contact.status is ContactStatus.INACTIVE:
            logins.confirm_and_enable(contact)
    elif link.needs_password(contact) or contact.status is not ContactStatus.INACTIVE:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "Choose a password to activate the account.",
            [FieldError("password", "Field required")],
        )
    else:
        logins.confirm_and_enable(contact)  # registered with a password of its own
    if not activations.consume(link, moved(contact, Change.USE_ACTIVATION_LINK), previous=contact):
        # The link was used or replaced meanwhile: the login made for it must not outlive it.
        if contact.status is ContactStatus.NOT_REGISTERED:
            logins.delete(contact)
        raise token_invalid()
    return Activated(status=ContactStatus.ACTIVE)


# --- many at once: queued, mailed by a worker at the rate SES allows ------------------------------


class QueuedActivation(Model):
    """A message on the mail queue."""

    kind: Literal["activation"] = "activation"
    request_id: str
    tenant_id: str
    contact_id: str
    requested_by: str


def queue_activation_requests(
    contacts: ContactRepository, queue: MessageQueue, actor: Actor, ids: Sequence[str]
) -> list[BulkResult]:
    """Check each contact now, queue the mails of those that may get one; one result per id."""
    messages: list[QueuedActivation] = []

    def queue_one(contact_id: str) -> None:
        contact = get_contact(contacts, actor, contact_id)
        check(contact, Change.REQUEST_ACTIVATION)
        messages.append(
            QueuedActivation(
                request_id=new_id(),
                tenant_id=actor.tenant_id,
                contact_id=contact.id,
                requested_by=actor.user_id,
            )
        )

    results = per_id(ids, queue_one, BulkStatus.QUEUED)
    queue.enqueue(messages)
    return results


def send_queued_activation(
    contacts: ContactRepository,
    tenants: TenantRepository,
    activations: ActivationRepository,
    mailer: Mailer,
    message: QueuedActivation,
) -> bool:
    """Send one queued activation mail; a repeated message sends nothing. False if skipped."""
    if not activations.claim_request(message.tenant_id, message.contact_id, message.request_id):
        return False
    actor = Actor(tenant_id=message.tenant_id, user_id=message.requested_by, role=Role.OPERATOR)
    try:
        request_activation(contacts, tenants, activations, mailer, actor, message.contact_id)
    except DomainError as error:
        # Deleted or activated since it was queued: nothing to send, nothing to retry.
        if error.code not in (ErrorCode.NOT_FOUND, ErrorCode.INVALID_TRANSITION):
            raise
        sent = False
    else:
        sent = True
    activations.complete_request(message.tenant_id, message.contact_id, message.request_id)
    return sent
