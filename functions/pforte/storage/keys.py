"""Every key format of the table. Each partition key starts with the tenant.

Items: the tenant's profile; its contacts (one partition per tenant, newest first by ULID); one
guard per contact email (uniqueness, written in the same transaction as the contact); a status
index (GSI1) so that filtering by status reads only contacts of that status; per contact, one
partition of what depends on it (jobs, ...), and a pointer per job from its id to its contact.
"""

from __future__ import annotations

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


_JOB = "JOB#"


def job_key(tenant_id: str, contact_id: str, job_id: str) -> dict[str, str]:
    return {PK: contact_partition(tenant_id, contact_id), SK: f"{_JOB}{job_id}"}


def job_prefix() -> str:
    return _JOB


def job_pointer_key(tenant_id: str, job_id: str) -> dict[str, str]:
    """Finds a job's contact from the job id alone (GET /jobs/{id})."""
    return {PK: f"TENANT#{tenant_id}#JOB#{job_id}", SK: "POINTER"}


def activation_link_key(tenant_id: str, contact_id: str) -> dict[str, str]:
    """The contact's current activation link (its digest): a newer one replaces it."""
    return {PK: contact_partition(tenant_id, contact_id), SK: "ACTIVATION"}


def activation_token_key(tenant_id: str, digest: str) -> dict[str, str]:
    """A link found by the SHA-256 of its secret, from the public activation route."""
    return {PK: f"TENANT#{tenant_id}#ACTIVATION#{digest}", SK: "TOKEN"}


def mail_log_key(tenant_id: str, contact_id: str, mail_id: str) -> dict[str, str]:
    return {PK: contact_partition(tenant_id, contact_id), SK: f"MAIL#{mail_id}"}


def import_key(tenant_id: str, import_id: str) -> dict[str, str]:
    return {PK: f"TENANT#{tenant_id}#IMPORTS", SK: f"IMPORT#{import_id}"}


def mail_request_key(tenant_id: str, contact_id: str, request_id: str) -> dict[str, str]:
    """Marks a queued mail request as handled, so that a repeated message sends nothing twice."""
    return {PK: contact_partition(tenant_id, contact_id), SK: f"MAILREQ#{request_id}"}


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


# --- issue 11, the contact itself: customer numbers and the tenant's custom fields ---------------


def customer_number_guard_key(tenant_id: str, number_key: str) -> dict[str, str]:
    """Holds a customer number for one contact of the tenant (as the email guard an address)."""
    return {PK: f"TENANT#{tenant_id}#CUSTOMER_NUMBER#{number_key}", SK: "CUSTOMER_NUMBER"}


def custom_fields_key(tenant_id: str) -> dict[str, str]:
    """The tenant's custom field definitions."""
    return {PK: f"TENANT#{tenant_id}", SK: "CUSTOM_FIELDS"}
