"""Consents: what a contact agreed to be contacted by, per channel of the tenant, and its history.

An email channel is double opt-in: granting it makes it `pending` and mails a single-use,
expiring link (`<tenant>.<secret>`, only the SHA-256 stored, as activation links); the link makes
it `granted` and keeps the proof (time, source address, user agent). Withdrawing is immediate.
Every change that moves the status writes an immutable history entry and, when it enters or
leaves `granted`, moves the summary's counter, all in one transaction.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import ConfigDict, Field, StrictBool

from pforte.contacts.service import Contact, ContactRepository, get_contact
from pforte.core.clock import new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode, must_exist
from pforte.core.fields import Timestamp
from pforte.core.identity import Actor, Customer, LinkToken
from pforte.core.model import Model
from pforte.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, decode_cursor, encode_cursor
from pforte.core.ports import MessageQueue
from pforte.core.retry import Retry, with_retries
from pforte.mail.messages import Mailer, OutgoingMail, consent_confirmation_mail, without_secret
from pforte.tenants.service import ChannelType, ConsentChannel, Tenant, TenantRepository, get_tenant

MAX_FAILED_ATTEMPTS = 10  # per source address and window, as for activation links


class ConsentStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"  # granted on an email channel, the mailed link not used yet
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentSource(StrEnum):
    STAFF = "staff"
    FORM = "form"
    PHONE = "phone"
    LETTER = "letter"
    CONFIRMATION_LINK = "confirmation_link"  # the customer used the double opt-in link


class AuthorKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    LINK = "link"  # whoever opened the mailed link: the proof says from where


# --- the rules ----------------------------------------------------------------------------------


def needs_confirmation(channel: ConsentChannel) -> bool:
    """Email consent is double opt-in: the mailbox's owner confirms it."""
    return channel.type is ChannelType.EMAIL


def next_status(current: ConsentStatus, granted: bool, double_opt_in: bool) -> ConsentStatus:
    """The status a grant or withdrawal leads to. A grant of a double opt-in channel waits for
    the link (unless granted already); withdrawing ends a grant or a pending one at once; what
    was never granted stays as it is."""
    if granted:
        if current is ConsentStatus.GRANTED or not double_opt_in:
            return ConsentStatus.GRANTED
        return ConsentStatus.PENDING
    if current in (ConsentStatus.GRANTED, ConsentStatus.PENDING):
        return ConsentStatus.WITHDRAWN
    return current


def granted_delta(before: ConsentStatus, after: ConsentStatus) -> int:
    """How the count of granted consents moves with a change from `before` to `after`."""
    return int(after is ConsentStatus.GRANTED) - int(before is ConsentStatus.GRANTED)


# --- stored shapes ------------------------------------------------------------------------------


class ConsentProof(Model):
    """Who confirmed a double opt-in, as far as the request tells."""

    confirmed_at: Timestamp
    source_ip: str
    user_agent: str | None


class ConsentState(Model):
    """The contact's current consent on one channel; `version` guards concurrent changes
    (0: nothing stored yet)."""

    channel: str
    status: ConsentStatus = ConsentStatus.NONE
    changed_at: datetime | None = None
    source: ConsentSource | None = None
    wording_version: int | None = None
    proof: ConsentProof | None = None
    # While pending: the request whose mail carries the link, and the link once issued.
    request_id: str | None = None
    pending_digest: str | None = None
    pending_expires_at: datetime | None = None
    mailed_request: str | None = None
    version: int = 0


class HistoryEntry(Model):
    id: str
    channel: str
    at: Timestamp
    by_kind: AuthorKind
    by_id: str | None = Field(
        default=None, description="The staff user's id, or the contact's id for the customer."
    )
    from_status: ConsentStatus
    to_status: ConsentStatus
    source: ConsentSource
    note: str | None = None
    wording_version: int
    wording: str
    proof: ConsentProof | None = None


@dataclass(frozen=True)
class Author:
    kind: AuthorKind
    id: str | None

    @classmethod
    def staff(cls, actor: Actor) -> "Author":
        return cls(AuthorKind.STAFF, actor.user_id)

    @classmethod
    def customer(cls, customer: Customer) -> "Author":
        return cls(AuthorKind.CUSTOMER, customer.contact_id)


class ConfirmationToken(LinkToken):
    """The secret of a consent confirmation link."""


@dataclass(frozen=True)
class PendingLink:
    """What the store knows of a confirmation link."""

    tenant_id: str
    contact_id: str
    channel: str
    digest: str
    expires_at: datetime


