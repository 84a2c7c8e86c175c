"""Dependencies of the contact delete's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.contacts.deletion import Deletion

ContactDeletion = Annotated[Deletion, Depends(wiring.deletion)]
