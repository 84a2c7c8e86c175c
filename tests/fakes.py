"""In-memory adapters with the same contract as the AWS ones, for the rules' unit tests.

Each fake inherits the port (Protocol) it stands in for: mypy then checks every method against
the port's signature, and a fake that lacks one of the port's methods cannot be instantiated, so
a fake that drifts from its port fails `make typecheck`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from pforte.activation.service import (
    ATTEMPT_WINDOW,
    MAX_FAILED_ATTEMPTS,
    ActivationRepository,
    FailedAttempts,
    IssuedLink,
)
from pforte.activities.service import (
    Activity,
    ActivityKind,
    ActivityRepository,
    Attachment,
    AttachmentFiles,
)
from pforte.addresses.service import Address, Addresses, AddressRepository
from pforte.banking.service import (
    BankAccount,
    BankAccountRepository,
    BankAccounts,
    MandateTaken,
    mandate_key,
    mandate_moves,
)
from pforte.contacts.deletion import ContactFiles, CustomerExports
from pforte.contacts.imports import Claimed, ImportStore
from pforte.contacts.lifecycle import LoginIdentities, WeakPassword
from pforte.contacts.service import (
    Contact,
    ContactFinder,
    ContactQuery,
    ContactRepository,
    CustomerNumberTaken,
    Dependents,
    EmailTaken,
    OnCommit,
    StaleContact,
)
from pforte.core.clock import utcnow
from pforte.core.counters import Counter
from pforte.core.errors import DomainError, ErrorCode
from pforte.core.pagination import Page
from pforte.core.ports import MessageQueue
from pforte.core.retry import Retry
from pforte.customfields.service import CustomFieldRepository, CustomFields
from pforte.jobs.files import FileStorage, StoredObject
from pforte.jobs.service import ContactGone, FileStatus, Job, JobChanged, JobFiles, JobRepository, JobState
from pforte.links.service import (
    Admission,
    Admissions,
    ContactChanged,
    GenericLink,
    Idempotency,
    LinkClosed,
    LinkKeys,
    LinkRepository,
    QuotaReached,
    Result,
    Usage,
)
from pforte.mail.messages import Mailer, OutgoingMail
from pforte.rights.notifications import MailLog, MailRequests, NotificationPreferences, Preferences
from pforte.rights.service import (
    MAX_GROUPS,
    Assignment,
    ContactMissing,
    DefaultChanged,
    GroupChanged,
    GroupGone,
    GroupRepository,
    LimitReached,
    PermissionGroup,
)
from pforte.tenants.service import Tenant, TenantRepository


class InMemoryContacts(ContactRepository, ContactFinder):
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Contact] = {}
        self.emails: dict[tuple[str, str], str] = {}
        self.numbers: dict[tuple[str, str], str] = {}  # customer number keys
        self.jobs: dict[tuple[str, str], Job] = {}  # jobs by (tenant, job id), removed with their contact
        self.stale_writes = 0  # how many next writes fail as if someone wrote in between

    def get(self, tenant_id: str, contact_id: str) -> Contact | None:
        return self.items.get((tenant_id, contact_id))

    def by_email(self, tenant_id: str, email_key: str) -> Contact | None:
        contact_id = self.emails.get((tenant_id, email_key))
        return self.get(tenant_id, contact_id) if contact_id else None

    def add(self, contact: Contact) -> None:
        if (contact.tenant_id, contact.email_key) in self.emails:
            raise EmailTaken
        if contact.number_key and (contact.tenant_id, contact.number_key) in self.numbers:
            raise CustomerNumberTaken
        self.items[(contact.tenant_id, contact.id)] = contact
        self.emails[(contact.tenant_id, contact.email_key)] = contact.id
        if contact.number_key:
            self.numbers[(contact.tenant_id, contact.number_key)] = contact.id

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
        if contact.number_key != previous.number_key:
            if contact.number_key and (contact.tenant_id, contact.number_key) in self.numbers:
                raise CustomerNumberTaken
            if previous.number_key:
                del self.numbers[(previous.tenant_id, previous.number_key)]
            if contact.number_key:
                self.numbers[(contact.tenant_id, contact.number_key)] = contact.id
        self.items[(contact.tenant_id, contact.id)] = contact

    def dependents(self, contact: Contact) -> Dependents:
        jobs = (job for (tenant, _), job in self.jobs.items() if tenant == contact.tenant_id)
        return Dependents(jobs=tuple(job for job in jobs if job.contact_id == contact.id))

    def remove(self, contact: Contact, dependents: Dependents, on_commit: OnCommit | None = None) -> None:
        self._check_fresh(contact)
        jobs = dependents.jobs
        stored_jobs = {job.id for job in self.jobs.values() if job.contact_id == contact.id}
        if stored_jobs != {job.id for job in jobs}:
            raise StaleContact  # a job arrived (or went) since the jobs were read
        for job in jobs:
            del self.jobs[(contact.tenant_id, job.id)]
        del self.items[(contact.tenant_id, contact.id)]
        del self.emails[(contact.tenant_id, contact.email_key)]
        if contact.number_key:
            del self.numbers[(contact.tenant_id, contact.number_key)]

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

    def of_tenant(self, tenant_id: str) -> list[Contact]:
        return [c for (tenant, _), c in self.items.items() if tenant == tenant_id]


class InMemoryTenants(TenantRepository):
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


class InMemoryJobs(JobRepository):
    """Jobs kept in `contacts.jobs`, so that a contact's remove takes its jobs along."""

    def __init__(self, contacts: InMemoryContacts) -> None:
        self.contacts = contacts

    def _contact_open(self, job: Job) -> None:
        contact = self.contacts.get(job.tenant_id, job.contact_id)
        if contact is None or contact.deleting:
            raise ContactGone

    def get(self, tenant_id: str, job_id: str) -> Job | None:
        return self.contacts.jobs.get((tenant_id, job_id))

    def add(self, job: Job) -> None:
        self._contact_open(job)
        self.contacts.jobs[(job.tenant_id, job.id)] = job

    def change_state(self, job: Job, previous: JobState) -> None:
        stored = self.get(job.tenant_id, job.id)
        if stored is None or stored.state is not previous:
            raise JobChanged
        self._contact_open(job)
        self.contacts.jobs[(job.tenant_id, job.id)] = job

    def of_contact(self, tenant_id: str, contact_id: str, after: str | None, limit: int) -> Page[Job]:
        ordered = [
            job for job in self.all_of_contact(tenant_id, contact_id) if after is None or job.id < after
        ]
        items = ordered[:limit]
        return Page(items, after=items[-1].id if len(ordered) > limit else None)

    def all_of_contact(self, tenant_id: str, contact_id: str) -> list[Job]:
        jobs = (
            j for (t, _), j in self.contacts.jobs.items() if t == tenant_id and j.contact_id == contact_id
        )
        return sorted(jobs, key=lambda job: job.id, reverse=True)


