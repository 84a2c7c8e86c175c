"""In-memory repositories with the same contract as the DynamoDB ones, for the rules' unit tests."""

from __future__ import annotations

from pforte.contacts.service import Contact, ContactQuery, EmailTaken, StaleContact
from pforte.core.pagination import Page
from pforte.tenants.service import Tenant


class InMemoryContacts:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Contact] = {}
        self.emails: dict[tuple[str, str], str] = {}
        self.stale_writes = 0  # how many next writes fail as if someone wrote in between

    def get(self, tenant_id: str, contact_id: str) -> Contact | None:
        return self.items.get((tenant_id, contact_id))

    def add(self, contact: Contact) -> None:
        if (contact.tenant_id, contact.email_key) in self.emails:
            raise EmailTaken
        self.items[(contact.tenant_id, contact.id)] = contact
        self.emails[(contact.tenant_id, contact.email_key)] = contact.id

    def _check_fresh(self, contact: Contact) -> None:
        if self.stale_writes:
            self.stale_writes -= 1
            raise StaleContact
        stored = self.items.get((contact.tenant_id, contact.id))
        if stored is None or stored.version != contact.version:
            raise StaleContact

    def replace(self, contact: Contact, previous: Contact) -> None:
        self._check_fresh(previous)
        if contact.email_key != previous.email_key:
            if (contact.tenant_id, contact.email_key) in self.emails:
                raise EmailTaken
            del self.emails[(previous.tenant_id, previous.email_key)]
            self.emails[(contact.tenant_id, contact.email_key)] = contact.id
        self.items[(contact.tenant_id, contact.id)] = contact

    def remove(self, contact: Contact) -> None:
        self._check_fresh(contact)
        del self.items[(contact.tenant_id, contact.id)]
        del self.emails[(contact.tenant_id, contact.email_key)]

    def page(self, tenant_id: str, query: ContactQuery, after: str | None, limit: int) -> Page[Contact]:
        ordered = sorted(
            (c for (tenant, _), c in self.items.items() if tenant == tenant_id),
            key=lambda c: c.id,
            reverse=True,
        )
        if after is not None:
            ordered = [c for c in ordered if c.id < after]
        matching = [c for c in ordered if query.matches(c)]
        items = matching[:limit]
        return Page(items, after=items[-1].id if len(matching) > limit else None)


class InMemoryTenants:
    def __init__(self) -> None:
        self.items: dict[str, Tenant] = {}

    def get(self, tenant_id: str) -> Tenant | None:
        return self.items.get(tenant_id)

    def add(self, tenant: Tenant) -> bool:
        if tenant.id in self.items:
            return False
        self.items[tenant.id] = tenant
        return True

    def save(self, tenant: Tenant) -> None:
        self.items[tenant.id] = tenant


class InMemoryImportStore:
    """The import's store: claimed addresses per tenant; `claimed_meanwhile` are taken by someone
    else between the read and the write (as an API create racing the import)."""

    def __init__(self) -> None:
        self.contacts: dict[tuple[str, str], Contact] = {}
        self.claimed_meanwhile: set[tuple[str, str]] = set()

    def existing_emails(self, tenant_id: str, email_keys: list[str]) -> set[str]:
        return {key for key in email_keys if (tenant_id, key) in self.contacts}

    def add_many(self, contacts: list[Contact]) -> set[str]:
        taken: set[str] = set()
        for contact in contacts:
            claim = (contact.tenant_id, contact.email_key)
            if claim in self.contacts or claim in self.claimed_meanwhile:
                taken.add(contact.email_key)
            else:
                self.contacts[claim] = contact
        return taken
