"""The customers function: what a signed-in customer does for themselves (customer-pool tokens
only; the API's customer authorizer refuses staff tokens, and staff routes refuse these)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from customers.addresses import router as addresses_router
from customers.consents import router as consents_router
from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.contacts import service as contacts_service
from pforte.contacts.service import ContactOut, ProfilePatch
from pforte.core.errors import ErrorCode
from pforte.core.observability import MetricUnit, instrumented, metrics
from pforte.customfields.service import customer_editable
from pforte.http.auth import CurrentCustomer, CustomerRights, ProfileEditor
from pforte.http.deps.contacts import Contacts, CustomerContactRules, SignedInContact
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
    customer: CurrentCustomer,
    repository: TermsOfUse,
    rules: CustomerContactRules,
    rights: CustomerRights,
    contact: SignedInContact,
) -> Me:
    """The profile with the customer's rights; of the custom fields, those the tenant lets the
    customer change."""
    profile = _own(contact, repository.current_version(customer.tenant_id), rules)
    return Me(**profile.model_dump(), rights=sorted(rights, key=list(Right).index))


def _own(
    contact: contacts_service.Contact, current_terms: str | None, rules: contacts_service.ContactRules
) -> ContactOut:
    return ContactOut.of(contact, current_terms, rules.fields, only=customer_editable(rules.fields))


@app.patch(
    "/me",
    summary="Change the signed-in customer's own profile: name, company, phone, their custom fields",
    description=(
        "Only the custom fields the tenant marks `customer_editable`; any other key answers 422 "
        "`validation_error` with its path (`custom.<key>`). Needs the `profile.edit` right."
    ),
    tags=["me"],
    openapi_extensions=errors(
        ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN, ErrorCode.INVALID_PHONE, ErrorCode.VALIDATION_ERROR
    ),
)
def update_me(
    customer: ProfileEditor,
    contacts: Contacts,
    repository: TermsOfUse,
    rules: CustomerContactRules,
    patch: ProfilePatch,
) -> ContactOut:
    contact = contacts_service.update_profile(contacts, customer, patch, rules)
    return _own(contact, repository.current_version(customer.tenant_id), rules)


@app.get(
    "/me/terms",
    summary="The current terms of use to read before accepting them",
    tags=["me"],
    openapi_extensions=_GONE,
)
def get_terms(
    customer: CurrentCustomer, repository: TermsOfUse, storage: TermsStorage, contact: SignedInContact
) -> TermsOut:
    # `contact` only for its check: a closed account reads no terms.
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
    contact: SignedInContact, preferences: NotificationSettings
) -> NotificationPreferences:
    return notifications.get_preferences(preferences, contact)


@app.put(
    "/me/notifications",
    summary="Choose which mails to get (a preference left out is on); needs the right profile.edit",
    tags=["me"],
    openapi_extensions=_GONE,
)
def put_my_notifications(
    customer: ProfileEditor,
    contact: SignedInContact,
    preferences: NotificationSettings,
    data: NotificationPreferences,
) -> NotificationPreferences:
    return notifications.put_preferences(preferences, contact, data)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
