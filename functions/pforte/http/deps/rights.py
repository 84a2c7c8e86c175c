"""Dependencies of the rights area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.rights.notifications import Preferences
from pforte.rights.service import GroupRepository

PermissionGroups = Annotated[GroupRepository, Depends(wiring.permission_groups)]
NotificationSettings = Annotated[Preferences, Depends(wiring.permission_groups)]
