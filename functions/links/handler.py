"""The links function: the tenant's onboarding link, the generic link's settings, and the public
route through which customers without an account submit jobs with that link."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.core.errors import ErrorCode
from pforte.core.observability import MetricUnit, instrumented, metrics
from pforte.http.auth import CurrentActor
from pforte.http.deps.contacts import Contacts
from pforte.http.deps.links import Links, LinkSigning, Submissions
from pforte.http.deps.mail import Mail
from pforte.http.deps.tenants import Tenants
from pforte.http.events import prepare_event
from pforte.http.resolver import create_app, created, errors
from pforte.links import service
from pforte.links.service import (
    GenericLinkOut,
    GenericLinkSend,
    GenericLinkSent,
    GenericLinkSettings,
    OnboardingLink,
    Submission,
    SubmissionAccepted,
    UsageHistory,
)

app = create_app()

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes a retried submission count once and answer the same job (kept one hour)",
    ),
]


@app.get("/links/onboarding", summary="The onboarding link customers register through", tags=["links"])
def get_onboarding_link(actor: CurrentActor, tenants: Tenants) -> OnboardingLink:
    return service.onboarding_link(tenants, actor)


@app.get("/links/generic", summary="The generic link, its settings and today's usage", tags=["links"])
def get_generic_link(
    actor: CurrentActor, links: Links, keys: LinkSigning, tenants: Tenants
) -> GenericLinkOut:
    return service.view_generic_link(links, keys, tenants, actor)


@app.put("/links/generic", summary="Set the generic link's expiry and daily limits", tags=["links"])
def put_generic_link(
    actor: CurrentActor, links: Links, keys: LinkSigning, tenants: Tenants, settings: GenericLinkSettings
) -> GenericLinkOut:
    return service.configure_generic_link(links, keys, tenants, actor, settings)


@app.post(
    "/links/generic/renew",
    summary="Renew the generic link (admins only): the old URL stops working at once",
    tags=["links"],
)
def renew_generic_link(
    actor: CurrentActor, links: Links, keys: LinkSigning, tenants: Tenants
) -> GenericLinkOut:
    return service.renew_generic_link(links, keys, tenants, actor)


@app.post(
    "/links/generic/send",
    summary="Mail the generic link to a contact",
    tags=["links"],
    openapi_extensions=errors(ErrorCode.LINK_EXPIRED, ErrorCode.NOT_FOUND),  # 404: no such contact
)
def send_generic_link(
    actor: CurrentActor,
    links: Links,
    keys: LinkSigning,
    tenants: Tenants,
    contacts: Contacts,
    mailer: Mail,
    request: GenericLinkSend,
) -> GenericLinkSent:
    return service.send_generic_link(links, keys, tenants, contacts, mailer, actor, request.contact_id)


@app.get("/links/generic/usage", summary="The generic link's usage today and the week before", tags=["links"])
def get_usage(actor: CurrentActor, links: Links, tenants: Tenants) -> UsageHistory:
    return service.usage_history(links, tenants, actor)


@app.post(
    "/public/generic/<token>/submissions",
    summary="Submit a job through the generic link (no account needed)",
    description=(
        "Creates the job (state incoming) for the contact of `email` (a new, not registered contact if "
        "there is none) after admitting it against the link's daily limits, and answers one presigned "
        "S3 POST per file: post the form fields and then the file to `upload.url`."
    ),
    tags=["public"],
    status_code=201,
    openapi_extensions=errors(
        ErrorCode.LINK_EXPIRED,
        ErrorCode.QUOTA_EXCEEDED,
        ErrorCode.FILE_TOO_LARGE,
        ErrorCode.IDEMPOTENCY_CONFLICT,
    ),
)
def submit(
    ports: Submissions, token: str, submission: Submission, idempotency_key: IdempotencyKey = None
) -> Response[SubmissionAccepted]:
    accepted = service.submit(ports, token, submission, idempotency_key)
    metrics.add_metric(name="GenericSubmission", unit=MetricUnit.Count, value=1)
    return created(accepted, f"/jobs/{accepted.job_id}")


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
