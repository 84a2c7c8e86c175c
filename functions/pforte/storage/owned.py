"""Items a contact owns in its partition (addresses, bank accounts), read and written together
with the contact's counters (`keys.summary_key`).

A write is one transaction: the contact must still be there (and not being deleted), each item
written or deleted must be as it was read (its `version`), and each counter it touches must still
hold what was read, so two writes of one kind never both pass a limit or both make a default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pforte.core.errors import not_found
from pforte.core.retry import Retry
from pforte.storage import keys
from pforte.storage.dynamo import DynamoTable, Item, contact_open, count_change, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef, TransactWriteItemTypeDef


@dataclass(frozen=True)
class OwnedWrite:
    """Items to put (`version` 1: new; else the stored one must be `version - 1`), keys of items to
    delete with the version they must have, counters to move with their values as read, and any
    further parts (guards) of the same transaction."""

    puts: Sequence[Item] = ()
    deletes: Sequence[tuple[Mapping[str, str], int]] = ()
    counters: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # name: (as read, change)
    extra: Sequence[TransactWriteItemTypeDef] = ()


class OwnedItems(DynamoTable):
    def _owned(
        self, tenant_id: str, contact_id: str, prefix: str
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """The counters, then the items of `prefix` newest first: counters read first, so that a
        write committed between the two reads fails the counter condition of ours."""
        counters = self._counters(tenant_id, contact_id)
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.contact_partition(tenant_id, contact_id)},
                ":prefix": {"S": prefix},
            },
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        return self._query_all(request), counters

    def _write_owned(self, tenant_id: str, contact_id: str, write: OwnedWrite) -> list[int]:
        """Commit `write`; the indexes of its `extra` parts whose condition failed (empty: all
        done). Raises 404 if the contact is gone and `Retry` if anything else changed meanwhile."""
        parts: list[TransactWriteItemTypeDef] = [contact_open(self._table, tenant_id, contact_id)]
        for item in write.puts:
            version = int(item["version"]["N"])
            put: TransactWriteItemTypeDef = {"Put": {"TableName": self._table, "Item": item}}
            if version == 1:
                put["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
            else:
                put["Put"]["ConditionExpression"] = "version = :version"
                put["Put"]["ExpressionAttributeValues"] = {":version": {"N": str(version - 1)}}
            parts.append(put)
        for key, version in write.deletes:
            parts.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": to_item(key),
                        "ConditionExpression": "version = :version",
                        "ExpressionAttributeValues": {":version": {"N": str(version)}},
                    }
                }
            )
        if write.counters:
            parts.append(self._counter_part(tenant_id, contact_id, write.counters))
        first_extra = len(parts)
        parts += write.extra
        failed = self._try_transact(parts)
        if failed is None:
            return []
        if 0 in failed:
            raise not_found("Contact")
        extras = [index - first_extra for index in failed if index >= first_extra]
        if extras and len(extras) == len(failed):
            return extras
        raise Retry

    def _counter_part(
        self, tenant_id: str, contact_id: str, counters: Mapping[str, tuple[int, int]]
    ) -> TransactWriteItemTypeDef:
        part = count_change(
            self._table,
            keys.summary_key(tenant_id, contact_id),
            {name: delta for name, (_, delta) in counters.items()},
        )
        conditions = []
        for index, (read, _) in enumerate(counters.values()):
            part["Update"]["ExpressionAttributeValues"][f":r{index}"] = {"N": str(read)}  # type: ignore[index]
            held = f"#n{index} = :r{index}"
            conditions.append(f"(attribute_not_exists(#n{index}) OR {held})" if read == 0 else held)
        part["Update"]["ConditionExpression"] = " AND ".join(conditions)
        return part
