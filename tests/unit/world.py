"""One tenant with every in-memory adapter the account rules need, for the rules' unit tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pforte.contacts import service as contacts_service
from pforte.contacts.service import Contact, ContactCreate, ContactStatus
from pforte.core.fields import Language
from pforte.core.identity import Actor, Role
from pforte.tenants.service import new_tenant
from tests.fakes import (
    FakeAttempts,
    FakeLogins,
    FakeMailer,
    InMemoryActivations,
    InMemoryContacts,
    InMemoryTenants,
)

ACME = Actor(tenant_id="acme", user_id="staff-1", role=Role.OPERATOR)
GOOD_PASSWORD = "A-good-Passw0rd"


@dataclass
class World:
    contacts: InMemoryContacts = field(default_factory=InMemoryContacts)
    tenants: InMemoryTenants = field(default_factory=InMemoryTenants)
    logins: FakeLogins = field(default_factory=FakeLogins)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    attempts: FakeAttempts = field(default_factory=FakeAttempts)
    activations: InMemoryActivations = field(init=False)

    def __post_init__(self) -> None:
        self.activations = InMemoryActivations(self.contacts)
        self.tenants.add(
            new_tenant(
                "acme",
                name="ACME Druck",
                portal_base_url="https://portal.acme.example",
                mail_sender="kunden@acme.example",
            )
        )

    def contact(
        self, email: str = "mia@example.com", status: ContactStatus = ContactStatus.NOT_REGISTERED
    ) -> Contact:
        """A contact as staff added it, then moved to `status` (with a login identity to match)."""
        data = ContactCreate.model_validate({"name": "Mia Keller", "email": email})
        contact = contacts_service.create_contact(self.contacts, ACME, data, Language.EN)
        if status is not ContactStatus.NOT_REGISTERED:
            if status is ContactStatus.INACTIVE:
                self.logins.register(contact, GOOD_PASSWORD)
            else:
                self.logins.create(contact, GOOD_PASSWORD)
                if status is ContactStatus.DEACTIVATED:
                    self.logins.disable(contact)
            changed = contact.model_copy(update={"status": status, "version": contact.version + 1})
            self.contacts.replace(changed, previous=contact)
            contact = changed
        self.logins.calls.clear()
        return contact

    def stored(self, contact: Contact) -> Contact:
        found = self.contacts.get(contact.tenant_id, contact.id)
        assert found is not None
        return found

    def token_mailed_to(self, address: str) -> str:
        """The token of the activation link in the last mail to `address`."""
        mails = self.mailer.to(address)
        assert mails, f"no mail to {address}"
        match = re.search(r"/activate\?token=(\S+)", mails[-1].text)
        assert match
        return match.group(1)