class FakeJobFiles(JobFiles):
    def __init__(self) -> None:
        self.deleted: list[str] = []  # job ids whose files went

    def delete_all(self, tenant_id: str, job_ids: Sequence[str]) -> None:
        self.deleted.extend(job_ids)


class FakeContactFiles(ContactFiles):
    def __init__(self) -> None:
        self.deleted: list[tuple[str, str]] = []  # (tenant, contact) whose own files went

    def delete_of_contact(self, tenant_id: str, contact_id: str) -> None:
        self.deleted.append((tenant_id, contact_id))


class FakeCustomerExports(CustomerExports):
    def __init__(self) -> None:
        self.deleted: list[tuple[str, str]] = []

    def delete_of_customer(self, tenant_id: str, contact_id: str) -> None:
        self.deleted.append((tenant_id, contact_id))


# --- activation and login identities ------------------------------------------------------------


class InMemoryActivations(ActivationRepository):
    """Links and the mail log, writing the contacts of `contacts` as the DynamoDB store does."""

    def __init__(self, contacts: InMemoryContacts) -> None:
        self.contacts = contacts
        self.tokens: dict[tuple[str, str], IssuedLink] = {}  # by (tenant, digest)
        self.current: dict[tuple[str, str], str] = {}  # (tenant, contact) → digest of its valid link
        self.mail_log: list[tuple[str, OutgoingMail, str]] = []  # (contact id, mail, message id)
        self.requests: dict[tuple[str, str, str], str] = {}  # queued request → pending | done

    def issue(self, contact: Contact, link: IssuedLink) -> None:
        old = self.current.get((link.tenant_id, link.contact_id))
        if old is not None:
            self.tokens.pop((link.tenant_id, old), None)
        self.tokens[(link.tenant_id, link.digest)] = link
        self.current[(link.tenant_id, link.contact_id)] = link.digest

    def find(self, tenant_id: str, digest: str) -> IssuedLink | None:
        link = self.tokens.get((tenant_id, digest))
        if link is None or self.current.get((tenant_id, link.contact_id)) != digest:
            return None
        return link

    def consume(self, link: IssuedLink, contact: Contact, previous: Contact) -> bool:
        stored = self.contacts.get(previous.tenant_id, previous.id)
        if (
            (link.tenant_id, link.digest) not in self.tokens
            or self.current.get((link.tenant_id, link.contact_id)) != link.digest
            or stored is None
            or stored.version != previous.version
            or stored.deleting
        ):
            return False
        del self.tokens[(link.tenant_id, link.digest)]
        del self.current[(link.tenant_id, link.contact_id)]
        self.contacts.items[(contact.tenant_id, contact.id)] = contact
        return True

    def record_sent(self, contact: Contact, previous: Contact, mail: OutgoingMail, message_id: str) -> None:
        # Only the invitation fields, on the contact as it is stored now.
        stored = self.contacts.get(contact.tenant_id, contact.id)
        if stored is None or stored.deleting:
            raise StaleContact
        self.contacts.items[(contact.tenant_id, contact.id)] = stored.model_copy(
            update={
                "invitation_sent_at": contact.invitation_sent_at,
                "updated_at": contact.invitation_sent_at,
                "version": stored.version + 1,
            }
        )
        self.mail_log.append((contact.id, mail, message_id))

    def claim_request(self, tenant_id: str, contact_id: str, request_id: str) -> bool:
        key = (tenant_id, contact_id, request_id)
        if self.requests.get(key) == "done":
            return False
        self.requests[key] = "pending"
        return True

    def complete_request(self, tenant_id: str, contact_id: str, request_id: str) -> None:
        self.requests[(tenant_id, contact_id, request_id)] = "done"

    def expire_all(self) -> None:
        """Every link's expiry passed, as if its days had gone by."""
        past = utcnow() - timedelta(seconds=1)
        self.tokens = {key: dataclasses.replace(link, expires_at=past) for key, link in self.tokens.items()}


