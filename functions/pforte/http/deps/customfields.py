"""Dependencies of the custom fields area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.customfields.service import CustomFieldRepository

CustomFieldDefinitions = Annotated[CustomFieldRepository, Depends(wiring.custom_field_repository)]
