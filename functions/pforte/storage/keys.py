"""Every key format of the table. Each partition key starts with the tenant.

Items: the tenant's profile; its contacts (one partition per tenant, newest first by ULID); one
guard per contact email (uniqueness, written in the same transaction as the contact); a status
index (GSI1) so that filtering by status reads only contacts of that status; per contact, one
partition of what depends on it (jobs, ...), and a pointer per job from its id to its contact.
"""

from __future__ import annotations

from dataclasses import dataclass

PK = "PK"
SK = "SK"
GSI1 = "GSI1"
GSI1PK = "GSI1PK"
GSI1SK = "GSI1SK"
TTL = "expires_at_epoch"

_CONTACT = "CONTACT#"


def tenant_key(tenant_id: str) -> dict[str, str]:
    return {PK: f"TENANT#{tenant_id}", SK: "PROFILE"}


def contacts_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#CONTACTS"


def contact_sk(contact_id: str) -> str:
    return f"{_CONTACT}{contact_id}"


def contact_key(tenant_id: str, contact_id: str) -> dict[str, str]:
    return {PK: contacts_pk(tenant_id), SK: contact_sk(contact_id)}


def contacts_by_status_pk(tenant_id: str, status: str) -> str:
    return f"TENANT#{tenant_id}#CONTACTS#{status}"


def contact_index_keys(tenant_id: str, contact_id: str, status: str) -> dict[str, str]:
    return {GSI1PK: contacts_by_status_pk(tenant_id, status), GSI1SK: contact_sk(contact_id)}


def contact_partition(tenant_id: str, contact_id: str) -> str:
    """Where a contact's dependent items live (jobs, tokens, mail log): deleted with the contact."""
    return f"TENANT#{tenant_id}#CONTACT#{contact_id}"


def summary_key(tenant_id: str, contact_id: str) -> dict[str, str]:
    """The contact's counts per part (addresses, bank accounts, activities, ...), kept true by the
    transaction of each write that adds or removes such an item (`dynamo.count_change`)."""
    return {PK: contact_partition(tenant_id, contact_id), SK: "SUMMARY"}


@dataclass(frozen=True)
class ContactItems:
    """A kind of item kept in the contact's own partition, one per id, found by its sort key
    prefix (so the contact's delete reads it with the contact, and a Query reads one kind)."""

    prefix: str

    def key(self, tenant_id: str, contact_id: str, item_id: str) -> dict[str, str]:
        return {PK: contact_partition(tenant_id, contact_id), SK: f"{self.prefix}{item_id}"}


JOBS = ContactItems("JOB#")
MAILS = ContactItems("MAIL#")  # the mail log
# Marks a queued mail request as handled, so that a repeated message sends nothing twice.
MAIL_REQUESTS = ContactItems("MAILREQ#")


def job_pointer_key(tenant_id: str, job_id: str) -> dict[str, str]:
    """Finds a job's contact from the job id alone (GET /jobs/{id})."""
    return {PK: f"TENANT#{tenant_id}#JOB#{job_id}", SK: "POINTER"}


def activation_link_key(tenant_id: str, contact_id: str) -> dict[str, str]:
    """The contact's current activation link (its digest): a newer one replaces it."""
    return {PK: contact_partition(tenant_id, contact_id), SK: "ACTIVATION"}


def activation_token_key(tenant_id: str, digest: str) -> dict[str, str]:
    """A link found by the SHA-256 of its secret, from the public activation route."""
    return {PK: f"TENANT#{tenant_id}#ACTIVATION#{digest}", SK: "TOKEN"}


def import_key(tenant_id: str, import_id: str) -> dict[str, str]:
    return {PK: f"TENANT#{tenant_id}#IMPORTS", SK: f"IMPORT#{import_id}"}


def failed_attempts_key(purpose: str, source: str) -> dict[str, str]:
    # Platform-wide on purpose: a guesser's attempts are not bound to a tenant.
    return {PK: f"PLATFORM#ATTEMPTS#{purpose}#{source}", SK: "COUNT"}


def email_guard_key(tenant_id: str, email_key: str) -> dict[str, str]:
    return {PK: f"TENANT#{tenant_id}#EMAIL#{email_key}", SK: "GUARD"}


def export_key(tenant_id: str, export_id: str) -> dict[str, str]:
    return {PK: f"TENANT#{tenant_id}#EXPORT#{export_id}", SK: "EXPORT"}


def generic_link_key(tenant_id: str) -> dict[str, str]:
    return {PK: f"TENANT#{tenant_id}", SK: "GENERIC_LINK"}


def usage_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#GENERIC_USAGE"


def usage_key(tenant_id: str, day: str) -> dict[str, str]:
    """The generic link's counters of one local day of the tenant (`YYYY-MM-DD`)."""
    return {PK: usage_pk(tenant_id), SK: f"DAY#{day}"}


# Platform-wide index partitions (GSI1) for the scheduled functions, which work across tenants and
# must not scan: links that expire, and usage days not closed yet. Items leave them once handled.
LINKS_BY_EXPIRY = "PLATFORM#LINK_EXPIRY"
OPEN_USAGE_DAYS = "PLATFORM#OPEN_USAGE"


