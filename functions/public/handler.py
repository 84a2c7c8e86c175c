"""The public function: routes customers reach through links, with no staff token."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte.activation import registration
from pforte.activation import service as activation
from pforte.activation.registration import Registration, RegistrationReceived
from pforte.activation.service import Activated, ActivationRequest
from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.consents import service as consents_service
from pforte.consents.service import ConfirmationRequest, Confirmed
from pforte.core.errors import ErrorCode
from pforte.core.observability import MetricUnit, instrumented, metrics
from pforte.http.deps.activation import Activations, FailedActivations, Registrations
from pforte.http.deps.consents import Consents, FailedConfirmations
from pforte.http.deps.contacts import Contacts, ContactsByEmail, Logins
from pforte.http.deps.mail import Mail
from pforte.http.deps.tenants import Tenants
from pforte.http.events import prepare_event
from pforte.http.request import SourceAddress, UserAgent
from pforte.http.resolver import accepted, create_app, errors

app = create_app()


@app.post(
    "/public/activations",
    summary="Activate an account with the link from the mail",
    tags=["public"],
    openapi_extensions=errors(ErrorCode.TOKEN_INVALID, ErrorCode.WEAK_PASSWORD, ErrorCode.RATE_LIMITED),
)
def activate(
    contacts: Contacts,
    activations: Activations,
    logins: Logins,
    attempts: FailedActivations,
    source: SourceAddress,
    request: ActivationRequest,
) -> Activated:
    """`password` is required for an account created by staff and ignored for a self-registered
    one. Unknown, used, replaced and expired links all answer 410 `token_invalid`; ten failures
    from one address within 15 minutes block it for 15 minutes (429 with Retry-After)."""
    result = activation.activate(contacts, activations, logins, attempts, request, source)
    metrics.add_metric(name="ContactActivated", unit=MetricUnit.Count, value=1)
    return result


@app.post(
    "/public/registrations",
    summary="Register through the tenant's onboarding link",
    description=(
        "Creates (or moves) the contact of that address to `inactive` with an unconfirmed login and "
        "mails an activation link; the answer is the same whether or not the address was known. "
        "`tenant` is the slug at the end of the onboarding link."
    ),
    tags=["public"],
    status_code=202,
    openapi_extensions=errors(ErrorCode.WEAK_PASSWORD, ErrorCode.RATE_LIMITED),
)
def register(
    tenants: Tenants,
    contacts: Contacts,
    finder: ContactsByEmail,
    logins: Logins,
    activations: Activations,
    mailer: Mail,
    attempts: Registrations,
    source: SourceAddress,
    request: Registration,
) -> Response[RegistrationReceived]:
    received = registration.register(
        tenants, contacts, finder, logins, activations, mailer, attempts, request, source
    )
    metrics.add_metric(name="Registration", unit=MetricUnit.Count, value=1)
    return accepted(received)


@app.post(
    "/public/consent-confirmations",
    summary="Confirm a consent (double opt-in) with the link from the mail",
    description=(
        "Grants the consent the link was mailed for and keeps the proof (time, source address, user "
        "agent). Unknown, used, replaced and expired links all answer 410 `token_invalid`; ten "
        "failures from one address within 15 minutes block it for 15 minutes (429 with Retry-After)."
    ),
    tags=["public"],
    openapi_extensions=errors(ErrorCode.TOKEN_INVALID, ErrorCode.RATE_LIMITED),
)
def confirm_consent(
    contacts: Contacts,
    tenants: Tenants,
    consents: Consents,
    attempts: FailedConfirmations,
    source: SourceAddress,
    user_agent: UserAgent,
    request: ConfirmationRequest,
) -> Confirmed:
    result = consents_service.confirm(contacts, tenants, consents, attempts, request, source, user_agent)
    metrics.add_metric(name="ConsentConfirmed", unit=MetricUnit.Count, value=1)
    return result


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
