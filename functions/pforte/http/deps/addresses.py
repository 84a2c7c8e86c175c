"""Dependencies of the addresses area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.addresses.service import AddressRepository

AddressStore = Annotated[AddressRepository, Depends(wiring.address_repository)]