# --- ports ----------------------------------------------------------------------------------------


class ConsentRepository(Protocol):
    def states(self, tenant_id: str, contact_id: str) -> list[ConsentState]:
        """Every stored consent state of the contact (one per channel it ever had one on)."""

    def state(self, tenant_id: str, contact_id: str, channel: str) -> ConsentState | None: ...

    def change(
        self, contact: Contact, before: ConsentState, after: ConsentState, entry: HistoryEntry | None
    ) -> bool:
        """Store `after` if the stored state is still `before` (by version) and the contact still
        exists, with the history entry and the granted count's move, all or nothing; a pending
        link `before` had and `after` has not is removed. False if the state changed meanwhile."""

    def history(self, tenant_id: str, contact_id: str, limit: int, after: str | None) -> Page[HistoryEntry]:
        """History entries newest first, after the entry id `after`."""

    def issue_link(self, contact: Contact, state: ConsentState, link: PendingLink) -> bool:
        """Store the link as the pending state's only one (an older one stops working), if the
        state is still pending for the same request, not mailed yet; False otherwise."""

    def find_link(self, tenant_id: str, digest: str) -> PendingLink | None: ...

    def record_sent(self, contact: Contact, state: ConsentState, mail: OutgoingMail, message_id: str) -> None:
        """Mark the state's request as mailed and log the mail."""


class ConfirmationAttempts(Protocol):
    """Failed tries per source address, to slow down guessing."""

    def blocked_for(self, source: str) -> int: ...

    def record_failure(self, source: str) -> None: ...


# --- API shapes -----------------------------------------------------------------------------------


class ConsentOut(Model):
    channel: str
    type: ChannelType
    wording: str
    wording_version: int = Field(description="The channel's current wording version.")
    status: ConsentStatus
    changed_at: Timestamp | None
    source: ConsentSource | None
    granted_wording_version: int | None = Field(
        description="The wording version of the last change (what was agreed to, if granted)."
    )
    proof: ConsentProof | None

    @classmethod
    def of(cls, channel: ConsentChannel, state: ConsentState) -> "ConsentOut":
        return cls(
            channel=channel.key,
            type=channel.type,
            wording=channel.wording,
            wording_version=channel.wording_version,
            status=state.status,
            changed_at=state.changed_at,
            source=state.source,
            granted_wording_version=state.wording_version,
            proof=state.proof,
        )


class ConsentList(Model):
    items: list[ConsentOut]


class ConsentChange(Model):
    """Staff record a grant or a withdrawal, and how it reached them."""

    model_config = ConfigDict(extra="forbid")

    granted: StrictBool
    # Plain values: a refusal lists them as the client sends them.
    source: Literal["staff", "form", "phone", "letter"]
    note: str | None = Field(default=None, max_length=1000)


class OwnConsentChange(Model):
    """The customer's own grant or withdrawal (its source is the form)."""

    model_config = ConfigDict(extra="forbid")

    granted: StrictBool


class HistoryPage(Model):
    items: list[HistoryEntry]
    next_cursor: str | None


class ConfirmationRequest(Model):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)


class Confirmed(Model):
    channel: str
    status: ConsentStatus


# --- services -------------------------------------------------------------------------------------


def _channel(tenant: Tenant, key: str) -> ConsentChannel:
    channel = tenant.consent_channel(key)
    if channel is None:
        raise DomainError(ErrorCode.UNKNOWN_CONSENT_CHANNEL, f"The tenant has no consent channel {key!r}.")
    return channel


def consents_of(tenant: Tenant, consents: ConsentRepository, contact: Contact) -> ConsentList:
    """The contact's consent on each of the tenant's channels (`none` where it never had one)."""
    stored = {state.channel: state for state in consents.states(tenant.id, contact.id)}
    return ConsentList(
        items=[
            ConsentOut.of(channel, stored.get(channel.key) or ConsentState(channel=channel.key))
            for channel in tenant.consent_channels
        ]
    )


def list_consents(
    contacts: ContactRepository,
    tenants: TenantRepository,
    consents: ConsentRepository,
    actor: Actor,
    contact_id: str,
) -> ConsentList:
    contact = get_contact(contacts, actor, contact_id)
    return consents_of(get_tenant(tenants, actor), consents, contact)


class ConfirmationMailRequest(Model):
    """A message on the mail queue: mail the confirmation link of a pending consent."""

    kind: Literal["consent_confirmation"] = "consent_confirmation"
    request_id: str
    tenant_id: str
    contact_id: str
    channel: str


