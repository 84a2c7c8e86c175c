"""The tenant's links: the onboarding link, and the generic link through which customers without
an account submit jobs, admitted against daily quotas.

The generic link's token is derived, not stored: `<tenant>.<HMAC(platform key, tenant, nonce)>`.
The link item holds only the nonce; renewing draws a new one, so the old URL stops working at once.
Admission is one DynamoDB transaction: the link still valid, the day's counter within every limit,
the contact and the job written. Counters are keyed by the tenant's local date, so a late or
missed reset can never let yesterday's usage block today.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from pforte.contacts.service import (
    Contact,
    ContactCreate,
    ContactFinder,
    ContactRepository,
    get_contact,
    new_contact,
)
from pforte.core.clock import new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode, FieldError
from pforte.core.fields import EmailAddress, Language, Name, Timestamp, email_key, within_reach
from pforte.core.identity import Actor, TenantToken, is_tenant_id, require_admin
from pforte.core.model import Model
from pforte.core.ports import MessageQueue
from pforte.core.retry import Retry, with_retries
from pforte.jobs.files import (
    MAX_FILE_BYTES,
    MAX_SUPPORT_FILES,
    UPLOAD_LINK_SECONDS,
    FileStorage,
    FileUpload,
    FileUploadRequest,
    file_key,
    file_name,
    new_entry,
    sign_upload,
    too_large,
)
from pforte.jobs.service import FileKind, Job, JobState
from pforte.mail.messages import Mailer, generic_link_mail
from pforte.rights.notifications import Notification, queue_job_mail
from pforte.tenants.service import DEFAULT_TIME_ZONE, Tenant, TenantRepository, get_tenant

Result = TypeVar("Result", bound=BaseModel)

DEFAULT_MAX_JOBS_PER_DAY = 5
DEFAULT_MAX_JOB_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_DAILY_BYTES = 500 * 1024 * 1024
MAX_JOBS_PER_DAY_LIMIT = 10_000
MAX_DAILY_BYTES_LIMIT = 1024**4  # 1 TiB
USAGE_HISTORY_DAYS = 7
_TOKEN_CHARS = 43  # 256 bits of HMAC-SHA256, url-safe base64 without padding


class GenericLink(Model):
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


class GenericLinkSettings(Model):
    """`PUT /links/generic`: the whole setting, each field given (`expires_at` null for none)."""

    model_config = ConfigDict(extra="forbid")

    expires_at: AwareDatetime | None
    max_jobs_per_day: Annotated[StrictInt, Field(ge=1, le=MAX_JOBS_PER_DAY_LIMIT)]
    max_job_bytes: Annotated[StrictInt, Field(ge=1, le=MAX_FILE_BYTES)]
    max_daily_bytes: Annotated[StrictInt, Field(ge=1, le=MAX_DAILY_BYTES_LIMIT)]

    @field_validator("max_daily_bytes")
    @classmethod
    def _a_job_fits_a_day(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("max_job_bytes", 0):
            raise ValueError("must be at least max_job_bytes, or no job that large could ever pass")
        return value

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value <= utcnow():
            raise ValueError("must lie in the future (or be null for a link that does not expire)")
        return within_reach(value, utcnow())  # stored and compared as UTC text


class Usage(Model):
    """What the generic link admitted on one local day of the tenant."""

    tenant_id: str
    day: date
    jobs: int = 0
    bytes: int = 0
    closed: bool = False


class GenericLinkOut(Model):
    url: str
    expires_at: Timestamp | None
    expired: bool
    max_jobs_per_day: int
    max_job_bytes: int
    max_daily_bytes: int
    day: date = Field(description="The tenant's current local date, which the counters belong to")
    jobs_today: int
    bytes_today: int


class UsageDay(Model):
    day: date
    jobs: int
    bytes: int
    closed: bool


class UsageHistory(Model):
    items: list[UsageDay]


class OnboardingLink(Model):
    url: str


# --- tokens ---------------------------------------------------------------------------------------


class LinkToken(TenantToken):
    @classmethod
    def parse(cls, raw: str) -> "LinkToken | None":
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


class Idempotency(Protocol):
    def run_once(
        self,
        tenant_id: str,
        scope: str,
        key: str,
        payload: dict[str, Any],
        result_type: type[Result],
        action: Callable[[], Result],
        seconds: int,
    ) -> Result:
        """`action()` the first time for (scope, key); its stored result after that. A different
        payload under the same key is an `idempotency_conflict`."""


class Admissions(Protocol):
    def admit(self, admission: "Admission") -> None:
        """Write the job (and a new contact) and count it on the day, in one transaction, if the
        link is still the one checked and open, and the day stays within every limit.
        LinkClosed, QuotaReached or ContactChanged otherwise; nothing is written then."""


class LinkClosed(Exception):
    """The link was renewed, expired or changed between reading it and admitting."""


class QuotaReached(Exception):
    """The day's counter would pass a limit; `jobs` and `bytes` are what the day held when the
    condition failed (read from the failed condition itself, not from a second read)."""

    def __init__(self, jobs: int, bytes: int) -> None:
        super().__init__(jobs, bytes)
        self.jobs = jobs
        self.bytes = bytes


class ContactChanged(Exception):
    """The contact of the address was created, changed or deleted meanwhile."""


# --- services -------------------------------------------------------------------------------------


def current_link(links: LinkRepository, tenant_id: str) -> GenericLink:
    """The tenant's generic link, created with the default settings on first use."""
    link = links.get(tenant_id)
    if link is not None:
        return link
    now = utcnow()
    fresh = GenericLink(tenant_id=tenant_id, nonce=new_nonce(), created_at=now, updated_at=now)
    if links.add(fresh):
        return fresh
    stored = links.get(tenant_id)
    assert stored is not None  # added by a concurrent first use
    return stored


