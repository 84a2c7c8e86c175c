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
from pforte.http.auth import CurrentCustomer, CustomerRights, ProfileEditor
from pforte.http.deps.contacts import Contacts
from pforte.http.deps.rights import NotificationSettings
from pforte.http.deps.terms import TermsOfUse, TermsStorage
from pforte.http.events import prepare_event
from pforte.http.resolver import create_app, errors
from pforte.rights import notifications
from pforte.rights.catalogue import Right
from pforte.rights.notifications import NotificationPreferences
from pforte.rights.service import Me
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
def get_me(
    customer: CurrentCustomer, contacts: Contacts, repository: TermsOfUse, rights: CustomerRights
) -> Me:
    contact = terms.signed_in_contact(contacts, customer)
    profile = ContactOut.of(contact, terms.current_version(repository, customer.tenant_id))
    return Me(**profile.model_dump(), rights=sorted(rights, key=list(Right).index))


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


@app.get(
    "/me/notifications",
    summary="Which mails the signed-in customer wants",
    tags=["me"],
    openapi_extensions=_GONE,
)
def get_my_notifications(
    customer: CurrentCustomer, contacts: Contacts, preferences: NotificationSettings
) -> NotificationPreferences:
    return notifications.get_preferences(preferences, terms.signed_in_contact(contacts, customer))


@app.put(
    "/me/notifications",
    summary="Choose which mails to get (a preference left out is on); needs the right profile.edit",
    tags=["me"],
    openapi_extensions=_GONE,
)
def put_my_notifications(
    customer: ProfileEditor,
    contacts: Contacts,
    preferences: NotificationSettings,
    data: NotificationPreferences,
) -> NotificationPreferences:
    contact = terms.signed_in_contact(contacts, customer)
    return notifications.put_preferences(preferences, contact, data)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
