"""The imports function: the CSV template, imports of a CSV body, and large imports uploaded to S3
(their worker is `imports.worker`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.contacts import imports
from pforte.contacts.imports import ImportJobOut, ImportReport, UploadStarted
from pforte.core.errors import ErrorCode
from pforte.core.observability import MetricUnit, instrumented, metrics
from pforte.http.auth import CurrentActor
from pforte.http.deps.customfields import CustomFieldDefinitions
from pforte.http.deps.imports import ImportJobs, Imports, ImportUploads
from pforte.http.deps.tenants import Tenants
from pforte.http.events import prepare_event
from pforte.http.request import RawBody
from pforte.http.resolver import accepted, create_app, created, errors

app = create_app()
RAW_BODY_ROUTES = frozenset({"/contacts/imports"})


@app.get(
    "/contacts/import-template",
    summary="The CSV template for imports (users_template.csv)",
    tags=["import"],
    responses={
        200: {
            "description": "The template, as an attachment (UTF-8 with BOM)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def import_template(actor: CurrentActor) -> Response[str]:
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=imports.TEMPLATE_CSV,
        headers={"Content-Disposition": f'attachment; filename="{imports.TEMPLATE_FILENAME}"'},
    )


@app.post(
    "/contacts/imports",
    summary="Import contacts from a CSV body (up to 4 MB)",
    description=(
        "Send the file as the body (`Content-Type: text/csv`). `,` or `;`, UTF-8 (with or without "
        "BOM) or Windows-1252, header names in English or German. Every good row is imported as "
        "`not_registered`; bad rows are reported by line and field; known and repeated addresses "
        "are skipped; a customer number another contact has fails its row. The tenant's custom fields "
        "are read from the columns named by their keys. `dry_run=true` reports without writing. Up "
        "to 1000 rows the answer is the "
        "report (200); a longer file is imported in the background: 202 with the import to follow "
        "at `GET /contacts/imports/{import_id}`."
    ),
    tags=["import"],
    openapi_extensions=errors(
        ErrorCode.CSV_HEADER_INVALID, ErrorCode.CSV_INVALID, ErrorCode.PAYLOAD_TOO_LARGE
    ),
    responses={
        200: {
            "description": "Imported: the report",
            "content": {"application/json": {"model": ImportReport}},
        },
        202: {
            "description": "Imported in the background",
            "content": {"application/json": {"model": ImportJobOut}},
        },
    },
)
def import_contacts(
    actor: CurrentActor,
    store: Imports,
    jobs: ImportJobs,
    uploads: ImportUploads,
    tenants: Tenants,
    fields: CustomFieldDefinitions,
    body: RawBody,
    dry_run: Annotated[bool, Query(description="Validate and report, write nothing")] = False,
) -> Response[ImportReport | ImportJobOut]:
    result = imports.import_csv(store, jobs, uploads, tenants, fields, actor, body, dry_run=dry_run)
    if isinstance(result, imports.ImportJob):
        out = ImportJobOut.of(result)
        return accepted(out, f"/contacts/imports/{result.id}")
    if not dry_run:
        metrics.add_metric(name="ContactImported", unit=MetricUnit.Count, value=result.imported)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=result)


@app.post(
    "/contacts/imports/uploads",
    summary="Start the import of a large CSV: upload it to the returned form, then follow its progress",
    description=(
        "Returns a presigned S3 POST (`upload.url` and `upload.fields`; send the fields and then the "
        "file as `file` in a multipart form). The import starts when the file arrives; "
        "`GET /contacts/imports/{import_id}` shows its progress and, at the end, its report."
    ),
    tags=["import"],
    status_code=201,
)
def start_import_upload(
    actor: CurrentActor, jobs: ImportJobs, uploads: ImportUploads
) -> Response[UploadStarted]:
    started = imports.start_upload(jobs, uploads, actor)
    return created(started, f"/contacts/imports/{started.import_id}")


@app.get(
    "/contacts/imports/<import_id>", summary="Progress and report of a background import", tags=["import"]
)
def get_import(actor: CurrentActor, jobs: ImportJobs, import_id: str) -> ImportJobOut:
    return ImportJobOut.of(imports.get_import(jobs, actor, import_id))


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event, RAW_BODY_ROUTES), context)
