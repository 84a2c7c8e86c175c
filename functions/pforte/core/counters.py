"""The counters of a contact's summary item (`GET /contacts/{id}/summary`).

One vocabulary for the areas that move them (each write that adds or removes a counted item, in its
own transaction) and the summary that reads them.
"""

from __future__ import annotations

from enum import StrEnum


class Counter(StrEnum):
    """Every counter of the summary item; the parts that write items move theirs."""

    ADDRESSES_BILLING = "addresses_billing"
    ADDRESSES_DELIVERY = "addresses_delivery"
    BANK_ACCOUNTS = "bank_accounts"
    ACTIVITIES = "activities"
    CONSENTS_GRANTED = "consents_granted"
    MAILS = "mails"
    JOBS_NEW = "jobs_new"
    JOBS_INCOMING = "jobs_incoming"
    JOBS_PROCESSING = "jobs_processing"
    JOBS_COMPLETED = "jobs_completed"


def job_counter(state: str) -> Counter:
    """The counter of jobs in this state."""
    return Counter(f"jobs_{state}")
