"""The exports function: requests for a customer's backup and for the account CSV, and their state.

The files are made by the exports worker (exports/worker.py) from the exports queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.core.observability import MetricUnit, instrumented, metrics
from pforte.exports import service
from pforte.exports.service import (
    AccountExportRequest,
    ExportOut,
    ExportStarted,
)
from pforte.http.auth import CurrentActor
from pforte.http.deps.contacts import Contacts
from pforte.http.deps.exports import ExportFiles, Exports, ExportsQueue
from pforte.http.events import prepare_event
from pforte.http.resolver import accepted, create_app

app = create_app()


@app.post(
    "/contacts/<contact_id>/backups",
    summary="Back up one customer (ZIP of profile, jobs and their files)",
    description="Made in the background: follow `GET /exports/{export_id}` until it has a download URL.",
    tags=["exports"],
    status_code=202,
)
def request_backup(
    actor: CurrentActor, exports: Exports, contacts: Contacts, queue: ExportsQueue, contact_id: str
) -> Response[ExportStarted]:
    export = service.request_backup(exports, contacts, queue, actor, contact_id)
    metrics.add_metric(name="BackupRequested", unit=MetricUnit.Count, value=1)
    return accepted(ExportStarted(export_id=export.id), f"/exports/{export.id}")


@app.post(
    "/contacts/exports",
    summary="Export the account list as CSV",
    description=(
        "The contacts that match `filters` (as on `GET /contacts`) and both options, every page of "
        "them, as a UTF-8 CSV with BOM that the import reads back. Made in the background: follow "
        "`GET /exports/{export_id}`."
    ),
    tags=["exports"],
    status_code=202,
)
def request_account_export(
    actor: CurrentActor, exports: Exports, queue: ExportsQueue, request: AccountExportRequest | None = None
) -> Response[ExportStarted]:
    # Every option has a default: no body is the whole list, with commas.
    export = service.request_account_export(exports, queue, actor, request or AccountExportRequest())
    metrics.add_metric(name="AccountExportRequested", unit=MetricUnit.Count, value=1)
    return accepted(ExportStarted(export_id=export.id), f"/exports/{export.id}")


@app.get(
    "/exports/<export_id>", summary="An export's state and, once made, its download link", tags=["exports"]
)
def get_export(
    actor: CurrentActor, exports: Exports, contacts: Contacts, objects: ExportFiles, export_id: str
) -> ExportOut:
    return service.get_export(exports, contacts, objects, actor, export_id)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
