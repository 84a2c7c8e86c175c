"""Dependencies of the contacts area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.contacts.deletion import Deletion
from pforte.contacts.imports import ImportJobRepository, ImportStore, Uploads
from pforte.contacts.lifecycle import LoginIdentities
from pforte.contacts.service import ContactFinder, ContactRepository
from pforte.contacts.summary import Counts

SummaryCounts = Annotated[Counts, Depends(wiring.summary_counts)]
Contacts = Annotated[ContactRepository, Depends(wiring.contact_repository)]
ContactsByEmail = Annotated[ContactFinder, Depends(wiring.contact_finder)]
ContactDeletion = Annotated[Deletion, Depends(wiring.deletion)]
Logins = Annotated[LoginIdentities, Depends(wiring.login_identities)]
Imports = Annotated[ImportStore, Depends(wiring.import_store)]
ImportJobs = Annotated[ImportJobRepository, Depends(wiring.import_jobs)]
ImportUploads = Annotated[Uploads, Depends(wiring.import_uploads)]
