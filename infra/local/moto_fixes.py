"""What a moto server that runs for hours needs and moto's test-sized defaults do not give.

moto is made for tests: a fresh backend per test, thrown away after seconds. The local stack keeps
one moto server for a whole `make run`, with tables of tens of thousands of items, and two of
moto's habits then cost without bound:

1. **Every model instance ever made is kept.** moto's `BaseModel.__new__` appends each instance to
   a list on its class (`instances_tracked`, read only by moto's dashboard at /moto-api and its
   reset) and never removes it. Every DynamoDB item written, every copy of an item that a Query or
   Scan answers with, every S3 object (its bytes too, once overwritten or deleted) and every SQS
   message stays in memory for good; with millions of them Python's garbage collector walks them
   all on each full collection, and the process slows down as it grows.
2. **A DynamoDB transaction copies the whole table, once per item.** moto backs up the table with a
   `deepcopy` before each item of a TransactWriteItems, to roll back on failure: O(items in the
   table * items in the transaction) for every contact created, every activation mail, every job.
   Together with (1) each copy was kept forever (a table of 40,000 items, copied three times per
   mail). Here the transaction saves only the items it names and puts them back if it fails,
   which is the same rollback.

A third cost is moto's design and stays: every Query and Scan walks every item of the table (of
all tenants), a Query of a status-index page sorting its matches too, and answers are serialized
slowly (per attribute, in Python). What is mitigated here is the largest part, sorting the whole
table on every Query: the sorted list is kept until the next write to the table.

`install()` applies all three, in the process that runs the moto server, before it serves.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_installed = False
_no_table_copy = threading.local()


def install() -> None:
    global _installed
    if _installed:
        return
    _stop_instance_tracking()
    _transactions_save_only_their_items()
    _keep_the_sorted_table()
    _installed = True


def _stop_instance_tracking() -> None:
    from moto.core.common_models import BaseModel
    from moto.core.model_instances import reset_model_data

    def untracked_new(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
        # What BaseModel.__new__ does, without remembering the instance.
        return super(BaseModel, cls).__new__(cls)

    BaseModel.__new__ = staticmethod(untracked_new)  # type: ignore[method-assign]
    reset_model_data()  # and forget what was remembered so far


# (table, hash key, range key or None, the item before the transaction or None)
Saved = tuple[Any, Any, Any, Any]


def _transactions_save_only_their_items() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def table_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        if getattr(_no_table_copy, "active", False):
            return self  # the backup moto takes: the items are saved by the caller below
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return clone

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        saved = _save(self, transact_items)
        if saved is None:  # not a shape this knows how to save: moto's own way
            return original(self, transact_items)
        try:
            with _tables_not_copied():
                return original(self, transact_items)
        except BaseException:
            _restore(saved)
            raise

    Table.__deepcopy__ = table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


@contextmanager
def _tables_not_copied() -> Iterator[None]:
    _no_table_copy.active = True
    try:
        yield
    finally:
        _no_table_copy.active = False


def _save(backend: Any, transact_items: list[dict[str, Any]]) -> list[Saved] | None:
    """A copy of every item the transaction names, as it is now (None where there is none)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved: list[Saved] = []
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue  # moto refuses it before writing anything
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is None:
            continue  # nothing of it can be written
        if table.stream_shard is not None:
            return None  # a rollback must undo the stream records too: leave it to moto
        key = op.get("Item") if op_type == "Put" else op.get("Key")
        try:
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError, AttributeError):
            continue  # moto fails this item without writing it
        partition = table.items.get(hash_key)
        current = partition if range_key is None else (partition or {}).get(range_key)
        saved.append((table, hash_key, range_key, copy.deepcopy(current)))
    return saved


def _restore(saved: list[Saved]) -> None:
    for table, hash_key, range_key, item in reversed(saved):
        _forget_sorted(table)
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item


_SORTED = "_local_sorted_items"


def _forget_sorted(table: Any) -> None:
    table.__dict__.pop(_SORTED, None)


def _keep_the_sorted_table() -> None:
    """`Table.all_items()` (every Query and Scan) sorts the whole table each time; keep its answer
    until an item is put or deleted (updates change no key: the order stays)."""
    from moto.dynamodb.models.table import Table

    all_items, put_item, delete_item = Table.all_items, Table.put_item, Table.delete_item

    def cached_all_items(self: Any) -> list[Any]:
        found = self.__dict__.get(_SORTED)
        if found is None:
            found = self.__dict__[_SORTED] = all_items(self)
        return list(found)  # callers may change the list they get

    def forgetting_put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return put_item(self, *args, **kwargs)
        finally:
            _forget_sorted(self)

    def forgetting_delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return delete_item(self, *args, **kwargs)
        finally:
            _forget_sorted(self)

    Table.all_items = cached_all_items  # type: ignore[method-assign]
    Table.put_item = forgetting_put_item  # type: ignore[method-assign]
    Table.delete_item = forgetting_delete_item  # type: ignore[method-assign]