def portal_base(tenant: Tenant) -> str:
    return tenant.portal_base_url.rstrip("/")


def generic_url(tenant: Tenant, token: LinkToken) -> str:
    return f"{portal_base(tenant)}/g/{token}"


def onboarding_url(tenant: Tenant) -> str:
    return f"{portal_base(tenant)}/t/{tenant.slug}"


def describe(link: GenericLink, tenant: Tenant, key: bytes, usage: Usage, now: datetime) -> GenericLinkOut:
    return GenericLinkOut(
        url=generic_url(tenant, link_token(key, link)),
        expires_at=link.expires_at,
        expired=not link.is_open(now),
        max_jobs_per_day=link.max_jobs_per_day,
        max_job_bytes=link.max_job_bytes,
        max_daily_bytes=link.max_daily_bytes,
        day=usage.day,
        jobs_today=usage.jobs,
        bytes_today=usage.bytes,
    )


def change_link(
    links: LinkRepository, tenant_id: str, change: Callable[[GenericLink], dict[str, object]]
) -> GenericLink:
    """Apply `change` to the current link, again on a fresh read if another change came between."""

    def attempt() -> GenericLink:
        link = current_link(links, tenant_id)
        changed = link.model_copy(update={**change(link), "updated_at": utcnow()})
        if not links.save(changed, link):
            raise Retry
        return changed

    return with_retries(attempt, exhausted=lambda: RuntimeError("The generic link kept changing; try again."))


def settings_change(settings: GenericLinkSettings) -> Callable[[GenericLink], dict[str, object]]:
    def change(_: GenericLink) -> dict[str, object]:
        return {**settings.model_dump(), "expired": False}

    return change


def renewal(_: GenericLink) -> dict[str, object]:
    return {"nonce": new_nonce(), "expired": False}


def history(links: LinkRepository, tenant_id: str, today: date) -> UsageHistory:
    days = links.usage_since(tenant_id, history_start(today))
    return UsageHistory(
        items=[UsageDay(day=u.day, jobs=u.jobs, bytes=u.bytes, closed=u.closed) for u in days]
    )


# --- submissions through the generic link ---------------------------------------------------------

MAX_SUBMISSION_FILES = 2 + MAX_SUPPORT_FILES  # an input, a model and the support files of a job


