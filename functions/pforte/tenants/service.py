"""Tenants: the businesses that use Pforte, and their settings."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    TypeAdapter,
)

from pforte.core.clock import utcnow
from pforte.core.errors import DomainError, ErrorCode, FieldError, must_exist
from pforte.core.fields import EmailAddress, Language, Name, Timestamp
from pforte.core.identity import Actor, require_admin
from pforte.core.model import Model
from pforte.core.phones import DEFAULT_COUNTRY, Country

DEFAULT_TIME_ZONE = "Europe/Berlin"
DEFAULT_ACTIVATION_LINK_DAYS = 7
MAX_ACTIVATION_LINK_DAYS = 30


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin") from None
    return value


@cache  # built on first use: a TypeAdapter at import is cold start for every route
def _http_url() -> TypeAdapter[AnyHttpUrl]:
    return TypeAdapter(AnyHttpUrl)


_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def _base_url(value: str) -> str:
    """The portal's address, which every mailed link starts with: https (http only on this
    machine), and nothing that could change what a link means (credentials, query, fragment)."""
    url = _http_url().validate_python(value)
    if url.scheme != "https" and url.host not in _LOCAL_HOSTS:
        raise ValueError("must be an https address")
    if url.username or url.password or url.query or url.fragment:
        raise ValueError("must not carry credentials, a query or a fragment")
    # Links are built as f"{base}/activate?...": keep the base without a trailing slash.
    return str(url).rstrip("/")


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)]
BaseUrl = Annotated[str, StringConstraints(max_length=200), AfterValidator(_base_url)]
ActivationDays = Annotated[StrictInt, Field(ge=1, le=MAX_ACTIVATION_LINK_DAYS)]


class Tenant(Model):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    slug: str
    portal_base_url: str
    mail_sender: str
    default_language: Language = Language.DE
    time_zone: str = DEFAULT_TIME_ZONE
    activation_link_days: int = DEFAULT_ACTIVATION_LINK_DAYS
    # Where the tenant's customers are: national phone numbers are read as this country's.
    country: str = DEFAULT_COUNTRY
    created_at: datetime
    updated_at: datetime


class TenantOut(Model):
    id: str
    name: str
    slug: str
    portal_base_url: str
    mail_sender: str
    default_language: Language
    time_zone: str
    activation_link_days: int
    country: str
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, tenant: Tenant) -> TenantOut:
        return cls.model_validate(tenant.model_dump())


class TenantPatch(Model):
    """Settings an admin may change. Every setting is required, so `null` is refused.

    The slug is not changeable yet: it names the tenant in public links and needs a global guard.
    """

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    portal_base_url: BaseUrl | None = None
    mail_sender: EmailAddress | None = None
    default_language: Language | None = None
    time_zone: TimeZone | None = None
    activation_link_days: ActivationDays | None = None
    country: Country | None = Field(
        default=None, description="ISO 3166-1 alpha-2; national phone numbers are read as this country's"
    )


class TenantRepository(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...

    def add(self, tenant: Tenant) -> bool:
        """Store a new tenant; False (and nothing written) if it exists already."""

    def save(self, tenant: Tenant) -> None: ...


def new_tenant(tenant_id: str, *, name: str, portal_base_url: str, mail_sender: str) -> Tenant:
    now = utcnow()
    return Tenant(
        id=tenant_id,
        name=name,
        slug=tenant_id,
        portal_base_url=portal_base_url.rstrip("/"),
        mail_sender=mail_sender,
        created_at=now,
        updated_at=now,
    )


def ensure_tenant(tenants: TenantRepository, tenant: Tenant) -> Tenant:
    """The stored tenant of that id, creating `tenant` if there is none yet."""
    if tenants.add(tenant):
        return tenant
    return must_exist(tenants.get(tenant.id), "Tenant")  # gone only if deleted in between


def get_tenant(tenants: TenantRepository, actor: Actor) -> Tenant:
    return must_exist(tenants.get(actor.tenant_id), "Tenant")


def update_tenant(tenants: TenantRepository, actor: Actor, patch: TenantPatch) -> Tenant:
    require_admin(actor)
    given = patch.model_fields_set
    cleared = sorted(name for name in given if getattr(patch, name) is None)
    if cleared:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "The request is not valid.",
            [FieldError(name, "This setting is required and cannot be cleared.") for name in cleared],
        )
    tenant = get_tenant(tenants, actor)
    changes: dict[str, Any] = {name: getattr(patch, name) for name in given}
    if not changes:
        return tenant
    updated = tenant.model_copy(update={**changes, "updated_at": utcnow()})
    tenants.save(updated)
    return updated
