"""The signed-in customer's own consents (behind the `profile.edit` right)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pforte.consents import service
from pforte.consents.service import ConsentList, ConsentOut, OwnConsentChange
from pforte.core.errors import ErrorCode
from pforte.core.observability import MetricUnit, metrics
from pforte.http.auth import ProfileEditor
from pforte.http.deps.consents import ConfirmationMails, Consents
from pforte.http.deps.contacts import SignedInContact
from pforte.http.deps.tenants import Tenants
from pforte.http.resolver import errors

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/me/consents",
    summary="The signed-in customer's consent on each channel",
    tags=["me"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_own_consents(
    customer: ProfileEditor, contact: SignedInContact, tenants: Tenants, consents: Consents
) -> ConsentList:
    return service.own_consents(tenants, consents, contact)


@router.get(
    "/me/consents/<channel>",
    summary="The signed-in customer's consent on one channel",
    tags=["me"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND, ErrorCode.UNKNOWN_CONSENT_CHANNEL),
)
def get_own_consent(
    customer: ProfileEditor, contact: SignedInContact, tenants: Tenants, consents: Consents, channel: str
) -> ConsentOut:
    return service.own_consent(tenants, consents, contact, channel)


@router.put(
    "/me/consents/<channel>",
    summary="Grant or withdraw a consent yourself",
    description=(
        "A grant of an email channel is `pending` until you use the link mailed to you; "
        "withdrawing takes effect at once."
    ),
    tags=["me"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND, ErrorCode.UNKNOWN_CONSENT_CHANNEL, ErrorCode.CONFLICT),
)
def put_own_consent(
    customer: ProfileEditor,
    contact: SignedInContact,
    tenants: Tenants,
    consents: Consents,
    queue: ConfirmationMails,
    channel: str,
    change: OwnConsentChange,
) -> ConsentOut:
    result = service.change_own_consent(tenants, consents, queue, customer, contact, channel, change)
    metrics.add_metric(name="ConsentChanged", unit=MetricUnit.Count, value=1)
    return result
