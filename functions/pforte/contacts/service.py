"""Contacts: the tenant's customers, their list, and the rules for adding and changing them.

Plain Python: services take a repository, so the rules run on fakes as well as on DynamoDB.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

from pforte.core import retry
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode, FieldError, forbidden, not_found
from pforte.core.fields import EmailAddress, Language, Name, OptionalText, Timestamp, comparable, email_key
from pforte.core.identity import Actor, Customer
from pforte.core.model import Model
from pforte.core.pagination import Page
from pforte.core.patches import refuse_cleared
from pforte.core.phones import DEFAULT_COUNTRY, PhoneInput, invalid_phone, to_e164
from pforte.customfields.service import CustomValues, FieldDefinition, check_values, customer_editable, shown

if TYPE_CHECKING:
    from pforte.jobs.service import Job
    from pforte.tenants.service import Tenant

MAX_CUSTOMER_NUMBER = 32
MAX_CUSTOM_VALUES = 100


def _customer_number(value: str | None) -> str | None:
    if value and not value.isprintable():
        raise ValueError("must be printable characters (no tabs, line breaks or control characters)")
    return value or None


CustomerNumber = Annotated[
    str | None,
    StringConstraints(strip_whitespace=True, max_length=MAX_CUSTOMER_NUMBER),
    AfterValidator(_customer_number),
    Field(description="1-32 printable characters, unique in the tenant (any case); empty or null clears it"),
]
CustomInput = Annotated[
    dict[str, Any],
    Field(
        max_length=MAX_CUSTOM_VALUES,
        description="Values of the tenant's custom fields by key (GET /tenant/custom-fields); null removes one",
    ),
]


def number_key(customer_number: str) -> str:
    """The form in which customer numbers are compared and kept unique: one Unicode form, no case."""
    return comparable(customer_number)


@dataclass(frozen=True)
class ContactRules:
    """What the tenant decides about its contacts' fields: the country national phone numbers
    belong to, and its custom fields."""

    region: str = DEFAULT_COUNTRY
    fields: tuple[FieldDefinition, ...] = ()


def rules_of(tenant: "Tenant | None", fields: Sequence[FieldDefinition]) -> ContactRules:
    return ContactRules(region=tenant.country if tenant else DEFAULT_COUNTRY, fields=tuple(fields))


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
    phone: str | None = None  # E.164
    customer_number: str | None = None
    # The tenant's custom fields by key; a removed field's value stays here, hidden (see `shown`).
    custom: CustomValues = {}
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

    @property
    def number_key(self) -> str | None:
        return number_key(self.customer_number) if self.customer_number else None


# --- API shapes ---------------------------------------------------------------------------------


class ContactCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailAddress
    company: OptionalText = None
    language: Language | None = Field(default=None, description="Defaults to the tenant's language.")
    phone: PhoneInput | None = Field(
        default=None,
        description="International (+41...) or national in the tenant's country; stored as E.164",
    )
    customer_number: CustomerNumber = None
    custom: CustomInput | None = None


class ContactPatch(Model):
    """Fields to change; `null` clears `company` and is refused for the required fields."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: EmailAddress | None = None
    company: OptionalText = None
    language: Language | None = None
    phone: PhoneInput | None = Field(default=None, description="As on create; empty or null clears it")
    customer_number: CustomerNumber = None
    custom: CustomInput | None = None


