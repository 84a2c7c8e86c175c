"""Dependencies of the CSV import's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.contacts.imports import ImportJobRepository, ImportStore, Uploads

Imports = Annotated[ImportStore, Depends(wiring.import_store)]
ImportJobs = Annotated[ImportJobRepository, Depends(wiring.import_jobs)]
ImportUploads = Annotated[Uploads, Depends(wiring.import_uploads)]
