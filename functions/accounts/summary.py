"""Routes of the accounts function for the counts of an account's tabs."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pforte.contacts import summary
from pforte.contacts.summary import AccountSummary
from pforte.core.errors import ErrorCode
from pforte.http.auth import CurrentActor
from pforte.http.deps.contacts import Contacts, SummaryCounts
from pforte.http.resolver import errors

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/contacts/<contact_id>/summary",
    summary="Counts per part of the account (addresses, bank accounts, activities, jobs, mails, consents)",
    tags=["accounts"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_summary(
    actor: CurrentActor, contacts: Contacts, counts: SummaryCounts, contact_id: str
) -> AccountSummary:
    return summary.summary(contacts, counts, actor, contact_id)
