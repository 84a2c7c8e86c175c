"""The customers function: what a signed-in customer does for themselves (customer-pool tokens
only; the API's customer authorizer refuses staff tokens, and staff routes refuse these)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from customers.addresses import router as addresses_router
from customers.consents import router as consents_router
from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.contacts.service import ContactOut
from pforte.core.errors import ErrorCode
from pforte.core.observability import MetricUnit, instrumented, metrics
from pforte.http.auth import CurrentCustomer
from pforte.http.deps.contacts import Contacts
from pforte.http.deps.terms import TermsOfUse, TermsStorage
from pforte.http.events import prepare_event
from pforte.http.resolver import create_app, errors
from pforte.terms import service as terms
from pforte.terms.service import TermsAccepted, TermsOut

app = create_app()
app.include_router(consents_router)
app.include_router(addresses_router)


# 404: the token's contact was deleted meanwhile (or, for the terms, none are uploaded yet).
_GONE = errors(ErrorCode.NOT_FOUND)


@app.get(
    "/me", summary="The signed-in customer's own profile and status", tags=["me"], openapi_extensions=_GONE
)
def get_me(customer: CurrentCustomer, contacts: Contacts, repository: TermsOfUse) -> ContactOut:
    contact = terms.signed_in_contact(contacts, customer)
    return ContactOut.of(contact, terms.current_version(repository, customer.tenant_id))


@app.get(
    "/me/terms",
    summary="The current terms of use to read before accepting them",
    tags=["me"],
    openapi_extensions=_GONE,
)
def get_terms(
    customer: CurrentCustomer, contacts: Contacts, repository: TermsOfUse, storage: TermsStorage
) -> TermsOut:
    terms.signed_in_contact(contacts, customer)
    return terms.get_terms(repository, storage, customer.tenant_id)


@app.post(
    "/me/terms-acceptance", summary="Accept the current terms of use", tags=["me"], openapi_extensions=_GONE
)
def accept_terms(customer: CurrentCustomer, contacts: Contacts, repository: TermsOfUse) -> TermsAccepted:
    accepted = terms.accept_terms(repository, contacts, customer)
    metrics.add_metric(name="TermsAccepted", unit=MetricUnit.Count, value=1)
    return accepted


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
