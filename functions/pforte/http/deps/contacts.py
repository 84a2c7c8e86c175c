"""Dependencies of the contacts area's routes (the imports' and the delete's in their own modules,
so that a function reading contacts does not import the CSV machinery or the delete cascade)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.contacts.lifecycle import LoginIdentities
from pforte.contacts.service import Contact, ContactFinder, ContactRepository, ContactRules, rules_of
from pforte.contacts.summary import Counts
from pforte.http.auth import CurrentActor, CurrentCustomer

Contacts = Annotated[ContactRepository, Depends(wiring.contact_repository)]
ContactsByEmail = Annotated[ContactFinder, Depends(wiring.contact_finder)]
SummaryCounts = Annotated[Counts, Depends(wiring.summary_counts)]
Logins = Annotated[LoginIdentities, Depends(wiring.login_identities)]


def _rules(tenant_id: str) -> ContactRules:
    from pforte.customfields.service import definitions

    fields = definitions(wiring.custom_field_repository(), tenant_id)
    return rules_of(wiring.tenant_repository().get(tenant_id), fields)


def staff_contact_rules(actor: CurrentActor) -> ContactRules:
    """The caller's tenant's rules for contact fields (phone region, custom fields)."""
    return _rules(actor.tenant_id)


def customer_contact_rules(customer: CurrentCustomer) -> ContactRules:
    """The signed-in customer's tenant's rules for contact fields."""
    return _rules(customer.tenant_id)


StaffContactRules = Annotated[ContactRules, Depends(staff_contact_rules)]
CustomerContactRules = Annotated[ContactRules, Depends(customer_contact_rules)]


def signed_in_contact(customer: CurrentCustomer, contacts: Contacts) -> Contact:
    """The signed-in customer's contact while the account is active: 404 once it is deleted, 403
    while it is not active (a token outlives a deactivation by up to an hour)."""
    from pforte.terms.service import signed_in_contact

    return signed_in_contact(contacts, customer)


SignedInContact = Annotated[Contact, Depends(signed_in_contact)]
