"""Field types shared by the API models: how an email, a time or a name is checked and written."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, StringConstraints

from pforte.core.clock import iso


class Language(StrEnum):
    DE = "de"
    EN = "en"


def _checked_email(value: str) -> str:
    # Stored as typed (trimmed); compared lowercased elsewhere. No DNS lookup on a request path.
    # Imported on first use: compiling its patterns costs ~25 ms of every cold start otherwise.
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return value


EmailAddress = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
    AfterValidator(_checked_email),
]


def _printable(value: str | None) -> str | None:
    # Names end up in mails, CSV exports and file names: no control or bidi-override characters.
    if value and any(unicodedata.category(char) in {"Cc", "Cf"} for char in value):
        raise ValueError("must not contain control or formatting characters")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable)
]
Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]

# How far ahead a time a client sets (a link's expiry) may lie: far enough for any plan, and far
# from year 9999, where converting to UTC or to a time zone overflows.
MAX_AHEAD = timedelta(days=3653)


def within_reach(value: datetime, now: datetime) -> datetime:
    """`value` (aware) in UTC, if it lies at most MAX_AHEAD after `now`; ValueError otherwise.
    Aware times subtract without overflow, so the check comes before any conversion."""
    if value - now > MAX_AHEAD:
        raise ValueError("must lie at most 10 years ahead")
    return value.astimezone(UTC)


def in_zone(moment: datetime, zone: str, pattern: str) -> str:
    """`moment` written with `pattern` in the time zone `zone`, named after it; in UTC if the
    zone's time is past what datetime holds (a time near year 9999), so writing never fails."""
    from zoneinfo import ZoneInfo

    try:
        return f"{moment.astimezone(ZoneInfo(zone)).strftime(pattern)} ({zone})"
    except OverflowError:
        return f"{moment.astimezone(UTC).strftime(pattern)} (UTC)"


def _empty_to_none(value: str | None) -> str | None:
    return value or None


OptionalText = Annotated[
    str | None,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(_empty_to_none),
    AfterValidator(_printable),
]


def email_key(email: str) -> str:
    """The form in which addresses are compared and kept unique: Unicode-normalised (NFC), the
    domain in its one IDNA form, all lowercased, so that no two spellings of one mailbox coexist."""
    from email_validator import EmailNotValidError, validate_email

    try:
        normalized = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:  # stored before this rule: compare it as it is
        normalized = email.strip()
    return unicodedata.normalize("NFC", normalized).lower()


def comparable(text: str) -> str:
    """Text as searches compare it: one Unicode form, no case."""
    return unicodedata.normalize("NFC", text).casefold()


def safe_filename(name: str, fallback: str, max_len: int = 120) -> str:
    """A name every file system takes: no separators, reserved names, control characters, or
    leading dots (hidden files, `..`)."""
    from pathvalidate import sanitize_filename

    normalized = unicodedata.normalize("NFC", name)
    cleaned = sanitize_filename(normalized, platform="universal", max_len=max_len)
    # What was taken out may leave runs of spaces ("Müller / Söhne"): one space each.
    return re.sub(" {2,}", " ", cleaned).strip(" .") or fallback