@dataclasses.dataclass
class Identity:
    password: str | None
    confirmed: bool
    enabled: bool = True
    email: str = ""


class FakeLogins(LoginIdentities):
    """Login identities by contact id; `fail_next` makes the next call of that name fail."""

    def __init__(self) -> None:
        self.identities: dict[str, Identity] = {}
        self.calls: list[tuple[str, str]] = []  # (method, contact id), in order
        self.refused_passwords: set[str] = set()  # what the pool's policy refuses beyond our check
        self.fail_next: set[str] = set()

    def _call(self, name: str, contact: Contact) -> None:
        self.calls.append((name, contact.id))
        if name in self.fail_next:
            self.fail_next.discard(name)
            raise ConnectionError(f"the login pool did not answer {name}")

    def create(self, contact: Contact, password: str) -> None:
        self._call("create", contact)
        self.identities.setdefault(contact.id, Identity(None, confirmed=True, email=contact.email))
        if password in self.refused_passwords:
            raise WeakPassword("Password does not conform to policy")
        identity = self.identities[contact.id]
        identity.password, identity.confirmed, identity.enabled = password, True, True

    def register(self, contact: Contact, password: str) -> None:
        self._call("register", contact)
        if password in self.refused_passwords:
            raise WeakPassword("Password does not conform to policy")
        self.identities.setdefault(contact.id, Identity(password, confirmed=False, email=contact.email))

    def confirm_and_enable(self, contact: Contact) -> None:
        self._call("confirm_and_enable", contact)
        identity = self.identities[contact.id]  # Cognito answers UserNotFound too
        identity.confirmed, identity.enabled = True, True

    def confirm_without_password(self, contact: Contact) -> None:
        self._call("confirm_without_password", contact)
        identity = self.identities[contact.id]
        identity.password, identity.confirmed, identity.enabled = None, True, True

    def disable(self, contact: Contact) -> None:
        self._call("disable", contact)
        if contact.id in self.identities:
            self.identities[contact.id].enabled = False

    def change_email(self, contact: Contact) -> None:
        self._call("change_email", contact)
        if contact.id in self.identities:
            self.identities[contact.id].email = contact.email

    def delete(self, contact: Contact) -> None:
        self._call("delete", contact)
        self.identities.pop(contact.id, None)


