"""Domain errors and the catalogue of error codes.

Services raise these; `pforte.http.resolver` maps them to HTTP in one place. Each code has one status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from typing import TypeVar

T = TypeVar("T")


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "validation_error"
    BAD_REQUEST = "bad_request"
    CONFLICT = "conflict"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    EMAIL_TAKEN = "email_taken"
    INVALID_TRANSITION = "invalid_transition"
    JOBS_IN_PROGRESS = "jobs_in_progress"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    WEAK_PASSWORD = "weak_password"
    CSV_HEADER_INVALID = "csv_header_invalid"
    CSV_INVALID = "csv_invalid"
    TOKEN_INVALID = "token_invalid"
    LINK_EXPIRED = "link_expired"
    FILE_TOO_LARGE = "file_too_large"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXCEEDED = "quota_exceeded"
    PRECONDITION_FAILED = "precondition_failed"
    INTERNAL_ERROR = "internal_error"
    UNKNOWN_CONSENT_CHANNEL = "unknown_consent_channel"
    # Addresses and bank accounts (issue 11).
    INVALID_POSTAL_CODE = "invalid_postal_code"
    LIMIT_REACHED = "limit_reached"
    INVALID_IBAN = "invalid_iban"
    INVALID_BIC = "invalid_bic"
    MANDATE_REFERENCE_TAKEN = "mandate_reference_taken"
    # permission groups
    GROUP_IN_USE = "group_in_use"
    DEFAULT_GROUP = "default_group"
    # issue 11, the contact itself
    INVALID_PHONE = "invalid_phone"
    CUSTOMER_NUMBER_TAKEN = "customer_number_taken"


STATUS_OF: dict[ErrorCode, HTTPStatus] = {
    ErrorCode.VALIDATION_ERROR: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.BAD_REQUEST: HTTPStatus.BAD_REQUEST,
    ErrorCode.CONFLICT: HTTPStatus.CONFLICT,
    ErrorCode.UNAUTHORIZED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.FORBIDDEN: HTTPStatus.FORBIDDEN,
    ErrorCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.METHOD_NOT_ALLOWED: HTTPStatus.METHOD_NOT_ALLOWED,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.EMAIL_TAKEN: HTTPStatus.CONFLICT,
    ErrorCode.PRECONDITION_FAILED: HTTPStatus.PRECONDITION_FAILED,
    ErrorCode.INVALID_TRANSITION: HTTPStatus.CONFLICT,
    ErrorCode.JOBS_IN_PROGRESS: HTTPStatus.CONFLICT,
    ErrorCode.IDEMPOTENCY_CONFLICT: HTTPStatus.CONFLICT,
    ErrorCode.WEAK_PASSWORD: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.CSV_HEADER_INVALID: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.CSV_INVALID: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.TOKEN_INVALID: HTTPStatus.GONE,
    ErrorCode.LINK_EXPIRED: HTTPStatus.GONE,
    ErrorCode.FILE_TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    ErrorCode.PAYLOAD_TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    ErrorCode.RATE_LIMITED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.QUOTA_EXCEEDED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.INTERNAL_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.UNKNOWN_CONSENT_CHANNEL: HTTPStatus.NOT_FOUND,
    ErrorCode.INVALID_POSTAL_CODE: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.LIMIT_REACHED: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.INVALID_IBAN: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.INVALID_BIC: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.MANDATE_REFERENCE_TAKEN: HTTPStatus.CONFLICT,
    ErrorCode.GROUP_IN_USE: HTTPStatus.CONFLICT,
    ErrorCode.DEFAULT_GROUP: HTTPStatus.CONFLICT,
    ErrorCode.INVALID_PHONE: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.CUSTOMER_NUMBER_TAKEN: HTTPStatus.CONFLICT,
}


@dataclass(frozen=True)
class FieldError:
    """One failing field: `field` is a dotted path into the request."""

    field: str
    message: str


@dataclass
class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code: ErrorCode
    message: str
    details: list[FieldError] = field(default_factory=list)
    # Seconds a client should wait before trying again (sent as Retry-After).
    retry_after: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def status(self) -> HTTPStatus:
        return STATUS_OF[self.code]


def not_found(what: str) -> DomainError:
    # The same message for a missing resource and another tenant's one: nothing leaks across tenants.
    return DomainError(ErrorCode.NOT_FOUND, f"{what} not found")


def must_exist(value: T | None, what: str) -> T:
    """The value a repository found, or the not-found error for `what` if it found none."""
    if value is None:
        raise not_found(what)
    return value


def validation_error(field_name: str, message: str) -> DomainError:
    return DomainError(
        ErrorCode.VALIDATION_ERROR, "The request is not valid.", [FieldError(field_name, message)]
    )


def forbidden(message: str = "Your role may not do this.") -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, message)


def unauthorized(message: str = "Sign in first.") -> DomainError:
    return DomainError(ErrorCode.UNAUTHORIZED, message)
