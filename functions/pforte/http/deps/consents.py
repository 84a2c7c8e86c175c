"""Dependencies of the consents area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.consents.service import ConfirmationAttempts, ConsentRepository
from pforte.core.ports import MessageQueue

Consents = Annotated[ConsentRepository, Depends(wiring.consent_repository)]
FailedConfirmations = Annotated[ConfirmationAttempts, Depends(wiring.failed_consent_confirmations)]
# The confirmation mails go out from the mail worker.
ConfirmationMails = Annotated[MessageQueue, Depends(wiring.mail_queue)]
