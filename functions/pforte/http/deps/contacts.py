"""Dependencies of the contacts area's routes (the imports' and the delete's in their own modules,
so that a function reading contacts does not import the CSV machinery or the delete cascade)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.contacts.lifecycle import LoginIdentities
from pforte.contacts.service import ContactFinder, ContactRepository
from pforte.contacts.summary import Counts

Contacts = Annotated[ContactRepository, Depends(wiring.contact_repository)]
ContactsByEmail = Annotated[ContactFinder, Depends(wiring.contact_finder)]
SummaryCounts = Annotated[Counts, Depends(wiring.summary_counts)]
Logins = Annotated[LoginIdentities, Depends(wiring.login_identities)]