class Submission(Model):
    """A job sent through the generic link by a customer without an account."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailAddress
    title: Name
    files: Annotated[list[FileUploadRequest], Field(min_length=1, max_length=MAX_SUBMISSION_FILES)]

    @field_validator("files")
    @classmethod
    def _one_input_one_model(cls, files: list[FileUploadRequest]) -> list[FileUploadRequest]:
        for kind in (FileKind.INPUT, FileKind.MODEL):
            if sum(1 for file in files if file.kind is kind) > 1:
                raise ValueError(f"at most one {kind} file")
        if sum(1 for file in files if file.kind is FileKind.SUPPORT) > MAX_SUPPORT_FILES:
            raise ValueError(f"at most {MAX_SUPPORT_FILES} support files")
        names = [file_name(file.kind, file.filename).casefold() for file in files]  # one file on Windows
        if len(set(names)) != len(names):
            raise ValueError("two files would have the same name")
        return files


class SubmissionAccepted(Model):
    job_id: str
    uploads: list[FileUpload]


@dataclass(frozen=True)
class Admission:
    link: GenericLink
    day: date
    job_bytes: int
    contact: Contact
    new_contact: bool
    job: Job
    now: datetime


@dataclass(frozen=True)
class SubmissionPorts:
    links: LinkRepository
    keys: LinkKeys
    tenants: TenantRepository
    contacts: ContactFinder
    admissions: Admissions
    storage: FileStorage
    idempotency: Idempotency
    mail: MessageQueue  # the contact's "job received" mail


def open_link(links: LinkRepository, keys: LinkKeys, raw_token: str, now: datetime) -> GenericLink:
    """The link this token is the current token of, if it is open; 410 `link_expired` for an
    unknown, renewed or expired one alike."""
    token = LinkToken.parse(raw_token)
    link = links.get(token.tenant_id) if token else None
    if token is None or link is None or not matches(keys.signing_key(), link, token) or not link.is_open(now):
        raise link_expired()
    return link


def submit(
    ports: SubmissionPorts, raw_token: str, submission: Submission, idempotency_key: str | None
) -> SubmissionAccepted:
    """Admit a job through the generic link. With an idempotency key, a retry (same key, same
    body, same link) answers the first result and is counted once."""
    link = open_link(ports.links, ports.keys, raw_token, utcnow())
    if idempotency_key is None:
        return _admit(ports, link, submission)
    return ports.idempotency.run_once(
        link.tenant_id,
        f"generic:{link.nonce}",
        idempotency_key,
        submission.model_dump(mode="json"),
        SubmissionAccepted,
        lambda: _admit(ports, link, submission),
        UPLOAD_LINK_SECONDS,
    )


def _admit(ports: SubmissionPorts, link: GenericLink, submission: Submission) -> SubmissionAccepted:
    """For the contact of that address (a new one, not registered, if there is none), a job in
    state incoming, counted on the day, with one presigned upload per file."""
    now = utcnow()
    tenants, contacts, admissions, storage = ports.tenants, ports.contacts, ports.admissions, ports.storage
    entries = [new_entry(file) for file in submission.files]
    job_bytes = sum(entry.size for entry in entries)
    if job_bytes > link.max_job_bytes:
        raise too_large("files", link.max_job_bytes, "A job sent through this link")
    if job_bytes > link.max_daily_bytes:
        raise quota_error("max_daily_bytes", "This job is larger than the link admits in a day.")
    tenant = tenants.get(link.tenant_id)
    day = local_day(tenant, now)

    def attempt() -> SubmissionAccepted:
        contact = contacts.by_email(link.tenant_id, email_key(submission.email))
        is_new = contact is None
        if contact is None:
            default_language = tenant.default_language if tenant else Language.DE
            contact = new_contact(
                link.tenant_id, ContactCreate(name=submission.name, email=submission.email), default_language
            )
        job = Job(
            id=new_id(),
            tenant_id=link.tenant_id,
            contact_id=contact.id,
            title=submission.title,
            state=JobState.INCOMING,
            created_at=now,
            updated_at=now,
            uploads={entry.upload_id: entry for entry in entries},
        )
        try:
            admissions.admit(Admission(link, day, job_bytes, contact, is_new, job, now))
        except ContactChanged:
            raise Retry from None
        except LinkClosed:
            raise link_expired() from None
        except QuotaReached as reached:
            if reached.jobs + 1 > link.max_jobs_per_day:
                raise quota_error(
                    "max_jobs_per_day",
                    f"This link admits {link.max_jobs_per_day} jobs a day; try again tomorrow.",
                ) from None
            raise quota_error(
                "max_daily_bytes", f"This link admits {link.max_daily_bytes} bytes a day; try again tomorrow."
            ) from None
        return SubmissionAccepted(
            job_id=job.id,
            uploads=[
                sign_upload(storage, file_key(link.tenant_id, job.id, entry.name), entry) for entry in entries
            ],
        )

    accepted = with_retries(attempt, exhausted=lambda: RuntimeError("The contact kept changing; try again."))
    # Inside the idempotent part: a retried submission mails nothing twice.
    queue_job_mail(ports.mail, Notification.JOB_RECEIVED, link.tenant_id, accepted.job_id)
    return accepted


# --- staff services -------------------------------------------------------------------------------


class GenericLinkSend(Model):
    model_config = ConfigDict(extra="forbid")

    contact_id: str


class GenericLinkSent(Model):
    contact_id: str
    sent_to: str
    sent_at: Timestamp


def onboarding_link(tenants: TenantRepository, actor: Actor) -> OnboardingLink:
    """Where customers register themselves: the tenant's portal address with its slug."""
    return OnboardingLink(url=onboarding_url(get_tenant(tenants, actor)))


