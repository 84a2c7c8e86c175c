"""The tenants function: the signed-in staff member's tenant and its settings."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.core.errors import ErrorCode
from pforte.core.observability import instrumented
from pforte.customfields import service as customfields
from pforte.customfields.service import CustomFieldsOut, CustomFieldsPut
from pforte.http.auth import CurrentActor
from pforte.http.deps.customfields import CustomFieldDefinitions
from pforte.http.deps.tenants import Tenants
from pforte.http.deps.terms import TermsOfUse, TermsStorage
from pforte.http.events import prepare_event
from pforte.http.resolver import create_app, created, errors
from pforte.tenants import service
from pforte.tenants.service import TenantOut, TenantPatch
from pforte.terms import service as terms
from pforte.terms.service import (
    TermsOut,
    TermsUpload,
    TermsUploadOut,
    TermsUploadRequest,
)

app = create_app()


@app.get("/tenant", summary="The caller's tenant settings", tags=["tenant"])
def get_tenant(actor: CurrentActor, tenants: Tenants) -> TenantOut:
    return TenantOut.of(service.get_tenant(tenants, actor))


@app.patch("/tenant", summary="Change tenant settings (admins only)", tags=["tenant"])
def update_tenant(actor: CurrentActor, tenants: Tenants, patch: TenantPatch) -> TenantOut:
    return TenantOut.of(service.update_tenant(tenants, actor, patch))


@app.get(
    "/tenant/custom-fields",
    summary="The tenant's custom fields of its contacts",
    tags=["tenant"],
)
def get_custom_fields(actor: CurrentActor, repository: CustomFieldDefinitions) -> CustomFieldsOut:
    return customfields.get_custom_fields(repository, actor)


@app.put(
    "/tenant/custom-fields",
    summary="Define the tenant's custom fields, up to 50 (admins only)",
    description=(
        "Replaces every definition. A contact's `custom` values are checked against them on every "
        "create and change (a required field from then on); the values of a removed field are no "
        "longer shown, nor those that no longer fit a changed type."
    ),
    tags=["tenant"],
    openapi_extensions=errors(ErrorCode.FORBIDDEN, ErrorCode.VALIDATION_ERROR),
)
def put_custom_fields(
    actor: CurrentActor, repository: CustomFieldDefinitions, data: CustomFieldsPut
) -> CustomFieldsOut:
    return customfields.put_custom_fields(repository, actor, data)


@app.post(
    "/terms",
    summary="Upload new terms of use (admins only)",
    description=(
        "Answers a presigned S3 POST for the PDF. Once it has arrived and is a complete PDF, it is the "
        "current version, and every customer's acceptance of older terms no longer counts."
    ),
    tags=["terms"],
    status_code=201,
)
def start_terms_upload(
    actor: CurrentActor, repository: TermsOfUse, storage: TermsStorage, request: TermsUploadRequest
) -> Response[TermsUpload]:
    upload = terms.start_terms_upload(repository, storage, actor, request)
    return created(upload, f"/terms/uploads/{upload.version}")


@app.get(
    "/terms/uploads/<version>",
    summary="How an upload of new terms went: pending, stored (now current) or rejected and why",
    tags=["terms"],
)
def get_terms_upload(actor: CurrentActor, repository: TermsOfUse, version: str) -> TermsUploadOut:
    return terms.get_terms_upload(repository, actor.tenant_id, version)


@app.get(
    "/terms",
    summary="The current terms of use and a download link",
    description="404 `not_found` until a first version has been uploaded and checked.",
    tags=["terms"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_terms(actor: CurrentActor, repository: TermsOfUse, storage: TermsStorage) -> TermsOut:
    return terms.get_terms(repository, storage, actor.tenant_id)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
