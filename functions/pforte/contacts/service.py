"""Contacts: the tenant's customers, their list, and the rules for adding and changing them.

Plain Python: services take a repository, so the rules run on fakes as well as on DynamoDB.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import ConfigDict, Field

from pforte.core import retry
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode, FieldError, not_found
from pforte.core.fields import EmailAddress, Language, Name, OptionalText, Timestamp, comparable, email_key
from pforte.core.identity import Actor
from pforte.core.model import Model
from pforte.core.pagination import Page

if TYPE_CHECKING:
    from pforte.jobs.service import Job


class ContactStatus(StrEnum):
    NOT_REGISTERED = "not_registered"
    INACTIVE = "inactive"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class Contact(Model):
    """A contact as the domain knows it; `version` guards against lost concurrent updates."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str
    tenant_id: str
    name: str
    email: str
    company: str | None = None
    language: Language = Language.DE
    status: ContactStatus = ContactStatus.NOT_REGISTERED
    invitation_sent_at: datetime | None = None
    terms_accepted_at: datetime | None = None
    # The terms version accepted: once the tenant uploads newer terms, the acceptance no longer
    # counts (and no contact needs rewriting).
    terms_version: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    # Set while a delete too large for one transaction is under way; such a contact is gone to users.
    deleting: bool = False

    @property
    def email_key(self) -> str:
        return email_key(self.email)


# --- API shapes ---------------------------------------------------------------------------------


class ContactCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailAddress
    company: OptionalText = None
    language: Language | None = Field(default=None, description="Defaults to the tenant's language.")


class ContactPatch(Model):
    """Fields to change; `null` clears `company` and is refused for the required fields."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: EmailAddress | None = None
    company: OptionalText = None
    language: Language | None = None


REQUIRED_ON_PATCH = ("name", "email", "language")


class ContactOut(Model):
    id: str
    name: str
    email: str
    company: str | None
    language: Language
    status: ContactStatus
    invitation_sent_at: Timestamp | None
    terms_accepted_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, contact: Contact, current_terms: str | None) -> ContactOut:
        """The contact as the API shows it; `terms_accepted_at` only for the current terms."""
        shown = contact.model_dump(exclude={"tenant_id", "version", "deleting", "terms_version"})
        shown["terms_accepted_at"] = terms_accepted_at(contact, current_terms)
        return cls.model_validate(shown)


def terms_accepted_at(contact: Contact, current_terms: str | None) -> datetime | None:
    """When the contact accepted the tenant's current terms; None if it accepted older ones."""
    if current_terms is None or contact.terms_version != current_terms:
        return None
    return contact.terms_accepted_at


class ContactPage(Model):
    items: list[ContactOut]
    next_cursor: str | None


class ContactQuery(Model):
    """Filters of the contact list; an empty query lists everything."""

    model_config = ConfigDict(frozen=True)

    status: ContactStatus | None = None
    q: str | None = None
    company: str | None = None
    invited: bool | None = None

    @property
    def is_filtered(self) -> bool:
        return any(value is not None for value in (self.q, self.company, self.invited, self.status))

    def matches(self, contact: Contact) -> bool:
        """The one definition of what each filter means, used by every repository."""
        if self.status is not None and contact.status is not self.status:
            return False
        if self.invited is not None and (contact.invitation_sent_at is not None) is not self.invited:
            return False
        if self.company is not None and comparable(contact.company or "") != comparable(self.company.strip()):
            return False
        if self.q:
            needle = comparable(self.q.strip())
            haystack = (contact.name, contact.email, contact.company or "")
            if not any(needle in comparable(text) for text in haystack):
                return False
        return True


# --- storage port -------------------------------------------------------------------------------


class EmailTaken(Exception):
    """Raised by a repository when the address already belongs to another contact of the tenant."""


class StaleContact(Exception):
    """Raised by a repository when the contact changed (or vanished) since it was read."""


@dataclass(frozen=True)
class Dependents:
    """What depends on a contact, as one consistent read of its partition found it: its jobs, and
    what else the repository needs to delete it all (opaque to the rules)."""

    jobs: tuple[Job, ...]
    items: tuple[Any, ...] = ()


class ContactRepository(Protocol):
    def get(self, tenant_id: str, contact_id: str) -> Contact | None: ...

    def add(self, contact: Contact) -> None:
        """Store a new contact and claim its address; EmailTaken if the address is in use."""

    def replace(self, contact: Contact, previous: Contact) -> None:
        """Store a changed contact over `previous` (same version); moves the address claim if needed."""

    def dependents(self, contact: Contact) -> Dependents:
        """Everything in the contact's partition, read once and consistently."""

    def remove(
        self,
        contact: Contact,
        dependents: Dependents,
        on_commit: Callable[[Sequence[str]], None] | None = None,
    ) -> None:
        """Delete the contact, its address claim, its jobs and all else that depends on it (as read:
        `dependents`), all or nothing; StaleContact if any of it changed meanwhile. A delete too
        large for one transaction calls `on_commit` with every job id once it can no longer be
        refused (the contact frozen), before it deletes anything."""

    def page(self, tenant_id: str, query: ContactQuery, after: str | None, limit: int) -> Page[Contact]:
        """Newest first, after the contact with id `after`; may come back short when filtered."""


