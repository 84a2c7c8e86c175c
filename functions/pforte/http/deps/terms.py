"""Dependencies of the terms area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.terms.service import TermsFiles, TermsRepository

TermsOfUse = Annotated[TermsRepository, Depends(wiring.terms_repository)]
TermsStorage = Annotated[TermsFiles, Depends(wiring.job_files)]
