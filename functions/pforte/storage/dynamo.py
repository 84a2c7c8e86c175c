"""Small helpers over the low-level DynamoDB client: (de)serialising items and reading
which part of a cancelled transaction failed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from pforte.storage import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        PutItemInputTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
        UpdateItemInputTypeDef,
        WriteRequestTypeDef,
    )

Item = dict[str, "AttributeValueTypeDef"]
Model = TypeVar("Model", bound=BaseModel)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> Item:
    """A DynamoDB item of plain values; `None` is left out rather than stored as NULL."""
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def _plain(value: Any) -> Any:
    """Numbers as int or float, also inside maps and lists (a custom field's number reads back as
    it was written: 12, not 12.0)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def model_from(model: type[Model], item: Mapping[str, Any]) -> Model:
    """A domain model from a stored item; key and bookkeeping attributes are left out."""
    return model.model_validate(
        {name: value for name, value in from_item(item).items() if name in model.model_fields}
    )


class DynamoTable:
    """What every repository starts from: the client, the table, consistent reads."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _get(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=to_item(key), ConsistentRead=True)
        return response.get("Item")

    def _counters(self, tenant_id: str, contact_id: str) -> dict[str, int]:
        """The contact's summary counters as stored (`keys.summary_key`; absent ones left out)."""
        item = from_item(self._get(keys.summary_key(tenant_id, contact_id)) or {})
        return {name: int(value) for name, value in item.items() if isinstance(value, int | float)}

    def _put_new(self, item: Mapping[str, Any]) -> bool:
        """Store the item if none of its key exists; False (and nothing written) if one does."""
        return self._put_if(
            TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
        )

    def _put_if(self, **request: Unpack[PutItemInputTypeDef]) -> bool:
        """The conditional put; False (and nothing written) if its condition failed."""
        return _unless_condition_failed(lambda: self._client.put_item(**request))

    def _update_if(self, **request: Unpack[UpdateItemInputTypeDef]) -> bool:
        """The conditional update; False (and nothing written) if its condition failed."""
        return _unless_condition_failed(lambda: self._client.update_item(**request))

    def _transact(self, parts: Sequence[TransactWriteItemTypeDef]) -> None:
        """One transaction; retried by botocore with the same token, so a retry of a write that
        committed but answered late succeeds instead of failing its own conditions."""
        self._client.transact_write_items(TransactItems=parts, ClientRequestToken=str(uuid.uuid4()))

    def _try_transact(self, parts: Sequence[TransactWriteItemTypeDef]) -> list[int] | None:
        """None if the transaction committed; if DynamoDB cancelled it, the indexes of the parts
        whose condition failed (empty for a conflict with another transaction)."""
        reasons = self._try_transact_reasons(parts)
        return None if reasons is None else failed_parts(reasons)

    def _try_transact_reasons(
        self, parts: Sequence[TransactWriteItemTypeDef]
    ) -> list[Mapping[str, Any]] | None:
        """None if the transaction committed; if DynamoDB cancelled it, its reason for each part
        (with the item as it was where the part asked for `ALL_OLD`)."""
        try:
            self._transact(parts)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if reasons is None:
                raise
            return reasons
        return None

    def _query_all(self, request: QueryInputTypeDef) -> list[dict[str, Any]]:
        """Every item a query finds, page after page."""
        pages = self._client.get_paginator("query").paginate(**request)  # type: ignore[misc]
        return [item for page in pages for item in page.get("Items", [])]


# A write that depends on its contact: the contact is there, and its delete has not begun.
CONTACT_OPEN = "attribute_exists(PK) AND attribute_not_exists(deleting)"


def contact_open(table: str, tenant_id: str, contact_id: str) -> TransactWriteItemTypeDef:
    """The part of a transaction that cancels it if the contact is gone or being deleted."""
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": to_item(keys.contact_key(tenant_id, contact_id)),
            "ConditionExpression": CONTACT_OPEN,
        }
    }


def contact_touch(table: str, tenant_id: str, contact_id: str) -> TransactWriteItemTypeDef:
    """`contact_open`, and a new version of the contact: a delete that read the contact's items
    before this write joined them starts over."""
    return {
        "Update": {
            "TableName": table,
            "Key": to_item(keys.contact_key(tenant_id, contact_id)),
            "UpdateExpression": "SET version = version + :one",
            "ConditionExpression": CONTACT_OPEN,
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def count_change(table: str, key: Mapping[str, str], changes: Mapping[str, int]) -> TransactWriteItemTypeDef:
    """The part of a write transaction that moves counters (`ADD`, created at 0): put it in the
    transaction of the write it counts, so that a count never disagrees with what is stored."""
    names = {f"#n{index}": name for index, name in enumerate(changes)}
    values = {f":n{index}": {"N": str(delta)} for index, delta in enumerate(changes.values())}
    return {
        "Update": {
            "TableName": table,
            "Key": to_item(key),
            "UpdateExpression": "ADD " + ", ".join(f"#n{index} :n{index}" for index in range(len(changes))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def set_or_remove(values: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """An UpdateExpression that sets every attribute given a value and removes every one given
    None, with its names (`#name`) and values (`:name`)."""
    present = {name: value for name, value in values.items() if value is not None}
    absent = [name for name, value in values.items() if value is None]
    expression = "SET " + ", ".join(f"#{name} = :{name}" for name in present)
    if absent:
        expression += " REMOVE " + ", ".join(f"#{name}" for name in absent)
    names = {f"#{name}": name for name in values}
    return expression, names, {f":{name}": value for name, value in to_item(present).items()}


def cancellation_reasons(error: ClientError) -> list[Mapping[str, Any]] | None:
    """A cancelled transaction's reason for each of its parts, or None if it was no cancellation."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    return error.response.get("CancellationReasons", [])  # type: ignore[return-value]


def failed_parts(reasons: Sequence[Mapping[str, Any]]) -> list[int]:
    """Indexes of the transaction's parts whose condition failed."""
    return [index for index, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"]


def is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _unless_condition_failed(write: Callable[[], object]) -> bool:
    try:
        write()
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


BATCH_SIZE = 25  # BatchWriteItem's limit
MAX_BATCH_ATTEMPTS = 8


def batch_write(client: DynamoDBClient, table: str, requests: Sequence[WriteRequestTypeDef]) -> int:
    """Write in batches of 25, retrying unprocessed items with backoff; returns the calls made."""
    calls = 0
    for start in range(0, len(requests), BATCH_SIZE):
        pending = list(requests[start : start + BATCH_SIZE])
        for attempt in range(MAX_BATCH_ATTEMPTS):
            calls += 1
            response = client.batch_write_item(RequestItems={table: pending})
            pending = list(response.get("UnprocessedItems", {}).get(table, []))  # type: ignore[arg-type]
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise RuntimeError(f"DynamoDB left {len(pending)} items unprocessed")
    return calls