class ContactFinder(Protocol):
    def by_email(self, tenant_id: str, email_key: str) -> Contact | None:
        """The tenant's contact of this comparable address, if there is one."""


# --- services -----------------------------------------------------------------------------------


def _email_taken(email: str) -> DomainError:
    return DomainError(
        ErrorCode.EMAIL_TAKEN,
        "Another contact already uses this email address.",
        [FieldError("email", f"{email} is already in use")],
    )


def new_contact(tenant_id: str, data: ContactCreate, default_language: Language) -> Contact:
    """A contact as it starts: not registered, in its language or the tenant's."""
    now = utcnow()
    return Contact(
        id=new_id(),
        tenant_id=tenant_id,
        name=data.name,
        email=data.email,
        company=data.company,
        language=data.language or default_language,
        created_at=now,
        updated_at=now,
    )


def create_contact(
    contacts: ContactRepository, actor: Actor, data: ContactCreate, default_language: Language
) -> Contact:
    contact = new_contact(actor.tenant_id, data, default_language)
    try:
        contacts.add(contact)
    except EmailTaken:
        raise _email_taken(data.email) from None
    return contact


def get_contact(
    contacts: ContactRepository, actor: Actor, contact_id: str, *, deleting: bool = False
) -> Contact:
    """The contact, or 404; one whose deletion is under way only when asked for (`deleting`)."""
    # Ids are checked before they reach a key; another tenant's contact is simply not there.
    contact = contacts.get(actor.tenant_id, contact_id) if is_id(contact_id) else None
    if contact is None or (contact.deleting and not deleting):
        raise not_found("Contact")
    return contact


def _apply_patch(contact: Contact, patch: ContactPatch) -> Contact:
    given = patch.model_fields_set
    cleared = [name for name in REQUIRED_ON_PATCH if name in given and getattr(patch, name) is None]
    if cleared:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "The request is not valid.",
            [FieldError(name, "This field is required and cannot be cleared.") for name in cleared],
        )
    changes: dict[str, Any] = {name: getattr(patch, name) for name in given}
    if not changes or all(getattr(contact, name) == value for name, value in changes.items()):
        return contact
    return contact.model_copy(update={**changes, "updated_at": utcnow(), "version": contact.version + 1})


Result = TypeVar("Result")


def contact_etag(contact: Contact) -> str:
    """The contact's version as a strong entity tag (`"3"`): it changes with every write."""
    return f'"{contact.version}"'


def _matched_versions(if_match: str) -> frozenset[int] | None:
    """The versions an `If-Match` names (None for `*`: any); an empty set for a value that names
    none, such as a weak or malformed tag (If-Match compares strongly, so those never match)."""
    if if_match.strip() == "*":
        return None
    versions: set[int] = set()
    for tag in if_match.split(","):
        tag = tag.strip()
        if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isascii() and tag[1:-1].isdigit():
            versions.add(int(tag[1:-1]))
    return frozenset(versions)


def _check_precondition(contact: Contact, if_match: str | None) -> None:
    if if_match is None:
        return
    versions = _matched_versions(if_match)
    if versions is not None and contact.version not in versions:
        raise DomainError(
            ErrorCode.PRECONDITION_FAILED,
            "The contact changed since it was read (If-Match); read it again and repeat the change.",
        )


def with_retries(action: Callable[[], Result]) -> Result:
    """Optimistic concurrency: re-read and re-apply when someone else wrote in between; a contact
    that keeps changing is treated as gone."""
    return retry.with_retries(action, on=StaleContact, exhausted=lambda: not_found("Contact"))


def update_contact(
    contacts: ContactRepository,
    actor: Actor,
    contact_id: str,
    patch: ContactPatch,
    sync_login_email: Callable[[Contact], None] | None = None,
    if_match: str | None = None,
) -> Contact:
    """Change a contact. A new address cancels the activation link sent to the old one (so the
    contact counts as not invited) and is given to its login, after the contact is stored: a
    request repeated after a failure there brings the login up to date.

    With `if_match` (an `If-Match` header), the change applies only to the version(s) it names
    (`*`: any); otherwise `precondition_failed`. The check holds for the write itself: the write is
    conditional on the version read, and a write that came between makes the re-read fail it."""

    def attempt() -> Contact:
        current = get_contact(contacts, actor, contact_id)
        _check_precondition(current, if_match)
        changed = _apply_patch(current, patch)
        if changed is not current:
            if changed.email_key != current.email_key:
                changed = changed.model_copy(update={"invitation_sent_at": None})
            try:
                contacts.replace(changed, previous=current)
            except EmailTaken:
                raise _email_taken(changed.email) from None
        if (
            sync_login_email
            and "email" in patch.model_fields_set
            and changed.status is not ContactStatus.NOT_REGISTERED
        ):
            sync_login_email(changed)
        return changed

    return with_retries(attempt)


def list_contacts(
    contacts: ContactRepository, actor: Actor, query: ContactQuery, after: str | None, limit: int
) -> Page[Contact]:
    return contacts.page(actor.tenant_id, query, after, limit)
