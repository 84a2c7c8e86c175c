"""Time and identifiers: ISO 8601 UTC with `Z`, ULIDs sortable by creation."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a `Z`, the API's one time format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_id() -> str:
    return str(ULID())


def is_id(value: str) -> bool:
    try:
        ULID.from_str(value)
    except ValueError:
        return False
    return True
