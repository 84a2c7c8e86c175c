"""moto's TransactWriteItems backs up the whole table once per item of the transaction (100 deep
copies of the table for an import's 100-item transaction); this makes it one copy per table, as
the copies are identical (all are taken before the transaction changes anything)."""

from __future__ import annotations

import copy
from typing import Any


class _OneCopyEach:
    def __init__(self) -> None:
        self._copies: dict[int, Any] = {}

    def deepcopy(self, value: Any) -> Any:
        if id(value) not in self._copies:
            self._copies[id(value)] = copy.deepcopy(value)
        return self._copies[id(value)]


def install() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "one_copy_per_table", False):
        return

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        models.copy = _OneCopyEach()  # type: ignore[assignment]
        try:
            original(self, transact_items)
        finally:
            models.copy = copy  # type: ignore[assignment]

    transact_write_items.one_copy_per_table = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
