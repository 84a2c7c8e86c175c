"""Time and identifiers: ISO 8601 UTC with `Z`, ULIDs sortable by creation."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ulid import ULID


@cache
def _ulid() -> type[ULID]:
    # Imported on first use: python-ulid reads its own version from the installed metadata when
    # imported, ~10 ms of cold start for a request that makes and checks no id.
    from ulid import ULID

    return ULID


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a `Z`, the API's one time format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_seconds(moment: datetime) -> int:
    """The moment as DynamoDB's TTL takes it: whole seconds, rounded up (never early)."""
    return math.ceil(moment.timestamp())


def new_id() -> str:
    return str(_ulid()())


def is_id(value: str) -> bool:
    try:
        _ulid().from_str(value)
    except ValueError:
        return False
    return True
