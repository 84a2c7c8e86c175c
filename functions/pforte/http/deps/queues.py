"""The queues routes hand work to (a module of its own: it loads no area's models)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.core.ports import MessageQueue

MailQueue = Annotated[MessageQueue, Depends(wiring.mail_queue)]