def _moved(
    state: ConsentState,
    channel: ConsentChannel,
    status: ConsentStatus,
    source: ConsentSource,
    author: Author,
    now: datetime,
    *,
    note: str | None = None,
    proof: ConsentProof | None = None,
) -> tuple[ConsentState, HistoryEntry]:
    """`state` moved to `status` under the channel's current wording, and the history entry that
    records the move: every change of a consent's status is written this way."""
    after = state.model_copy(
        update={
            "status": status,
            "changed_at": now,
            "source": source,
            "wording_version": channel.wording_version,
            "proof": proof,
        }
    )
    entry = HistoryEntry(
        id=new_id(),
        channel=channel.key,
        at=now,
        by_kind=author.kind,
        by_id=author.id,
        from_status=state.status,
        to_status=status,
        source=source,
        note=note,
        wording_version=channel.wording_version,
        wording=channel.wording,
        proof=proof,
    )
    return after, entry


def set_consent(
    tenant: Tenant,
    consents: ConsentRepository,
    queue: MessageQueue,
    contact: Contact,
    channel_key: str,
    granted: bool,
    source: ConsentSource,
    author: Author,
    note: str | None = None,
) -> ConsentOut:
    """Grant or withdraw the contact's consent on a channel: the one place every change by staff
    or the customer goes through. A grant of an email channel is pending until its link is used;
    granting a pending one again mails a new link."""
    channel = _channel(tenant, channel_key)
    double_opt_in = needs_confirmation(channel)

    def attempt() -> ConsentState:
        before = consents.state(tenant.id, contact.id, channel.key) or ConsentState(channel=channel.key)
        status = next_status(before.status, granted, double_opt_in)
        resend = status is ConsentStatus.PENDING and before.status is ConsentStatus.PENDING
        if status is before.status and not resend:
            return before
        now = utcnow()
        after = before.model_copy(
            update={
                "version": before.version + 1,
                "request_id": new_id() if status is ConsentStatus.PENDING else None,
                "mailed_request": before.mailed_request if status is ConsentStatus.PENDING else None,
                # The older link stops working: the new request's mail carries the only valid one.
                "pending_digest": None,
                "pending_expires_at": None,
            }
        )
        entry = None
        if status is not before.status:
            after, entry = _moved(after, channel, status, source, author, now, note=note)
        if not consents.change(contact, before, after, entry):
            raise Retry
        if after.status is ConsentStatus.PENDING and after.request_id:
            queue.enqueue(
                [
                    ConfirmationMailRequest(
                        request_id=after.request_id,
                        tenant_id=tenant.id,
                        contact_id=contact.id,
                        channel=channel.key,
                    )
                ]
            )
        return after

    state = with_retries(attempt, exhausted=_conflict)
    return ConsentOut.of(channel, state)


def _conflict() -> DomainError:
    return DomainError(ErrorCode.CONFLICT, "The consent changed meanwhile; try again.")


def change_consent(
    contacts: ContactRepository,
    tenants: TenantRepository,
    consents: ConsentRepository,
    queue: MessageQueue,
    actor: Actor,
    contact_id: str,
    channel: str,
    change: ConsentChange,
) -> ConsentOut:
    """Staff record the contact's grant or withdrawal."""
    contact = get_contact(contacts, actor, contact_id)
    tenant = get_tenant(tenants, actor)
    return set_consent(
        tenant,
        consents,
        queue,
        contact,
        channel,
        change.granted,
        ConsentSource(change.source),
        Author.staff(actor),
        change.note,
    )


def own_consents(tenants: TenantRepository, consents: ConsentRepository, contact: Contact) -> ConsentList:
    """The signed-in customer's consents (`contact` as `terms.signed_in_contact` found it)."""
    return consents_of(must_exist(tenants.get(contact.tenant_id), "Tenant"), consents, contact)


def own_consent(
    tenants: TenantRepository, consents: ConsentRepository, contact: Contact, channel: str
) -> ConsentOut:
    """The signed-in customer's consent on one channel (404 `unknown_consent_channel` if the
    tenant has none of that name)."""
    tenant = must_exist(tenants.get(contact.tenant_id), "Tenant")
    key = _channel(tenant, channel).key
    return next(item for item in consents_of(tenant, consents, contact).items if item.channel == key)


def change_own_consent(
    tenants: TenantRepository,
    consents: ConsentRepository,
    queue: MessageQueue,
    customer: Customer,
    contact: Contact,
    channel: str,
    change: OwnConsentChange,
) -> ConsentOut:
    """The signed-in customer grants or withdraws a consent themselves, through the portal's form."""
    tenant = must_exist(tenants.get(contact.tenant_id), "Tenant")
    return set_consent(
        tenant,
        consents,
        queue,
        contact,
        channel,
        change.granted,
        ConsentSource.FORM,
        Author.customer(customer),
    )


