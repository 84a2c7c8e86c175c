"""Dependencies of the links area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.links.service import LinkKeys, LinkRepository, SubmissionPorts

Links = Annotated[LinkRepository, Depends(wiring.link_repository)]
LinkSigning = Annotated[LinkKeys, Depends(wiring.link_keys)]
Submissions = Annotated[SubmissionPorts, Depends(wiring.submission_ports)]
