"""The tenant's links: the onboarding link, and the generic link through which customers without
an account submit jobs, admitted against daily quotas.

The generic link's token is derived, not stored: `<tenant>.<HMAC(platform key, tenant, nonce)>`.
The link item holds only the nonce; renewing draws a new one, so the old URL stops working at once.
Admission is one DynamoDB transaction: the link still valid, the day's counter within every limit,
the contact and the job written. Counters are keyed by the tenant's local date, so a late or
missed reset can never let yesterday's usage block today.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, field_validator

from pforte.clock import utcnow
from pforte.errors import DomainError, ErrorCode, FieldError
from pforte.fields import Timestamp
from pforte.identity import TENANT_ID_PATTERN, is_tenant_id
from pforte.jobfiles import MAX_FILE_BYTES
from pforte.tenants import DEFAULT_TIME_ZONE, Tenant

DEFAULT_MAX_JOBS_PER_DAY = 5
DEFAULT_MAX_JOB_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_DAILY_BYTES = 500 * 1024 * 1024
MAX_JOBS_PER_DAY_LIMIT = 10_000
MAX_DAILY_BYTES_LIMIT = 1024**4  # 1 TiB
USAGE_HISTORY_DAYS = 7
_TOKEN_CHARS = 43  # 256 bits of HMAC-SHA256, url-safe base64 without padding

__all__ = ["TENANT_ID_PATTERN"]


class GenericLink(BaseModel):
    """One per tenant, created with defaults on first use."""

    tenant_id: str
    nonce: str
    expires_at: datetime | None = None
    # Set by the schedule once `expires_at` has passed; admission checks the time itself too.
    expired: bool = False
    max_jobs_per_day: int = DEFAULT_MAX_JOBS_PER_DAY
    max_job_bytes: int = DEFAULT_MAX_JOB_BYTES
    max_daily_bytes: int = DEFAULT_MAX_DAILY_BYTES
    created_at: datetime
    updated_at: datetime

    def is_open(self, now: datetime) -> bool:
        return not self.expired and (self.expires_at is None or self.expires_at > now)


class GenericLinkSettings(BaseModel):
    """`PUT /links/generic`: the whole setting, each field given (`expires_at` null for none)."""

    model_config = ConfigDict(extra="forbid")

    expires_at: AwareDatetime | None
    max_jobs_per_day: Annotated[StrictInt, Field(ge=1, le=MAX_JOBS_PER_DAY_LIMIT)]
    max_job_bytes: Annotated[StrictInt, Field(ge=1, le=MAX_FILE_BYTES)]
    max_daily_bytes: Annotated[StrictInt, Field(ge=1, le=MAX_DAILY_BYTES_LIMIT)]

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= utcnow():
            raise ValueError("must lie in the future (or be null for a link that does not expire)")
        return value


class Usage(BaseModel):
    """What the generic link admitted on one local day of the tenant."""

    tenant_id: str
    day: date
    jobs: int = 0
    bytes: int = 0
    closed: bool = False


class GenericLinkOut(BaseModel):
    url: str
    expires_at: Timestamp | None
    expired: bool
    max_jobs_per_day: int
    max_job_bytes: int
    max_daily_bytes: int
    day: date = Field(description="The tenant's current local date, which the counters belong to")
    jobs_today: int
    bytes_today: int


class UsageDay(BaseModel):
    day: date
    jobs: int
    bytes: int
    closed: bool


class UsageHistory(BaseModel):
    items: list[UsageDay]


class OnboardingLink(BaseModel):
    url: str


# --- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkToken:
    tenant_id: str
    secret: str

    def __str__(self) -> str:
        return f"{self.tenant_id}.{self.secret}"

    @classmethod
    def parse(cls, raw: str) -> LinkToken | None:
        tenant_id, dot, secret = raw.partition(".")
        if not dot or not is_tenant_id(tenant_id) or len(secret) != _TOKEN_CHARS:
            return None
        return cls(tenant_id, secret)


def link_token(key: bytes, link: GenericLink) -> LinkToken:
    mac = hmac.new(key, f"generic:{link.tenant_id}:{link.nonce}".encode(), hashlib.sha256).digest()
    return LinkToken(link.tenant_id, base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")[:_TOKEN_CHARS])


def matches(key: bytes, link: GenericLink, token: LinkToken) -> bool:
    return hmac.compare_digest(str(link_token(key, link)), str(token))


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def local_day(tenant: Tenant | None, moment: datetime) -> date:
    """The tenant's calendar date at `moment` (its time zone, Europe/Berlin by default)."""
    zone = ZoneInfo(tenant.time_zone if tenant else DEFAULT_TIME_ZONE)
    return moment.astimezone(zone).date()


def history_start(today: date) -> date:
    return today - timedelta(days=USAGE_HISTORY_DAYS)


# --- ports ----------------------------------------------------------------------------------------


class LinkKeys(Protocol):
    def signing_key(self) -> bytes:
        """The platform's key for link tokens (the same in every function and container)."""


class LinkRepository(Protocol):
    def get(self, tenant_id: str) -> GenericLink | None: ...

    def add(self, link: GenericLink) -> bool:
        """Store the tenant's first link; False if it has one already."""

    def save(self, link: GenericLink, previous: GenericLink) -> bool:
        """Replace the link if it is still `previous` (same nonce and update time); False if not."""

    def usage(self, tenant_id: str, day: date) -> Usage: ...

    def usage_since(self, tenant_id: str, first_day: date) -> list[Usage]:
        """Days from `first_day` on, newest first."""


def quota_error(limit: str, message: str) -> DomainError:
    return DomainError(ErrorCode.QUOTA_EXCEEDED, message, [FieldError(limit, message)])


def link_expired() -> DomainError:
    return DomainError(ErrorCode.LINK_EXPIRED, "This link is no longer valid; ask for a new one.")
