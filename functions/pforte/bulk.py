"""Requests about many contacts at once: 1 to 100 ids, answered per id."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pforte.errors import ErrorCode

MAX_BULK_IDS = 100


class BulkIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(min_length=1, max_length=MAX_BULK_IDS)


class BulkError(BaseModel):
    code: ErrorCode
    message: str
