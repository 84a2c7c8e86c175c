"""The demo tenant `demo`: its settings, an admin, and a few contacts to look at."""

from __future__ import annotations

from typing import Any

DEMO_TENANT = "demo"
DEMO_CONTACTS = [
    ("Anna Becker", "anna.becker@example.com", "Druckhaus Becker", "de"),
    ("Ben Schulz", "ben.schulz@example.com", "Schulz Verlag", "de"),
    ("Clara Jones", "clara.jones@example.com", "Jones Publishing", "en"),
    ("David Wagner", "david.wagner@example.com", None, "de"),
    ("Emma Fischer", "emma.fischer@example.com", "Druckhaus Becker", "de"),
]


def ensure_tenant(tenant_id: str, name: str | None = None) -> Any:
    from pforte.aws import clients
    from pforte.core.settings import get_settings
    from pforte.tenants.service import ensure_tenant as ensure
    from pforte.tenants.service import new_tenant
    from pforte.tenants.store import DynamoTenantRepository

    settings = get_settings()
    repository = DynamoTenantRepository(clients.dynamodb(), settings.table_name)
    tenant = new_tenant(
        tenant_id,
        name=name or tenant_id.replace("-", " ").title(),
        portal_base_url=settings.default_portal_base_url,
        mail_sender=f"no-reply@{tenant_id}.example.com",
    )
    return ensure(repository, tenant)


def seed_demo() -> int:
    """Create the demo tenant and its contacts if they are not there; returns contacts added."""
    from pforte.contacts import service
    from pforte.contacts.service import ContactCreate, ContactQuery
    from pforte.core.fields import Language
    from pforte.core.identity import Actor, Role
    from pforte.wiring import contact_repository

    tenant = ensure_tenant(DEMO_TENANT, "Demo Druckerei")
    repository = contact_repository()
    actor = Actor(tenant_id=tenant.id, user_id="seed", role=Role.ADMIN)
    if repository.page(tenant.id, ContactQuery(), None, 1).items:
        return 0
    for name, email, company, language in DEMO_CONTACTS:
        data = ContactCreate(name=name, email=email, company=company, language=Language(language))
        service.create_contact(repository, actor, data, tenant.default_language)
    return len(DEMO_CONTACTS)
