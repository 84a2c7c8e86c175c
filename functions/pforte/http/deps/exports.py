"""Dependencies of the exports area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.core.ports import MessageQueue
from pforte.exports.service import ExportObjects, ExportRepository

Exports = Annotated[ExportRepository, Depends(wiring.export_repository)]
ExportFiles = Annotated[ExportObjects, Depends(wiring.export_objects)]
ExportsQueue = Annotated[MessageQueue, Depends(wiring.exports_queue)]