class ProfilePatch(Model):
    """What customers change of their own account: the custom fields the tenant lets them."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    company: OptionalText = None
    phone: PhoneInput | None = Field(default=None, description="As on create; empty or null clears it")
    custom: CustomInput | None = None


REQUIRED_ON_PATCH = ("name", "email", "language")


class ContactOut(Model):
    id: str
    name: str
    email: str
    company: str | None
    language: Language
    phone: str | None = None
    customer_number: str | None = None
    custom: CustomValues | None = Field(
        default=None,
        description="The custom fields' values by key (on the contact's read and its changes, not in lists)",
    )
    status: ContactStatus
    invitation_sent_at: Timestamp | None
    terms_accepted_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp

    @model_serializer(mode="wrap")
    def _leave_out_what_is_not_there(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The optional fields are left out while they hold nothing, as before they existed.
        data: dict[str, Any] = handler(self)
        for name in ("phone", "customer_number", "custom"):
            if not data.get(name):
                data.pop(name, None)
        return data

    @classmethod
    def of(
        cls,
        contact: Contact,
        current_terms: str | None,
        fields: Sequence[FieldDefinition] | None = None,
        *,
        only: Sequence[str] | None = None,
    ) -> "ContactOut":
        """The contact as the API shows it; `terms_accepted_at` only for the current terms; the
        custom values of the `fields` defined now (of the keys `only`, when given), or none
        without `fields`."""
        data = contact.model_dump(exclude={"tenant_id", "version", "deleting", "terms_version", "custom"})
        data["terms_accepted_at"] = terms_accepted_at(contact, current_terms)
        data["custom"] = None if fields is None else shown(fields, contact.custom, only=only)
        return cls.model_validate(data)


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
            haystack = (contact.name, contact.email, contact.company or "", contact.customer_number or "")
            if not any(needle in comparable(text) for text in haystack):
                return False
        return True


# --- storage port -------------------------------------------------------------------------------


class EmailTaken(Exception):
    """Raised by a repository when the address already belongs to another contact of the tenant."""


class CustomerNumberTaken(Exception):
    """Raised by a repository when the customer number already belongs to another contact."""


class StaleContact(Exception):
    """Raised by a repository when the contact changed (or vanished) since it was read."""


@dataclass(frozen=True)
class Dependents:
    """What depends on a contact, as one consistent read of its partition found it: its jobs, and
    what else the repository needs to delete it all (opaque to the rules)."""

    jobs: "tuple[Job, ...]"
    items: tuple[Any, ...] = ()


# Called by a delete too large for one transaction, with every job id of the contact.
OnCommit = Callable[[Sequence[str]], None]


class ContactRepository(Protocol):
    def get(self, tenant_id: str, contact_id: str) -> Contact | None: ...

    def add(self, contact: Contact) -> None:
        """Store a new contact and claim its address and customer number; EmailTaken or
        CustomerNumberTaken if one is in use."""

    def replace(self, contact: Contact, previous: Contact) -> None:
        """Store a changed contact over `previous` (same version); moves the address and customer
        number claims if needed."""

    def dependents(self, contact: Contact) -> Dependents:
        """Everything in the contact's partition, read once and consistently."""

    def remove(self, contact: Contact, dependents: Dependents, on_commit: OnCommit | None = None) -> None:
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


def _number_taken(number: str) -> DomainError:
    return DomainError(
        ErrorCode.CUSTOMER_NUMBER_TAKEN,
        "Another contact already has this customer number.",
        [FieldError("customer_number", f"{number} is already in use")],
    )


def _phone(raw: str | None, region: str) -> str | None:
    """The number in E.164 (None for none); 422 `invalid_phone` if it is not one."""
    if not raw:
        return None
    try:
        return to_e164(raw, region)
    except ValueError:
        raise invalid_phone("phone", raw) from None


DEFAULT_RULES = ContactRules()


def new_contact(
    tenant_id: str, data: ContactCreate, default_language: Language, rules: ContactRules = DEFAULT_RULES
) -> Contact:
    """A contact as it starts: not registered, in its language or the tenant's; its phone number
    and custom values checked by the tenant's rules (DomainError if they fail)."""
    now = utcnow()
    return Contact(
        id=new_id(),
        tenant_id=tenant_id,
        name=data.name,
        email=data.email,
        company=data.company,
        language=data.language or default_language,
        phone=_phone(data.phone, rules.region),
        customer_number=data.customer_number,
        custom=check_values(rules.fields, data.custom or {}),
        created_at=now,
        updated_at=now,
    )