class FakeMailer(Mailer):
    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> str:
        self.sent.append(mail)
        return f"message-{len(self.sent)}"

    def to(self, address: str) -> list[OutgoingMail]:
        return [mail for mail in self.sent if mail.to == address]


class FakeAttempts(FailedAttempts):
    """Ten failures of one source within the window block it for the window, as in DynamoDB."""

    def __init__(self) -> None:
        self.failures: dict[str, int] = {}

    def blocked_for(self, source: str) -> int:
        blocked = self.failures.get(source, 0) >= MAX_FAILED_ATTEMPTS
        return int(ATTEMPT_WINDOW.total_seconds()) if blocked else 0

    def record_failure(self, source: str) -> None:
        self.failures[source] = self.failures.get(source, 0) + 1


class FakeQueue(MessageQueue):
    def __init__(self) -> None:
        self.messages: list[BaseModel] = []

    def enqueue(self, messages: Sequence[BaseModel]) -> None:
        self.messages.extend(messages)


# --- the generic link -----------------------------------------------------------------------------


class InMemoryLinks(LinkRepository):
    def __init__(self) -> None:
        self.links: dict[str, GenericLink] = {}
        self.days: dict[tuple[str, date], Usage] = {}

    def get(self, tenant_id: str) -> GenericLink | None:
        return self.links.get(tenant_id)

    def add(self, link: GenericLink) -> bool:
        if link.tenant_id in self.links:
            return False
        self.links[link.tenant_id] = link
        return True

    def save(self, link: GenericLink, previous: GenericLink) -> bool:
        stored = self.links.get(link.tenant_id)
        if stored is None or (stored.nonce, stored.updated_at) != (previous.nonce, previous.updated_at):
            return False
        self.links[link.tenant_id] = link
        return True

    def usage(self, tenant_id: str, day: date) -> Usage:
        return self.days.get((tenant_id, day)) or Usage(tenant_id=tenant_id, day=day)

    def usage_since(self, tenant_id: str, first_day: date) -> list[Usage]:
        days = [u for (tenant, day), u in self.days.items() if tenant == tenant_id and day >= first_day]
        return sorted(days, key=lambda u: u.day, reverse=True)


class InMemoryAdmissions(Admissions):
    """The admission transaction: link unchanged and open, the day within every limit, the
    contact as read; then the contact (if new), the job and the day's count, all or nothing."""

    def __init__(self, links: InMemoryLinks, contacts: InMemoryContacts) -> None:
        self.links, self.contacts = links, contacts
        self.jobs: dict[str, Job] = {}

    def admit(self, admission: Admission) -> None:
        link = admission.link
        stored = self.links.get(link.tenant_id)
        if stored is None or stored.nonce != link.nonce or not stored.is_open(admission.now):
            raise LinkClosed
        usage = self.links.usage(link.tenant_id, admission.day)
        if usage.jobs >= link.max_jobs_per_day or usage.bytes + admission.job_bytes > link.max_daily_bytes:
            raise QuotaReached(usage.jobs, usage.bytes)
        contact = admission.contact
        if admission.new_contact:
            if (contact.tenant_id, contact.email_key) in self.contacts.emails:
                raise ContactChanged
            self.contacts.add(contact)
        else:
            current = self.contacts.get(contact.tenant_id, contact.id)
            if current is None or current.deleting:
                raise ContactChanged
            self.contacts.items[(contact.tenant_id, contact.id)] = current.model_copy(
                update={"version": current.version + 1}
            )
        self.jobs[admission.job.id] = admission.job
        self.contacts.jobs[(admission.job.tenant_id, admission.job.id)] = admission.job
        self.links.days[(link.tenant_id, admission.day)] = usage.model_copy(
            update={"jobs": usage.jobs + 1, "bytes": usage.bytes + admission.job_bytes}
        )


