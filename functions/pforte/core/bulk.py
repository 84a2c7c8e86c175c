"""Requests about many contacts at once: 1 to 100 ids, answered per id."""

from collections.abc import Callable, Sequence
from enum import StrEnum

from pydantic import ConfigDict, Field

from pforte.core.errors import DomainError, ErrorCode
from pforte.core.model import Model

MAX_BULK_IDS = 100


class BulkIds(Model):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(min_length=1, max_length=MAX_BULK_IDS)


class BulkError(Model):
    code: ErrorCode
    message: str


class BulkStatus(StrEnum):
    DELETED = "deleted"
    QUEUED = "queued"
    FAILED = "failed"


class BulkResult(Model):
    id: str
    status: BulkStatus
    error: BulkError | None = None


class BulkResults(Model):
    results: list[BulkResult]


def per_id(ids: Sequence[str], action: Callable[[str], object], done: BulkStatus) -> list[BulkResult]:
    """Run `action` once for each distinct id; a domain error fails that id only. One result per
    id as given (a repeated id repeats its result)."""
    outcome: dict[str, BulkResult] = {}
    for item_id in dict.fromkeys(ids):
        try:
            action(item_id)
        except DomainError as error:
            failure = BulkError(code=error.code, message=error.message)
            outcome[item_id] = BulkResult(id=item_id, status=BulkStatus.FAILED, error=failure)
        else:
            outcome[item_id] = BulkResult(id=item_id, status=done)
    return [outcome[item_id] for item_id in ids]
