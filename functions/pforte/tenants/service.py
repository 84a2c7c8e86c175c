"""Tenants: the businesses that use Pforte, and their settings."""

from datetime import datetime
from enum import StrEnum
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
    model_validator,
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
DEFAULT_PERMISSION_GROUP_ID = "default"


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


# --- consent channels (the opt-ins a customer can give, with the wording agreed to) ------------

MAX_CONSENT_CHANNELS = 20


class ChannelType(StrEnum):
    """How the tenant reaches the customer on a channel; an email channel needs double opt-in."""

    EMAIL = "email"
    POST = "post"
    PHONE = "phone"
    SMS = "sms"
    OTHER = "other"


ChannelKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Wording = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ConsentChannelIn(Model):
    model_config = ConfigDict(extra="forbid")

    key: ChannelKey
    type: ChannelType
    wording: Wording = Field(description="What the customer agrees to, as they read it.")
    # Taken so that the list `GET /tenant` shows can be sent back as it is; the server counts it.
    wording_version: int | None = Field(default=None, description="Ignored: the server counts it")


class ConsentChannel(ConsentChannelIn):
    wording_version: int = Field(
        default=1, description="Counts up whenever the wording changes; history entries name it."
    )


# The channels a new tenant starts with, worded in its default language (it changes them in
# PATCH /tenant). The wording is what the customer agrees to, so it is in the customer's language.
_DEFAULT_WORDINGS: dict[Language, dict[str, str]] = {
    Language.DE: {
        "email_newsletter": "Ich möchte den Newsletter per E-Mail erhalten. Ich kann jederzeit widerrufen.",
        "post": "Ich möchte Angebote und Informationen per Post erhalten. Ich kann jederzeit widerrufen.",
        "phone": "Ich bin einverstanden, zu Angeboten und Informationen angerufen zu werden. "
        "Ich kann jederzeit widerrufen.",
    },
    Language.EN: {
        "email_newsletter": "I would like to receive the newsletter by email. I can withdraw at any time.",
        "post": "I would like to receive offers and information by post. I can withdraw at any time.",
        "phone": "I agree to be called about offers and information. I can withdraw at any time.",
    },
}
_DEFAULT_TYPES = {"email_newsletter": ChannelType.EMAIL, "post": ChannelType.POST, "phone": ChannelType.PHONE}


def _default_channels(language: Language = Language.DE) -> list[ConsentChannel]:
    return [
        ConsentChannel(key=key, type=_DEFAULT_TYPES[key], wording=wording)
        for key, wording in _DEFAULT_WORDINGS[language].items()
    ]


def _unique_keys(channels: list[ConsentChannelIn]) -> list[ConsentChannelIn]:
    keys = [channel.key for channel in channels]
    if len(set(keys)) != len(keys):
        raise ValueError("channel keys must be unique")
    return channels


ConsentChannels = Annotated[
    list[ConsentChannelIn], Field(max_length=MAX_CONSENT_CHANNELS), AfterValidator(_unique_keys)
]


def versioned_channels(
    current: list[ConsentChannel], given: list[ConsentChannelIn], highest: dict[str, int] | None = None
) -> list[ConsentChannel]:
    """The new channel list: a channel keeps its wording version while its wording stays the same,
    a changed wording counts it up (what customers agreed to before stays told apart), a new
    channel starts at 1, and a channel removed and added again counts on from the `highest`
    version its key ever had: a consent granted to the old wording never looks granted to the new."""
    known = {channel.key: channel for channel in current}
    ever = highest or {}
    result = []
    for channel in given:
        before = known.get(channel.key)
        if before is None:
            version = ever.get(channel.key, 0) + 1
        elif before.wording == channel.wording:
            version = before.wording_version
        else:
            version = max(before.wording_version, ever.get(channel.key, 0)) + 1
        fields = channel.model_dump(exclude={"wording_version"})
        result.append(ConsentChannel(**fields, wording_version=version))
    return result


def highest_versions(before: dict[str, int], channels: list[ConsentChannel]) -> dict[str, int]:
    """The highest wording version of each channel key so far, these channels included."""
    return before | {c.key: max(before.get(c.key, 0), c.wording_version) for c in channels}


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
    # Absent: the default channels, in the tenant's default language (`_channels_in_language`).
    consent_channels: list[ConsentChannel] = Field(default_factory=_default_channels)
    # The highest wording version each channel key ever had (kept when a channel is removed).
    consent_wording_versions: dict[str, int] = Field(default_factory=dict)
    # The permission group of new contacts (pforte.rights; "default" is the built-in group with
    # all rights that every tenant has). Changed through PATCH /permission-groups/{id}.
    default_permission_group_id: str = DEFAULT_PERMISSION_GROUP_ID
    # Where the tenant's customers are: national phone numbers are read as this country's.
    country: str = DEFAULT_COUNTRY
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _channels_in_language(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("consent_channels") is None:
            language = Language(data.get("default_language") or Language.DE)
            data = {**data, "consent_channels": _default_channels(language)}
        return data

    def consent_channel(self, key: str) -> ConsentChannel | None:
        return next((channel for channel in self.consent_channels if channel.key == key), None)


class TenantOut(Model):
    id: str
    name: str
    slug: str
    portal_base_url: str
    mail_sender: str
    default_language: Language
    time_zone: str
    activation_link_days: int
    consent_channels: list[ConsentChannel]
    default_permission_group_id: str
    country: str
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, tenant: Tenant) -> "TenantOut":
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
    consent_channels: ConsentChannels | None = Field(
        default=None,
        description=(
            "The whole list of consent channels. A changed wording counts its version up; a removed "
            "channel's consents are no longer shown."
        ),
    )
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
    if patch.consent_channels is not None:
        highest = highest_versions(tenant.consent_wording_versions, tenant.consent_channels)
        channels = versioned_channels(tenant.consent_channels, patch.consent_channels, highest)
        changes["consent_channels"] = channels
        changes["consent_wording_versions"] = highest_versions(highest, channels)
    if not changes:
        return tenant
    updated = tenant.model_copy(update={**changes, "updated_at": utcnow()})
    tenants.save(updated)
    return updated