class FakeKeys(LinkKeys):
    def signing_key(self) -> bytes:
        return b"k" * 32


class FakeStorage(FileStorage):
    """Presigned forms only: nothing is uploaded in a rule's test."""

    def __init__(self) -> None:
        self.signed: list[tuple[str, int]] = []

    def presigned_post(
        self, key: str, max_bytes: int, content_type: str, metadata: dict[str, str]
    ) -> dict[str, Any]:
        self.signed.append((key, max_bytes))
        return {"url": "https://uploads.example.com/", "fields": {"key": key, **metadata}}

    def head(self, key: str, version_id: str | None, etag: str | None = None) -> StoredObject | None:
        return None

    def read_range(self, key: str, version_id: str | None, start: int, end: int) -> bytes:
        raise FileNotFoundError(key)

    def remove(self, key: str, version_id: str | None) -> None:
        return None


class InMemoryIdempotency(Idempotency):
    """The first result per (tenant, scope, key); another payload under the key is a conflict."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], tuple[dict[str, Any], BaseModel]] = {}

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
        record = self.records.get((tenant_id, scope, key))
        if record is not None:
            if record[0] != payload:
                raise DomainError(
                    ErrorCode.IDEMPOTENCY_CONFLICT, "This key was used for a different request."
                )
            return result_type.model_validate(record[1].model_dump())
        result = action()
        self.records[(tenant_id, scope, key)] = (payload, result)
        return result


# --- imports --------------------------------------------------------------------------------------


class InMemoryImportStore(ImportStore):
    """Writes into `contacts`, in batches as the DynamoDB store does."""

    def __init__(self, contacts: InMemoryContacts) -> None:
        self.contacts = contacts
        self.batches: list[int] = []  # the size of every add_many

    def existing_emails(self, tenant_id: str, email_keys: list[str]) -> set[str]:
        return {key for key in email_keys if (tenant_id, key) in self.contacts.emails}

    def existing_numbers(self, tenant_id: str, number_keys: list[str]) -> set[str]:
        return {key for key in number_keys if (tenant_id, key) in self.contacts.numbers}

    def add_many(self, contacts: list[Contact]) -> Claimed:
        self.batches.append(len(contacts))
        claimed = Claimed()
        for contact in contacts:
            if (contact.tenant_id, contact.email_key) in self.contacts.emails:
                claimed.emails.add(contact.email_key)
            elif contact.number_key and (contact.tenant_id, contact.number_key) in self.contacts.numbers:
                claimed.numbers.add(contact.number_key)
            else:
                self.contacts.add(contact)
        return claimed


def at(moment: datetime) -> Callable[[], datetime]:
    """A clock standing still at `moment` (for monkeypatching a module's `utcnow`)."""
    return lambda: moment


class ClaimingImportStore(ImportStore):
    """The import's store: claimed addresses per tenant; `claimed_meanwhile` are taken by someone
    else between the read and the write (as an API create racing the import)."""

    def __init__(self) -> None:
        self.contacts: dict[tuple[str, str], Contact] = {}
        self.claimed_meanwhile: set[tuple[str, str]] = set()

    def existing_emails(self, tenant_id: str, email_keys: list[str]) -> set[str]:
        return {key for key in email_keys if (tenant_id, key) in self.contacts}

    def existing_numbers(self, tenant_id: str, number_keys: list[str]) -> set[str]:
        held = {(c.tenant_id, c.number_key) for c in self.contacts.values() if c.number_key}
        return {key for key in number_keys if (tenant_id, key) in held}

    def add_many(self, contacts: list[Contact]) -> Claimed:
        claimed = Claimed()
        for contact in contacts:
            claim = (contact.tenant_id, contact.email_key)
            if claim in self.contacts or claim in self.claimed_meanwhile:
                claimed.emails.add(contact.email_key)
            elif contact.number_key and self.existing_numbers(contact.tenant_id, [contact.number_key]):
                claimed.numbers.add(contact.number_key)
            else:
                self.contacts[claim] = contact
        return claimed


# --- addresses and bank accounts (issue 11) -----------------------------------------------------


class InMemoryAddresses(AddressRepository):
    """Addresses per contact with the counters the port promises; `interfere` runs once just
    before the next save commits (another write winning the race)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Address]] = {}
        self.counters: dict[tuple[str, str], dict[str, int]] = {}
        self.interfere: Callable[[], object] | None = None
        self.saves = 0

    def addresses(self, tenant_id: str, contact_id: str) -> Addresses:
        stored = self.items.get((tenant_id, contact_id), {})
        ordered = tuple(sorted(stored.values(), key=lambda a: a.id, reverse=True))
        return Addresses(items=ordered, counters=dict(self.counters.get((tenant_id, contact_id), {})))

    def save(
        self,
        tenant_id: str,
        read: Addresses,
        changed: Sequence[Address],
        removed: Sequence[Address],
        counts: Mapping[Counter, int],
    ) -> None:
        interfere, self.interfere = self.interfere, None
        if interfere is not None:
            interfere()
        contact_id = next(a.contact_id for a in (*changed, *removed))
        stored = self.items.setdefault((tenant_id, contact_id), {})
        counters = self.counters.setdefault((tenant_id, contact_id), {})
        for address in changed:
            held = stored.get(address.id)
            if (held.version if held else 0) != address.version - 1:
                raise Retry
        for address in removed:
            if address.id not in stored or stored[address.id].version != address.version:
                raise Retry
        if any(counters.get(counter.value, 0) != read.counters.get(counter.value, 0) for counter in counts):
            raise Retry
        self.saves += 1
        stored.update({address.id: address for address in changed})
        for address in removed:
            del stored[address.id]
        for counter, delta in counts.items():
            counters[counter.value] = counters.get(counter.value, 0) + delta


class InMemoryBankAccounts(BankAccountRepository):
    """Bank accounts per contact, their counter and the tenant's claimed mandate references."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, BankAccount]] = {}
        self.counters: dict[tuple[str, str], int] = {}
        self.mandates: dict[tuple[str, str], str] = {}  # (tenant, mandate key): bank account id

    def bank_accounts(self, tenant_id: str, contact_id: str) -> BankAccounts:
        stored = self.items.get((tenant_id, contact_id), {})
        ordered = tuple(sorted(stored.values(), key=lambda a: a.id, reverse=True))
        count = self.counters.get((tenant_id, contact_id), 0)
        return BankAccounts(items=ordered, counters={Counter.BANK_ACCOUNTS.value: count})

    def save(
        self,
        tenant_id: str,
        read: BankAccounts,
        changed: Sequence[BankAccount],
        removed: Sequence[BankAccount],
        count: int,
    ) -> None:
        contact_id = next(a.contact_id for a in (*changed, *removed))
        stored = self.items.setdefault((tenant_id, contact_id), {})
        if self.counters.get((tenant_id, contact_id), 0) != read.counters.get(Counter.BANK_ACCOUNTS.value, 0):
            raise Retry
        claiming, releasing = mandate_moves(read, changed, removed)
        mandates = dict(self.mandates)
        for account in releasing:
            del mandates[(tenant_id, mandate_key(account.mandate_reference))]
        for account in claiming:
            claim = (tenant_id, mandate_key(account.mandate_reference))
            if mandates.get(claim, account.id) != account.id:
                raise MandateTaken
            mandates[claim] = account.id
        self.mandates = mandates
        stored.update({account.id: account for account in changed})
        for account in removed:
            del stored[account.id]
        self.counters[(tenant_id, contact_id)] = self.counters.get((tenant_id, contact_id), 0) + count


# --- permission groups and notification preferences (portal rights) ------------------------------


class InMemoryGroups(GroupRepository, Preferences, MailLog, MailRequests):
    """Groups, the contacts' groups (with the member index), preferences, the mail log and marks."""

    def __init__(self, contacts: InMemoryContacts, tenants: InMemoryTenants) -> None:
        self.contacts, self.tenants = contacts, tenants
        self.groups: dict[tuple[str, str], PermissionGroup] = {}
        self.assignments: dict[tuple[str, str], Assignment] = {}
        self.prefs: dict[tuple[str, str], NotificationPreferences] = {}
        self.log: list[tuple[str, str]] = []  # (contact id, template)
        self.requests: dict[str, str] = {}

    def get(self, tenant_id: str, group_id: str) -> PermissionGroup | None:
        return self.groups.get((tenant_id, group_id))

    def get_many(self, tenant_id: str, group_ids: Sequence[str]) -> list[PermissionGroup]:
        return [group for i in group_ids if (group := self.get(tenant_id, i)) is not None]

    def all(self, tenant_id: str) -> list[PermissionGroup]:
        found = [group for (tenant, _), group in self.groups.items() if tenant == tenant_id]
        return sorted(found, key=lambda group: group.id, reverse=True)

    def add(self, group: PermissionGroup) -> None:
        if sum(1 for g in self.all(group.tenant_id) if g.id != "default") >= MAX_GROUPS:
            raise LimitReached
        self.groups[(group.tenant_id, group.id)] = group

    def _check(self, group: PermissionGroup, previous: PermissionGroup | None) -> None:
        stored = self.get(group.tenant_id, group.id)
        if (previous is None) != (stored is None) or (
            stored is not None
            and previous is not None
            and (stored.version != previous.version or stored.deleting)
        ):
            raise GroupChanged

    def save(self, group: PermissionGroup, previous: PermissionGroup | None, make_default: bool) -> None:
        self._check(group, previous)
        self.groups[(group.tenant_id, group.id)] = group
        if make_default:
            tenant = self.tenants.items[group.tenant_id]
            self.tenants.save(tenant.model_copy(update={"default_permission_group_id": group.id}))

    def mark_deleting(self, group: PermissionGroup, previous: PermissionGroup | None) -> None:
        self._check(group, previous)
        self.groups[(group.tenant_id, group.id)] = group.model_copy(update={"deleting": True})

    def unmark(self, group: PermissionGroup) -> None:
        self.groups[(group.tenant_id, group.id)] = group.model_copy(update={"deleting": False})

    def remove(self, group: PermissionGroup) -> None:
        if self.tenants.items[group.tenant_id].default_permission_group_id == group.id:
            raise DefaultChanged
        self.groups.pop((group.tenant_id, group.id), None)

    def members(self, tenant_id: str, group_id: str, limit: int) -> list[str]:
        found = [
            a.contact_id for a in self.assignments.values() if a.tenant_id == tenant_id and group_id in a.ids
        ]
        return found[:limit]

    def has_members(self, tenant_id: str, group_id: str) -> bool:
        return bool(self.members(tenant_id, group_id, 1))

    def assignment(self, tenant_id: str, contact_id: str) -> Assignment:
        return self.assignments.get((tenant_id, contact_id), Assignment(tenant_id, contact_id, ()))

    def assign(self, previous: Assignment, ids: Sequence[str]) -> Assignment:
        tenant_id, contact_id = previous.tenant_id, previous.contact_id
        if self.assignment(tenant_id, contact_id).version != previous.version:
            raise GroupChanged
        contact = self.contacts.get(tenant_id, contact_id)
        if contact is None or contact.deleting:
            raise ContactMissing
        for group_id in ids:
            group = self.get(tenant_id, group_id)
            if (group is None and group_id != "default") or (group is not None and group.deleting):
                raise GroupGone(group_id)
        current = Assignment(tenant_id, contact_id, tuple(ids), previous.version + 1)
        self.assignments[(tenant_id, contact_id)] = current
        return current

    def preferences(self, tenant_id: str, contact_id: str) -> NotificationPreferences:
        return self.prefs.get((tenant_id, contact_id), NotificationPreferences())

    def save_preferences(self, contact: Contact, preferences: NotificationPreferences) -> bool:
        if self.contacts.get(contact.tenant_id, contact.id) is None:
            return False
        self.prefs[(contact.tenant_id, contact.id)] = preferences
        return True

    def record_mail(self, contact: Contact, mail: OutgoingMail, message_id: str) -> None:
        self.log.append((contact.id, mail.template))

    def claim_request(self, tenant_id: str, contact_id: str, request_id: str) -> bool:
        if self.requests.get(request_id) == "done":
            return False
        self.requests[request_id] = "pending"
        return True

    def complete_request(self, tenant_id: str, contact_id: str, request_id: str) -> None:
        self.requests[request_id] = "done"


# --- activities and their attachments -------------------------------------------------------------


class InMemoryActivities(ActivityRepository):
    """Activities by id (a rule's test needs no order)."""

    def __init__(self) -> None:
        self.items: dict[str, Activity] = {}

    def add(self, activity: Activity) -> None:
        if activity.id in self.items:
            raise ContactGone
        self.items[activity.id] = activity

    def get(self, tenant_id: str, contact_id: str, activity_id: str) -> Activity | None:
        found = self.items.get(activity_id)
        return found if found and (found.tenant_id, found.contact_id) == (tenant_id, contact_id) else None

    def page(
        self,
        tenant_id: str,
        contact_id: str,
        kind: ActivityKind | None,
        after: tuple[ActivityKind, str] | None,
        limit: int,
    ) -> Page[Activity]:
        return Page(list(self.items.values())[:limit], after=None)

    def remove(self, activity: Activity) -> bool:
        return self.items.pop(activity.id, None) is not None

    def settle(self, activity: Activity, attachment: Attachment) -> bool:
        current = self.items.get(activity.id)
        if (
            current is None
            or current.attachment is None
            or current.attachment.status is not FileStatus.PENDING
        ):
            return False
        self.items[activity.id] = current.model_copy(update={"attachment": attachment})
        return True


@dataclasses.dataclass
class StoredFile:
    data: bytes
    upload_id: str | None
    version_id: str


class InMemoryAttachmentFiles(AttachmentFiles):
    """Objects by key, one version each."""

    def __init__(self) -> None:
        self.objects: dict[str, StoredFile] = {}
        self.removed: list[tuple[str, str | None]] = []

    def presigned_post(
        self, key: str, max_bytes: int, content_type: str, metadata: dict[str, str]
    ) -> dict[str, Any]:
        return {"url": "https://uploads.example.com/", "fields": {"key": key}}

    def head(self, key: str, version_id: str | None, etag: str | None = None) -> StoredObject | None:
        found = self.objects.get(key)
        return StoredObject(len(found.data), found.upload_id, found.version_id) if found else None

    def read_range(self, key: str, version_id: str | None, start: int, end: int) -> bytes:
        return self.objects[key].data[start : end + 1]

    def remove(self, key: str, version_id: str | None) -> None:
        self.removed.append((key, version_id))
        self.objects.pop(key, None)

    def download_url(
        self, key: str, version_id: str | None, filename: str, seconds: int, content_type: str | None = None
    ) -> str:
        return f"https://downloads.example.com/{key}"

    def remove_all(self, key: str) -> None:
        self.objects.pop(key, None)


# --- custom fields --------------------------------------------------------------------------------


class InMemoryCustomFields(CustomFieldRepository):
    def __init__(self) -> None:
        self.stored: dict[str, CustomFields] = {}

    def get(self, tenant_id: str) -> CustomFields | None:
        return self.stored.get(tenant_id)

    def save(self, fields: CustomFields) -> None:
        self.stored[fields.tenant_id] = fields
