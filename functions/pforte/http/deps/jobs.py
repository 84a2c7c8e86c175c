"""Dependencies of the jobs area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.jobs.files import FileEntries, FileStorage
from pforte.jobs.service import JobRepository

Jobs = Annotated[JobRepository, Depends(wiring.job_repository)]
JobFileEntries = Annotated[FileEntries, Depends(wiring.file_entries)]
JobFileStorage = Annotated[FileStorage, Depends(wiring.job_files)]