def create_contact(
    contacts: ContactRepository,
    actor: Actor,
    data: ContactCreate,
    default_language: Language,
    rules: ContactRules = DEFAULT_RULES,
) -> Contact:
    contact = new_contact(actor.tenant_id, data, default_language, rules)
    try:
        contacts.add(contact)
    except EmailTaken:
        raise _email_taken(data.email) from None
    except CustomerNumberTaken:
        raise _number_taken(contact.customer_number or "") from None
    return contact


def contact_files_prefix(tenant_id: str, contact_id: str) -> str:
    """Where the files of a contact's account parts live (activity attachments, ...): one prefix,
    so that the contact's clean-up removes them all."""
    return f"tenants/{tenant_id}/contacts/{contact_id}/"


def get_contact(
    contacts: ContactRepository, actor: Actor, contact_id: str, *, deleting: bool = False
) -> Contact:
    """The contact, or 404; one whose deletion is under way only when asked for (`deleting`)."""
    # Ids are checked before they reach a key; another tenant's contact is simply not there.
    contact = contacts.get(actor.tenant_id, contact_id) if is_id(contact_id) else None
    if contact is None or (contact.deleting and not deleting):
        raise not_found("Contact")
    return contact


def _apply_patch(
    contact: Contact, patch: ContactPatch, rules: ContactRules, editable: Sequence[str] | None = None
) -> Contact:
    """The contact with the patch applied. The custom values are checked on every change, so a
    field made required since is asked for (of `editable`, when given: a customer's own)."""
    given = patch.model_fields_set
    refuse_cleared(patch, REQUIRED_ON_PATCH)
    changes: dict[str, Any] = {name: getattr(patch, name) for name in given - {"phone", "custom"}}
    if "phone" in given:
        changes["phone"] = _phone(patch.phone, rules.region)
    custom = check_values(rules.fields, patch.custom or {}, contact.custom, editable=editable)
    if custom != contact.custom:
        changes["custom"] = custom
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
    rules: ContactRules = DEFAULT_RULES,
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
        changed = _apply_patch(current, patch, rules)
        if changed is not current:
            if changed.email_key != current.email_key:
                changed = changed.model_copy(update={"invitation_sent_at": None})
            _replace(contacts, changed, current)
        if (
            sync_login_email
            and "email" in patch.model_fields_set
            and changed.status is not ContactStatus.NOT_REGISTERED
        ):
            sync_login_email(changed)
        return changed

    return with_retries(attempt)


def _replace(contacts: ContactRepository, changed: Contact, current: Contact) -> None:
    try:
        contacts.replace(changed, previous=current)
    except EmailTaken:
        raise _email_taken(changed.email) from None
    except CustomerNumberTaken:
        raise _number_taken(changed.customer_number or "") from None


def update_profile(
    contacts: ContactRepository, customer: Customer, patch: ProfilePatch, rules: ContactRules
) -> Contact:
    """A customer's change of their own account: name, company, phone and the custom fields the
    tenant marks customer-editable (anything else is refused, with its path). The one place such
    changes pass through."""
    editable = customer_editable(rules.fields)

    def attempt() -> Contact:
        current = contacts.get(customer.tenant_id, customer.contact_id)
        if current is None or current.deleting:
            raise not_found("Contact")
        # A token outlives a deactivation by up to an hour: the contact's status decides.
        if current.status is not ContactStatus.ACTIVE:
            raise forbidden("This account is not active.")
        change = ContactPatch.model_validate(patch.model_dump(exclude_unset=True))
        changed = _apply_patch(current, change, rules, editable)
        if changed is not current:
            _replace(contacts, changed, current)
        return changed

    return with_retries(attempt)


def list_contacts(
    contacts: ContactRepository, actor: Actor, query: ContactQuery, after: str | None, limit: int
) -> Page[Contact]:
    return contacts.page(actor.tenant_id, query, after, limit)
