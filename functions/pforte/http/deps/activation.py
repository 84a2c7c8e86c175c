"""Dependencies of the activation area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.activation.service import ActivationRepository, FailedAttempts

Activations = Annotated[ActivationRepository, Depends(wiring.activation_repository)]
FailedActivations = Annotated[FailedAttempts, Depends(wiring.failed_activations)]
Registrations = Annotated[FailedAttempts, Depends(wiring.registrations_per_source)]