def view_generic_link(
    links: LinkRepository, keys: LinkKeys, tenants: TenantRepository, actor: Actor
) -> GenericLinkOut:
    tenant = get_tenant(tenants, actor)
    now = utcnow()
    link = current_link(links, actor.tenant_id)
    return describe(
        link, tenant, keys.signing_key(), links.usage(actor.tenant_id, local_day(tenant, now)), now
    )


def configure_generic_link(
    links: LinkRepository,
    keys: LinkKeys,
    tenants: TenantRepository,
    actor: Actor,
    settings: GenericLinkSettings,
) -> GenericLinkOut:
    """Set the expiry (or none) and the three limits; the URL stays the same."""
    change_link(links, actor.tenant_id, settings_change(settings))
    return view_generic_link(links, keys, tenants, actor)


def renew_generic_link(
    links: LinkRepository, keys: LinkKeys, tenants: TenantRepository, actor: Actor
) -> GenericLinkOut:
    """A new URL at once (admins only); the old one stops working immediately."""
    require_admin(actor)
    change_link(links, actor.tenant_id, renewal)
    return view_generic_link(links, keys, tenants, actor)


def send_generic_link(
    links: LinkRepository,
    keys: LinkKeys,
    tenants: TenantRepository,
    contacts: ContactRepository,
    mailer: Mailer,
    actor: Actor,
    contact_id: str,
) -> GenericLinkSent:
    """Mail the generic link to a contact, in the contact's language."""
    contact = get_contact(contacts, actor, contact_id)
    tenant = get_tenant(tenants, actor)
    now = utcnow()
    link = current_link(links, actor.tenant_id)
    if not link.is_open(now):
        raise DomainError(
            ErrorCode.LINK_EXPIRED,
            "The generic link has expired; change its expiry or renew it before sending it.",
        )
    url = generic_url(tenant, link_token(keys.signing_key(), link))
    mailer.send(generic_link_mail(tenant, contact, url, link.expires_at))
    return GenericLinkSent(contact_id=contact.id, sent_to=contact.email, sent_at=now)


def usage_history(links: LinkRepository, tenants: TenantRepository, actor: Actor) -> UsageHistory:
    """The generic link's counters of today and the seven days before (closed days kept a week)."""
    tenant = get_tenant(tenants, actor)
    return history(links, actor.tenant_id, local_day(tenant, utcnow()))


# --- scheduled --------------------------------------------------------------------------------------


class Schedules(Protocol):
    def expiring(self, now: datetime) -> list[GenericLink]: ...

    def mark_expired(self, link: GenericLink) -> bool: ...

    def open_days(self) -> list[Usage]: ...

    def close_day(self, usage: Usage) -> None: ...


def expire_links(schedules: Schedules, now: datetime) -> int:
    """Mark every link whose expiry has passed as expired; idempotent, and safe late or twice
    (admission checks the time itself, so nothing depends on this running on time)."""
    return sum(
        1
        for link in schedules.expiring(now)
        if link.expires_at and link.expires_at <= now and schedules.mark_expired(link)
    )


def close_days(schedules: Schedules, tenants: TenantRepository, now: datetime) -> int:
    """Close every open day that has ended in its tenant's time zone: it becomes history (kept a
    week by TTL). Counters are per local date, so admission never waits for this."""
    closed = 0
    today_of: dict[str, date] = {}
    for usage in schedules.open_days():
        if usage.tenant_id not in today_of:
            today_of[usage.tenant_id] = local_day(tenants.get(usage.tenant_id), now)
        if usage.day < today_of[usage.tenant_id]:
            schedules.close_day(usage)
            closed += 1
    return closed
