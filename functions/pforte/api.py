"""The HTTP edge shared by every function: the resolver, the caller, and errors as HTTP.

Domain errors become HTTP responses here and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Depends,
    Request,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel

from pforte.activation import ActivationRepository, FailedAttempts, MessageQueue
from pforte.aws import clients
from pforte.aws.exports import S3ExportObjects
from pforte.aws.files import S3JobFiles
from pforte.aws.idempotency import PowertoolsIdempotency
from pforte.aws.identities import CognitoLoginIdentities
from pforte.aws.mailer import SesMailer
from pforte.aws.queues import SqsQueue
from pforte.aws.secrets import SecretLinkKeys
from pforte.aws.uploads import S3Uploads
from pforte.cascade import Deletion
from pforte.contacts import ContactRepository
from pforte.errors import STATUS_OF, DomainError, ErrorCode, FieldError
from pforte.exports import ExportObjects, ExportRepository, ExportWork
from pforte.identity import Actor, Customer, actor_from_claims, customer_from_claims, require_admin
from pforte.imports import ImportJobRepository, ImportStore, Uploads
from pforte.jobfiles import FileEntries, FileStorage
from pforte.jobs import JobRepository
from pforte.lifecycle import LoginIdentities
from pforte.links import ContactFinder, LinkKeys, LinkRepository, SubmissionPorts
from pforte.mail import Mailer
from pforte.observability import logger
from pforte.settings import get_settings
from pforte.store.activations import DynamoActivationRepository, DynamoFailedAttempts
from pforte.store.contacts import DynamoContactRepository
from pforte.store.exports import DynamoExportRepository
from pforte.store.imports import DynamoImportJobs, DynamoImportStore
from pforte.store.jobs import DynamoFileEntries, DynamoJobRepository
from pforte.store.links import DynamoAdmissions, DynamoLinkRepository
from pforte.store.tenants import DynamoTenantRepository
from pforte.store.terms import DynamoTermsRepository
from pforte.tenants import TenantRepository
from pforte.terms import TermsFiles, TermsRepository, current_version

_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorBody


def error_response(
    code: ErrorCode, message: str, details: Sequence[FieldError] = (), headers: dict[str, str] | None = None
) -> Response[str]:
    body: dict[str, Any] = {"code": code.value, "message": message}
    if details:
        body["details"] = [{"field": d.field, "message": d.message} for d in details]
    return Response(
        status_code=STATUS_OF[code].value,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": body}),
        headers=headers,
    )


ERROR_CODES_EXTENSION = "x-error-codes"


def errors(*codes: ErrorCode) -> dict[str, Any]:
    """The error codes a route may answer with beyond the common ones, for the OpenAPI document
    (which turns them into error responses of our one shape)."""
    return {ERROR_CODES_EXTENSION: [code.value for code in codes]}


def created(body: BaseModel, location: str) -> Response[Any]:
    """201 with the new resource and where it lives."""
    return _json(201, body, location)


def accepted(body: BaseModel, location: str | None = None) -> Response[Any]:
    """202: taken on, finished later (at `location`, when there is one to follow)."""
    return _json(202, body, location)


def _json(status: int, body: BaseModel, location: str | None) -> Response[Any]:
    headers = {"Location": location} if location else None
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def _field_path(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in _LOCATIONS and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_details(errors: Sequence[Any]) -> list[FieldError]:
    details = []
    for error in errors:
        if error.get("type") == "json_invalid":
            details.append(FieldError("body", "The body is not valid JSON."))
            continue
        # pydantic prefixes the messages of custom validators with "Value error, ".
        message = str(error.get("msg", "Invalid value")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "Unknown field."
        details.append(FieldError(_field_path(error.get("loc", ())), message))
    return details


_SERVICE_ERROR_CODES = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


def create_app() -> APIGatewayRestResolver:
    """A resolver with validation, CORS and the one mapping of errors to HTTP."""
    settings = get_settings()
    app = APIGatewayRestResolver(
        enable_validation=True,
        cors=CORSConfig(
            allow_origin=settings.cors_allow_origin,
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            max_age=600,
        ),
    )

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[str]:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
        return error_response(error.code, error.message, error.details, headers)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[str]:
        return error_response(
            ErrorCode.VALIDATION_ERROR, "The request is not valid.", _validation_details(error.errors())
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_type(_: RequestUnsupportedContentType) -> Response[str]:
        return error_response(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json.")

    @app.exception_handler(ServiceError)
    def _service_error(error: ServiceError) -> Response[str]:
        code = _SERVICE_ERROR_CODES.get(error.status_code, ErrorCode.VALIDATION_ERROR)
        return error_response(code, str(error.msg))

    @app.not_found
    def _no_route(_: Exception) -> Response[str]:
        return error_response(ErrorCode.NOT_FOUND, "No such route.")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        # Logged once, here, with the correlation id the logger already carries.
        logger.exception("Unhandled error", extra={"error_type": type(error).__name__})
        return error_response(ErrorCode.INTERNAL_ERROR, "Something went wrong on our side.")

    return app


_KEPT_CONTENT_TYPES = ("application/json", "text/csv")
_NOT_JSON = "\u0000"  # json.loads fails on it with a JSONDecodeError, which becomes our 422


def prepare_event(event: dict[str, Any], raw_body_routes: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Make every JSON body reach validation as JSON, and every broken one fail as a clean 422.

    - A body sent as form data or text (`curl -d` sends form data) is read as the JSON it almost
      always is; every route that takes a body takes JSON (CSV uploads keep their type).
    - A body json.loads cannot take (not UTF-8, integers past Python's digit limit, nesting past
      the recursion limit) would escape Powertools as a 500: it is replaced by one that fails as
      invalid JSON.

    Routes in `raw_body_routes` (template paths, e.g. a CSV upload) read their body as it came.
    """
    if event.get("resource") in raw_body_routes:
        return event
    for headers in (event.get("headers") or {}, event.get("multiValueHeaders") or {}):
        for name in list(headers):
            if name.lower() != "content-type":
                continue
            value = headers[name]
            first = value[0] if isinstance(value, list) and value else value
            if isinstance(first, str) and not first.lower().startswith(_KEPT_CONTENT_TYPES):
                headers[name] = ["application/json"] if isinstance(value, list) else "application/json"
    body = event.get("body")
    if body:
        try:
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
            json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError, UnicodeError, binascii.Error):
            event["body"], event["isBase64Encoded"] = _NOT_JSON, False
    return event


