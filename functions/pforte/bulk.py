"""Requests about many contacts at once: 1 to 100 ids, answered per id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from pforte.errors import DomainError, ErrorCode

MAX_BULK_IDS = 100


class BulkIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(min_length=1, max_length=MAX_BULK_IDS)


class BulkError(BaseModel):
    code: ErrorCode
    message: str


class BulkStatus(StrEnum):
    DELETED = "deleted"
    QUEUED = "queued"
    FAILED = "failed"


class BulkResult(BaseModel):
    id: str
    status: BulkStatus
    error: BulkError | None = None


class BulkResults(BaseModel):
    results: list[BulkResult]


def per_id(ids: Sequence[str], action: Callable[[str], object], done: BulkStatus) -> list[BulkResult]:
    """Run `action` for each id on its own; a domain error fails that id only. One result per id."""
    results = []
    for item_id in ids:
        try:
            action(item_id)
        except DomainError as error:
            failure = BulkError(code=error.code, message=error.message)
            results.append(BulkResult(id=item_id, status=BulkStatus.FAILED, error=failure))
        else:
            results.append(BulkResult(id=item_id, status=done))
    return results
