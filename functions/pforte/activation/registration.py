"""Self-registration through the tenant's onboarding link.

A customer gives name, address, company and a password: the contact becomes `inactive` (created
if the address is new), an unconfirmed login identity is made with that password, and an
activation mail goes out; using its link makes the account active. The answer is the same
whatever the address: it never tells whether the tenant knew it.
"""

from pydantic import ConfigDict, Field

from pforte.activation.service import ActivationRepository, FailedAttempts, LinkPurpose, send_activation
from pforte.contacts.lifecycle import (
    LoginIdentities,
    WeakPassword,
    check_password,
    weak_password,
)
from pforte.contacts.service import (
    ContactCreate,
    ContactFinder,
    ContactRepository,
    ContactStatus,
    EmailTaken,
    new_contact,
)
from pforte.contacts.status import Change, allows, moved
from pforte.core.errors import DomainError, ErrorCode, must_exist
from pforte.core.fields import EmailAddress, Name, OptionalText, email_key
from pforte.core.identity import TENANT_ID_PATTERN, is_tenant_id
from pforte.core.model import Model
from pforte.mail.messages import Mailer
from pforte.tenants.service import TenantRepository


class Registration(Model):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(pattern=TENANT_ID_PATTERN, description="The tenant's slug, from the onboarding link")
    name: Name
    email: EmailAddress
    company: OptionalText = None
    password: str = Field(min_length=1, max_length=256)


class RegistrationReceived(Model):
    message: str = "If the address can be registered, an activation mail is on its way."


def register(
    tenants: TenantRepository,
    contacts: ContactRepository,
    finder: ContactFinder,
    logins: LoginIdentities,
    activations: ActivationRepository,
    mailer: Mailer,
    attempts: FailedAttempts,
    request: Registration,
    source: str,
) -> RegistrationReceived:
    """Register a customer; the same answer for a new, a known and an already active address."""
    wait = attempts.blocked_for(source)
    if wait:
        raise DomainError(
            ErrorCode.RATE_LIMITED, "Too many registrations; try again later.", retry_after=wait
        )
    tenant = must_exist(tenants.get(request.tenant) if is_tenant_id(request.tenant) else None, "Tenant")
    check_password(request.password)
    attempts.record_failure(source)  # every registration counts: each one sends a mail
    contact = finder.by_email(tenant.id, email_key(request.email))
    # A known address may hold the tenant's data (jobs): whoever owns the mailbox chooses the
    # password when activating, not whoever typed the address here.
    purpose = LinkPurpose.REGISTRATION if contact is None else LinkPurpose.REGISTRATION_OF_KNOWN_ADDRESS
    if contact is None:
        data = ContactCreate(name=request.name, email=request.email, company=request.company)
        fresh = new_contact(tenant.id, data, tenant.default_language)
        try:
            contacts.add(fresh)
            contact = fresh
        except EmailTaken:  # registered twice at the same moment: the other one goes on
            return RegistrationReceived()
    if contact.deleting or not allows(contact, Change.SELF_REGISTER):
        return RegistrationReceived()  # an account exists already: nothing to do, nothing said
    try:
        logins.register(contact, request.password)  # unconfirmed; an existing one is kept
    except WeakPassword as error:
        raise weak_password(error) from None
    if contact.status is ContactStatus.NOT_REGISTERED:
        inactive = moved(contact, Change.SELF_REGISTER)
        contacts.replace(inactive, previous=contact)
        contact = inactive
    send_activation(tenant, activations, mailer, contact, purpose)
    return RegistrationReceived()