def idempotency_pk(tenant_id: str) -> str:
    """Where Powertools keeps the tenant's idempotency records (the sort key is its hash)."""
    return f"TENANT#{tenant_id}#IDEMPOTENCY"


def terms_state_key(tenant_id: str) -> dict[str, str]:
    """The tenant's current terms of use and the uploads of newer ones."""
    return {PK: f"TENANT#{tenant_id}", SK: "TERMS"}


# --- consents (opt-ins per channel) ---------------------------------------------------------

# The contact's current consent per channel (status, source, proof, pending link), by channel.
CONSENTS = ContactItems("CONSENT#")
# Immutable entries of the contact's consent history, newest first by ULID; not under "CONSENT#":
# a query of the states never reads the history.
CONSENT_HISTORY = ContactItems("CONSENTLOG#")


def consent_token_key(tenant_id: str, digest: str) -> dict[str, str]:
    """A double opt-in link found by the SHA-256 of its secret, from the public confirmation route."""
    return {PK: f"TENANT#{tenant_id}#CONSENT#{digest}", SK: "TOKEN"}


# --- addresses and bank accounts (issue 11): items of the contact's partition, newest first by
# ULID; a mandate reference is unique per tenant through one guard item outside the partition
# (deleted with its bank account, and by the contact delete cascade).
ADDRESSES = ContactItems("ADDRESS#")
BANK_ACCOUNTS = ContactItems("BANKACCOUNT#")


def mandate_guard_key(tenant_id: str, mandate_key: str) -> dict[str, str]:
    """Claims a SEPA mandate reference for one bank account of the tenant (`mandate_key`: the
    reference as compared, see banking.service.mandate_key)."""
    return {PK: f"TENANT#{tenant_id}#MANDATE#{mandate_key}", SK: "GUARD"}


# --- permission groups and notification preferences (portal rights) ------------------------------


def permission_groups_pk(tenant_id: str) -> str:
    """The tenant's permission groups (one item each) and their count."""
    return f"TENANT#{tenant_id}#PERMISSION_GROUPS"


def permission_group_key(tenant_id: str, group_id: str) -> dict[str, str]:
    return {PK: permission_groups_pk(tenant_id), SK: f"GROUP#{group_id}"}


def permission_group_prefix() -> str:
    return "GROUP#"


def permission_group_count_key(tenant_id: str) -> dict[str, str]:
    """How many groups the tenant made (bounded), moved in the transaction of each create/delete."""
    return {PK: permission_groups_pk(tenant_id), SK: "COUNT"}


def contact_groups_key(tenant_id: str, contact_id: str) -> dict[str, str]:
    """The groups a contact was given (absent: the tenant's default group)."""
    return {PK: contact_partition(tenant_id, contact_id), SK: "PERMISSION_GROUPS"}


def group_members_pk(tenant_id: str, group_id: str) -> str:
    """Who was given a group: found when the group is deleted (in use? reassign to whom?)."""
    return f"TENANT#{tenant_id}#GROUP#{group_id}#MEMBERS"


def group_member_key(tenant_id: str, group_id: str, contact_id: str) -> dict[str, str]:
    return {PK: group_members_pk(tenant_id, group_id), SK: contact_sk(contact_id)}


def notification_preferences_key(tenant_id: str, contact_id: str) -> dict[str, str]:
    """Which mails the contact wants (absent: all of them)."""
    return {PK: contact_partition(tenant_id, contact_id), SK: "NOTIFICATIONS"}


# --- activities (notes and hints of a contact) ----------------------------------------------------
# In the contact's partition. Hints sort above notes (`1` > `0`), each by ULID: one query read
# backwards lists hints first, then notes, each newest first.
_ACTIVITY = "ACTIVITY#"
_ACTIVITY_RANKS = {"hint": "1", "note": "0"}


def activity_prefix(kind: str | None = None) -> str:
    """The sort key prefix of a contact's activities, of one kind (note|hint) or of all."""
    return _ACTIVITY if kind is None else f"{_ACTIVITY}{_ACTIVITY_RANKS[kind]}#"


def activity_key(tenant_id: str, contact_id: str, kind: str, activity_id: str) -> dict[str, str]:
    return {PK: contact_partition(tenant_id, contact_id), SK: f"{activity_prefix(kind)}{activity_id}"}


# --- issue 11, the contact itself: customer numbers and the tenant's custom fields ---------------


def customer_number_guard_key(tenant_id: str, number_key: str) -> dict[str, str]:
    """Holds a customer number for one contact of the tenant (as the email guard an address)."""
    return {PK: f"TENANT#{tenant_id}#CUSTOMER_NUMBER#{number_key}", SK: "CUSTOMER_NUMBER"}


def custom_fields_key(tenant_id: str) -> dict[str, str]:
    """The tenant's custom field definitions."""
    return {PK: f"TENANT#{tenant_id}", SK: "CUSTOM_FIELDS"}
