"""Dependencies of the contacts area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.contacts.deletion import Deletion
from pforte.contacts.imports import ImportJobRepository, ImportStore, Uploads
from pforte.contacts.lifecycle import LoginIdentities
from pforte.contacts.service import ContactFinder, ContactRepository, ContactRules, rules_of
from pforte.contacts.summary import Counts
from pforte.http.auth import CurrentActor, CurrentCustomer

SummaryCounts = Annotated[Counts, Depends(wiring.summary_counts)]
Contacts = Annotated[ContactRepository, Depends(wiring.contact_repository)]
ContactsByEmail = Annotated[ContactFinder, Depends(wiring.contact_finder)]
ContactDeletion = Annotated[Deletion, Depends(wiring.deletion)]
Logins = Annotated[LoginIdentities, Depends(wiring.login_identities)]
Imports = Annotated[ImportStore, Depends(wiring.import_store)]
ImportJobs = Annotated[ImportJobRepository, Depends(wiring.import_jobs)]
ImportUploads = Annotated[Uploads, Depends(wiring.import_uploads)]


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