# --- dependencies routes declare with Annotated[..., Depends(...)] ------------------------------


def current_actor(request: Request) -> Actor:
    """The caller, from the claims API Gateway's Cognito authorizer verified."""
    event = request.resolved_event
    claims = event.request_context.authorizer.claims if isinstance(event, APIGatewayProxyEvent) else None
    return actor_from_claims(claims)


def current_customer(request: Request) -> Customer:
    """The signed-in customer, from the claims of the customer pool's authorizer."""
    event = request.resolved_event
    claims = event.request_context.authorizer.claims if isinstance(event, APIGatewayProxyEvent) else None
    return customer_from_claims(claims)


def terms_repository() -> TermsRepository:
    return DynamoTermsRepository(clients.dynamodb(), get_settings().table_name)


def current_terms(actor: Annotated[Actor, Depends(current_actor)]) -> str | None:
    """The version of the caller's tenant's current terms of use (None before the first upload)."""
    return current_version(terms_repository(), actor.tenant_id)


def current_admin(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    return require_admin(actor)


def contact_repository() -> ContactRepository:
    return DynamoContactRepository(clients.dynamodb(), get_settings().table_name)


def job_repository() -> JobRepository:
    return DynamoJobRepository(clients.dynamodb(), get_settings().table_name)


def job_files() -> S3JobFiles:
    return S3JobFiles(clients.s3(), get_settings().job_files_bucket)


def file_entries() -> FileEntries:
    return DynamoFileEntries(clients.dynamodb(), get_settings().table_name)


def login_identities() -> LoginIdentities:
    settings = get_settings()
    return CognitoLoginIdentities(
        clients.cognito(), settings.customer_user_pool_id, settings.customer_user_pool_client_id
    )


def activation_repository() -> ActivationRepository:
    return DynamoActivationRepository(clients.dynamodb(), get_settings().table_name)


def failed_activations() -> FailedAttempts:
    return DynamoFailedAttempts(clients.dynamodb(), get_settings().table_name, "activation")


def registrations_per_source() -> FailedAttempts:
    # Every registration counts (each one mails someone), not only failed ones.
    return DynamoFailedAttempts(clients.dynamodb(), get_settings().table_name, "registration")


def contact_finder() -> ContactFinder:
    return DynamoContactRepository(clients.dynamodb(), get_settings().table_name)


def mailer() -> Mailer:
    return SesMailer(clients.sesv2(), get_settings().default_mail_sender)


def raw_body(request: Request) -> bytes:
    """The request body as sent (API Gateway base64-encodes the binary media types)."""
    event = request.resolved_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")


def import_store() -> ImportStore:
    return DynamoImportStore(clients.dynamodb(), get_settings().table_name)


def mail_queue() -> MessageQueue:
    return SqsQueue(clients.sqs(), get_settings().mail_queue_url)


def import_uploads() -> Uploads:
    return S3Uploads(clients.s3(), get_settings().imports_bucket)


def import_jobs() -> ImportJobRepository:
    return DynamoImportJobs(clients.dynamodb(), get_settings().table_name)


def deletion() -> Deletion:
    return Deletion(
        contacts=contact_repository(),
        jobs=job_repository(),
        logins=login_identities(),
        files=job_files(),
        exports=export_objects(),
    )


def link_repository() -> DynamoLinkRepository:
    return DynamoLinkRepository(clients.dynamodb(), get_settings().table_name)


def link_keys() -> LinkKeys:
    return SecretLinkKeys(clients.secrets(), get_settings().link_secret_arn)


def submission_ports() -> SubmissionPorts:
    table = get_settings().table_name
    return SubmissionPorts(
        links=link_repository(),
        keys=link_keys(),
        tenants=tenant_repository(),
        contacts=DynamoContactRepository(clients.dynamodb(), table),
        admissions=DynamoAdmissions(clients.dynamodb(), table),
        storage=job_files(),
        # Powertools keeps the invocation's context on the router while it resolves a request.
        idempotency=PowertoolsIdempotency(
            clients.dynamodb(), table, getattr(BaseRouter, "lambda_context", None)
        ),
    )


def idempotency_key(request: Request) -> str | None:
    """The `Idempotency-Key` header, if sent (any spelling of the name)."""
    headers = request.resolved_event.headers or {}
    for name, value in headers.items():
        if name.lower() == "idempotency-key":
            return str(value)
    return None


def export_repository() -> ExportRepository:
    return DynamoExportRepository(clients.dynamodb(), get_settings().table_name)


def export_objects() -> S3ExportObjects:
    return S3ExportObjects(clients.s3(), get_settings().exports_bucket)


def exports_queue() -> MessageQueue:
    return SqsQueue(clients.sqs(), get_settings().exports_queue_url)


def export_work() -> ExportWork:
    return ExportWork(
        exports=export_repository(),
        contacts=contact_repository(),
        jobs=job_repository(),
        files=job_files(),
        objects=export_objects(),
        terms=terms_repository(),
    )


def source_address(request: Request) -> str:
    event = request.resolved_event
    if isinstance(event, APIGatewayProxyEvent):
        return event.request_context.identity.source_ip or "unknown"
    return "unknown"


def tenant_repository() -> TenantRepository:
    return DynamoTenantRepository(clients.dynamodb(), get_settings().table_name)


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentAdmin = Annotated[Actor, Depends(current_admin)]
Contacts = Annotated[ContactRepository, Depends(contact_repository)]
Tenants = Annotated[TenantRepository, Depends(tenant_repository)]
Jobs = Annotated[JobRepository, Depends(job_repository)]
Logins = Annotated[LoginIdentities, Depends(login_identities)]
Activations = Annotated[ActivationRepository, Depends(activation_repository)]
FailedActivations = Annotated[FailedAttempts, Depends(failed_activations)]
Mail = Annotated[Mailer, Depends(mailer)]
SourceAddress = Annotated[str, Depends(source_address)]
RawBody = Annotated[bytes, Depends(raw_body)]
Imports = Annotated[ImportStore, Depends(import_store)]
MailQueue = Annotated[MessageQueue, Depends(mail_queue)]
ContactDeletion = Annotated[Deletion, Depends(deletion)]
ImportUploads = Annotated[Uploads, Depends(import_uploads)]
ImportJobs = Annotated[ImportJobRepository, Depends(import_jobs)]
JobFileEntries = Annotated[FileEntries, Depends(file_entries)]
JobFileStorage = Annotated[FileStorage, Depends(job_files)]
Exports = Annotated[ExportRepository, Depends(export_repository)]
ExportFiles = Annotated[ExportObjects, Depends(export_objects)]
ExportsQueue = Annotated[MessageQueue, Depends(exports_queue)]
Links = Annotated[LinkRepository, Depends(link_repository)]
LinkSigning = Annotated[LinkKeys, Depends(link_keys)]
Submissions = Annotated[SubmissionPorts, Depends(submission_ports)]
Registrations = Annotated[FailedAttempts, Depends(registrations_per_source)]
ContactsByEmail = Annotated[ContactFinder, Depends(contact_finder)]
CurrentCustomer = Annotated[Customer, Depends(current_customer)]
CurrentTerms = Annotated[str | None, Depends(current_terms)]
TermsOfUse = Annotated[TermsRepository, Depends(terms_repository)]
TermsStorage = Annotated[TermsFiles, Depends(job_files)]
