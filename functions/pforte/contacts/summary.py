"""The counts behind an account's tabs (`GET /contacts/{id}/summary`).

Counting items would read a partition whose size grows with the account; instead each write that
adds or removes a counted item moves its counter in the same transaction (`storage.dynamo.
count_change` on `storage.keys.summary_key`), and the summary reads the one counter item.
"""

from collections.abc import Mapping
from typing import Protocol

from pforte.contacts.service import ContactRepository, get_contact
from pforte.core.counters import Counter
from pforte.core.identity import Actor
from pforte.core.model import Model


class Counts(Protocol):
    def counts(self, tenant_id: str, contact_id: str) -> Mapping[str, int]:
        """The contact's counters as stored (absent ones are 0)."""


class AddressCounts(Model):
    billing: int
    delivery: int


class JobCounts(Model):
    new: int
    incoming: int
    processing: int
    completed: int


class AccountSummary(Model):
    contact_id: str
    addresses: AddressCounts
    bank_accounts: int
    activities: int
    jobs: JobCounts
    mails: int
    consents_granted: int


def summary(contacts: ContactRepository, counts: Counts, actor: Actor, contact_id: str) -> AccountSummary:
    """Two reads whatever the counts: the contact (404 if it is not the caller's) and its counters."""
    contact = get_contact(contacts, actor, contact_id)
    stored = counts.counts(actor.tenant_id, contact.id)

    def count(counter: Counter) -> int:
        return max(0, int(stored.get(counter.value, 0)))

    return AccountSummary(
        contact_id=contact.id,
        addresses=AddressCounts(
            billing=count(Counter.ADDRESSES_BILLING), delivery=count(Counter.ADDRESSES_DELIVERY)
        ),
        bank_accounts=count(Counter.BANK_ACCOUNTS),
        activities=count(Counter.ACTIVITIES),
        jobs=JobCounts(
            new=count(Counter.JOBS_NEW),
            incoming=count(Counter.JOBS_INCOMING),
            processing=count(Counter.JOBS_PROCESSING),
            completed=count(Counter.JOBS_COMPLETED),
        ),
        mails=count(Counter.MAILS),
        consents_granted=count(Counter.CONSENTS_GRANTED),
    )
