"""Tenant settings rules on an in-memory repository."""

from __future__ import annotations

import pytest

from pforte.core.clock import utcnow
from pforte.core.errors import DomainError, ErrorCode
from pforte.core.identity import Actor, Role
from pforte.tenants import service
from pforte.tenants.service import TenantPatch, new_tenant
from tests.fakes import InMemoryTenants

ADMIN = Actor(tenant_id="acme", user_id="u1", role=Role.ADMIN)
OPERATOR = Actor(tenant_id="acme", user_id="u2", role=Role.OPERATOR)


def repo_with_acme() -> InMemoryTenants:
    repo = InMemoryTenants()
    service.ensure_tenant(
        repo, new_tenant("acme", name="Acme", portal_base_url="https://p/", mail_sender="a@b.de")
    )
    return repo


def test_ensure_tenant_creates_once_and_then_returns_the_stored_one() -> None:
    repo = repo_with_acme()
    again = service.ensure_tenant(
        repo, new_tenant("acme", name="Other", portal_base_url="https://x", mail_sender="x@y.de")
    )
    assert again.name == "Acme"
    assert again.portal_base_url == "https://p"
    assert (again.time_zone, again.activation_link_days, again.slug) == ("Europe/Berlin", 7, "acme")


def test_operators_may_not_change_settings() -> None:
    repo = repo_with_acme()
    with pytest.raises(DomainError) as refused:
        service.update_tenant(repo, OPERATOR, TenantPatch(name="X"))
    assert refused.value.code is ErrorCode.FORBIDDEN


def test_null_is_refused_for_every_setting() -> None:
    with pytest.raises(DomainError) as refused:
        service.update_tenant(repo_with_acme(), ADMIN, TenantPatch.model_validate({"time_zone": None}))
    assert refused.value.details[0].field == "time_zone"


def test_admins_change_only_what_they_send() -> None:
    repo = repo_with_acme()
    updated = service.update_tenant(repo, ADMIN, TenantPatch.model_validate({"activation_link_days": 14}))
    assert updated.activation_link_days == 14
    assert updated.name == "Acme"
    assert repo.get("acme") == updated


def test_a_new_tenants_consent_channels_are_worded_in_its_language() -> None:
    from pforte.tenants.service import Tenant

    base = {
        "id": "acme",
        "name": "Acme",
        "slug": "acme",
        "portal_base_url": "https://p.example.com",
        "mail_sender": "no-reply@acme.example.com",
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    german = Tenant.model_validate(base)
    assert german.consent_channel("post") is not None
    assert german.consent_channel("post").wording.startswith("Ich möchte")  # type: ignore[union-attr]
    english = Tenant.model_validate({**base, "default_language": "en"})
    assert english.consent_channel("post").wording.startswith("I would like")  # type: ignore[union-attr]
    kept = Tenant.model_validate(
        {**base, "consent_channels": german.model_dump()["consent_channels"], "default_language": "en"}
    )
    assert kept.consent_channels == german.consent_channels  # stored channels are never replaced
