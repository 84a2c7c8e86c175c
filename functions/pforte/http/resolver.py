"""The resolver every function uses, and the one mapping of errors to HTTP.

Domain errors become HTTP responses here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import BaseModel

from pforte.core.errors import STATUS_OF, DomainError, ErrorCode, FieldError
from pforte.core.model import Model
from pforte.core.observability import logger
from pforte.core.settings import get_settings

_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ErrorDetail(Model):
    field: str
    message: str


class ErrorBody(Model):
    code: ErrorCode
    message: str
    details: list[ErrorDetail] | None = None


class ErrorResponse(Model):
    """Every error the API returns has this shape."""

    error: ErrorBody


def error_response(
    code: ErrorCode,
    message: str,
    details: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
    status: int | None = None,
) -> Response[str]:
    body: dict[str, Any] = {"code": code.value, "message": message}
    if details:
        body["details"] = [{"field": d.field, "message": d.message} for d in details]
    return Response(
        status_code=status or STATUS_OF[code].value,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": body}),
        headers=headers,
    )


ERROR_CODES_EXTENSION = "x-error-codes"
RESPONSE_HEADERS_EXTENSION = "x-response-headers"


def errors(*codes: ErrorCode) -> dict[str, Any]:
    """The error codes a route may answer with beyond the common ones, for the OpenAPI document
    (which turns them into error responses of our one shape)."""
    return {ERROR_CODES_EXTENSION: [code.value for code in codes]}


def response_headers(**described: str) -> dict[str, Any]:
    """Headers a route's success answers carry (name: what it means), for the OpenAPI document."""
    return {RESPONSE_HEADERS_EXTENSION: described}


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
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.RATE_LIMITED,
}


def _service_error_response(error: ServiceError) -> Response[str]:
    """A Powertools ServiceError (raised by the resolver or a route): a known status keeps its
    code; any other client error is a 400 `bad_request`, any server error an `internal_error`
    with its own status (503 stays 503)."""
    status, message = error.status_code, str(error.msg)
    if status in _SERVICE_ERROR_CODES:
        return error_response(_SERVICE_ERROR_CODES[status], message)
    if 500 <= status <= 599:
        return error_response(ErrorCode.INTERNAL_ERROR, message, status=status)
    if 400 <= status <= 499:
        return error_response(ErrorCode.BAD_REQUEST, message)
    return error_response(ErrorCode.INTERNAL_ERROR, "Something went wrong on our side.")


def create_app() -> APIGatewayRestResolver:
    """A resolver with validation, CORS and the one mapping of errors to HTTP."""
    settings = get_settings()
    app = APIGatewayRestResolver(
        enable_validation=True,
        cors=CORSConfig(
            allow_origin=settings.cors_allow_origin,
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match"],
            expose_headers=["ETag"],
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
        return _service_error_response(error)

    @app.not_found
    def _no_route(_: Exception) -> Response[str]:
        return error_response(ErrorCode.NOT_FOUND, "No such route.")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        # Logged once, here, with the correlation id the logger already carries.
        logger.exception("Unhandled error", extra={"error_type": type(error).__name__})
        return error_response(ErrorCode.INTERNAL_ERROR, "Something went wrong on our side.")

    return app
