"""Dependencies of the tenants area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.tenants.service import TenantRepository

Tenants = Annotated[TenantRepository, Depends(wiring.tenant_repository)]
