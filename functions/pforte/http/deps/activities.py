"""Dependencies of the activities area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.activities.service import ActivityRepository, AttachmentFiles

Activities = Annotated[ActivityRepository, Depends(wiring.activity_repository)]
ActivityFiles = Annotated[AttachmentFiles, Depends(wiring.job_files)]