def consent_history(
    contacts: ContactRepository,
    consents: ConsentRepository,
    actor: Actor,
    contact_id: str,
    limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> HistoryPage:
    contact = get_contact(contacts, actor, contact_id)
    page = consents.history(
        actor.tenant_id, contact.id, min(max(limit, 1), MAX_PAGE_SIZE), decode_cursor(cursor)
    )
    return HistoryPage(items=list(page.items), next_cursor=encode_cursor(page.after))


# --- the confirmation mail and its link ------------------------------------------------------------


def send_confirmation(
    contacts: ContactRepository,
    tenants: TenantRepository,
    consents: ConsentRepository,
    mailer: Mailer,
    message: ConfirmationMailRequest,
) -> bool:
    """The mail worker's part: issue the link of a still pending consent and mail it. Nothing is
    sent for a consent withdrawn or granted again since, or already mailed (a repeated message);
    False then."""
    contact = contacts.get(message.tenant_id, message.contact_id)
    tenant = tenants.get(message.tenant_id)
    state = consents.state(message.tenant_id, message.contact_id, message.channel)
    if (
        contact is None
        or contact.deleting
        or tenant is None
        or state is None
        or state.status is not ConsentStatus.PENDING
        or state.request_id != message.request_id
        or state.mailed_request == message.request_id
    ):
        return False
    channel = tenant.consent_channel(message.channel)
    if channel is None:
        return False  # the tenant removed the channel meanwhile
    token = ConfirmationToken.new(tenant.id)
    expires_at = utcnow() + timedelta(days=tenant.activation_link_days)
    link = PendingLink(tenant.id, contact.id, channel.key, token.digest, expires_at)
    if not consents.issue_link(contact, state, link):
        return False
    mail = consent_confirmation_mail(
        tenant,
        contact,
        f"{tenant.portal_base_url}/confirm-consent?token={token}",
        expires_at,
        channel.wording,
    )
    message_id = mailer.send(mail)
    consents.record_sent(contact, state, without_secret(mail, str(token), f"{tenant.id}.…"), message_id)
    return True


def token_invalid() -> DomainError:
    # One answer for unknown, used, replaced and expired links alike.
    return DomainError(ErrorCode.TOKEN_INVALID, "This confirmation link is not valid (any more).")


def confirm(
    contacts: ContactRepository,
    tenants: TenantRepository,
    consents: ConsentRepository,
    attempts: ConfirmationAttempts,
    request: ConfirmationRequest,
    source_ip: str,
    user_agent: str | None,
) -> Confirmed:
    """The customer uses the mailed link: the consent is granted, with the proof of who did."""
    wait = attempts.blocked_for(source_ip)
    if wait:
        raise DomainError(
            ErrorCode.RATE_LIMITED, "Too many failed attempts; try again later.", retry_after=wait
        )
    token = ConfirmationToken.parse(request.token)
    link = consents.find_link(token.tenant_id, token.digest) if token else None
    contact = contacts.get(link.tenant_id, link.contact_id) if link else None
    tenant = tenants.get(link.tenant_id) if link else None
    state = consents.state(link.tenant_id, link.contact_id, link.channel) if link else None
    channel = tenant.consent_channel(link.channel) if tenant and link else None
    now = utcnow()
    if (
        link is None
        or contact is None
        or contact.deleting
        or channel is None
        or state is None
        or state.status is not ConsentStatus.PENDING
        or state.pending_digest != link.digest
        or link.expires_at <= now
    ):
        attempts.record_failure(source_ip)
        raise token_invalid()
    proof = ConsentProof(
        confirmed_at=now, source_ip=source_ip, user_agent=user_agent[:512] if user_agent else None
    )
    unpending = state.model_copy(
        update={
            "version": state.version + 1,
            "request_id": None,
            "mailed_request": None,
            "pending_digest": None,
            "pending_expires_at": None,
        }
    )
    after, entry = _moved(
        unpending,
        channel,
        ConsentStatus.GRANTED,
        ConsentSource.CONFIRMATION_LINK,
        Author(AuthorKind.LINK, None),
        now,
        proof=proof,
    )
    if not consents.change(contact, state, after, entry):
        raise token_invalid()  # used or replaced meanwhile
    return Confirmed(channel=channel.key, status=ConsentStatus.GRANTED)
