"""Routes of the accounts function for a contact's activities (notes and hints, with a file)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pforte.activities import service
from pforte.activities.service import ActivityCreate, ActivityKind, ActivityOut, ActivityPage, CreatedActivity
from pforte.core.errors import ErrorCode
from pforte.core.pagination import DEFAULT_PAGE_SIZE
from pforte.http.auth import CurrentActor
from pforte.http.deps.activities import Activities, ActivityFiles
from pforte.http.deps.contacts import Contacts
from pforte.http.pages import PageCursor, PageLimit
from pforte.http.resolver import created, errors

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/contacts/<contact_id>/activities",
    summary="A contact's notes and hints: hints first, each newest first",
    tags=["accounts"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def list_activities(
    actor: CurrentActor,
    activities: Activities,
    contacts: Contacts,
    files: ActivityFiles,
    contact_id: str,
    kind: Annotated[ActivityKind | None, Query()] = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> ActivityPage:
    return service.list_activities(activities, contacts, files, actor, contact_id, kind, cursor, limit)


@router.post(
    "/contacts/<contact_id>/activities",
    summary="Add a note or hint, optionally with a file",
    description=(
        "With `attachment` the answer holds a presigned S3 POST in `upload`: send the form fields "
        "and then the file as multipart/form-data to `upload.url`. At most 819,200 bytes. Once it "
        "arrives, its type is decided by its content (PDF, PNG, JPEG, GIF, WebP, TIFF, OOXML and "
        "OpenDocument text, spreadsheet and presentation, Word, Excel and PowerPoint 97-2003): the "
        "activity shows the attachment as stored, with a download link, or as rejected and why."
    ),
    tags=["accounts"],
    status_code=201,
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def create_activity(
    actor: CurrentActor,
    activities: Activities,
    contacts: Contacts,
    files: ActivityFiles,
    contact_id: str,
    request: ActivityCreate,
) -> Response[CreatedActivity]:
    activity = service.create_activity(activities, contacts, files, actor, contact_id, request)
    return created(activity, f"/contacts/{contact_id}/activities/{activity.id}")


@router.get(
    "/contacts/<contact_id>/activities/<activity_id>",
    summary="Read one note or hint (with its file's download link once stored)",
    tags=["accounts"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_activity(
    actor: CurrentActor,
    activities: Activities,
    contacts: Contacts,
    files: ActivityFiles,
    contact_id: str,
    activity_id: str,
) -> ActivityOut:
    return service.get_activity(activities, contacts, files, actor, contact_id, activity_id)


@router.delete(
    "/contacts/<contact_id>/activities/<activity_id>",
    summary="Delete a note or hint and its file",
    tags=["accounts"],
    status_code=204,
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def delete_activity(
    actor: CurrentActor,
    activities: Activities,
    contacts: Contacts,
    files: ActivityFiles,
    contact_id: str,
    activity_id: str,
) -> Response[None]:
    service.delete_activity(activities, contacts, files, actor, contact_id, activity_id)
    return Response(status_code=204)
