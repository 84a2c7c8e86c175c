"""Dependencies of the mail area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.mail.messages import Mailer

Mail = Annotated[Mailer, Depends(wiring.mailer)]
