"""Phone numbers: parsed as people write them, stored and shown in E.164 (`+4930123456`).

phonenumbers is imported on first use: its metadata costs cold start that routes without a phone
number should not pay.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from pforte.core.errors import DomainError, ErrorCode, FieldError

DEFAULT_COUNTRY = "DE"
MAX_PHONE_CHARS = 40


def _country(value: str) -> str:
    import phonenumbers

    code = value.upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code such as DE")
    return code


Country = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2), AfterValidator(_country)
]
PhoneInput = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_PHONE_CHARS)]


def to_e164(raw: str, region: str) -> str:
    """The number in E.164; a national number is read as one of `region` (ISO alpha-2).
    ValueError if it is not a possible and valid number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def invalid_phone(field: str, raw: str) -> DomainError:
    return DomainError(
        ErrorCode.INVALID_PHONE,
        "The phone number is not valid.",
        [FieldError(field, f"{raw!r} is not a valid phone number (with the country code, or national)")],
    )
