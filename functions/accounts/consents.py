"""Routes of the accounts function for the contact's consents (opt-ins per channel)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pforte.consents import service
from pforte.consents.service import ConsentChange, ConsentList, ConsentOut, HistoryPage
from pforte.core.errors import ErrorCode
from pforte.core.observability import MetricUnit, metrics
from pforte.core.pagination import DEFAULT_PAGE_SIZE
from pforte.http.auth import CurrentActor
from pforte.http.deps.consents import ConfirmationMails, Consents
from pforte.http.deps.contacts import Contacts
from pforte.http.deps.tenants import Tenants
from pforte.http.pages import PageCursor, PageLimit
from pforte.http.resolver import errors

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/contacts/<contact_id>/consents",
    summary="The contact's consent on each of the tenant's channels",
    tags=["accounts"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def list_consents(
    actor: CurrentActor, contacts: Contacts, tenants: Tenants, consents: Consents, contact_id: str
) -> ConsentList:
    return service.list_consents(contacts, tenants, consents, actor, contact_id)


@router.put(
    "/contacts/<contact_id>/consents/<channel>",
    summary="Record the contact's grant or withdrawal on a channel",
    description=(
        "A grant of an email channel is `pending` until the customer uses the link mailed to them "
        "(double opt-in); granting a pending one again mails a new link. Withdrawing takes effect "
        "at once. An unknown channel is 404 `unknown_consent_channel`."
    ),
    tags=["accounts"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND, ErrorCode.UNKNOWN_CONSENT_CHANNEL, ErrorCode.CONFLICT),
)
def put_consent(
    actor: CurrentActor,
    contacts: Contacts,
    tenants: Tenants,
    consents: Consents,
    queue: ConfirmationMails,
    contact_id: str,
    channel: str,
    change: ConsentChange,
) -> ConsentOut:
    result = service.change_consent(contacts, tenants, consents, queue, actor, contact_id, channel, change)
    metrics.add_metric(name="ConsentChanged", unit=MetricUnit.Count, value=1)
    return result


@router.get(
    "/contacts/<contact_id>/consents/history",
    summary="Every change of the contact's consents, newest first",
    tags=["accounts"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def consent_history(
    actor: CurrentActor,
    contacts: Contacts,
    consents: Consents,
    contact_id: str,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> HistoryPage:
    return service.consent_history(contacts, consents, actor, contact_id, limit, cursor)
