"""Bulk writes of imported contacts: BatchGetItem to find known addresses, BatchWriteItem to store.

Uniqueness without a transaction per row: the address claims of a chunk are read (consistently)
before the chunk is written. A contact created through the API in the milliseconds between the
read and the write of the same address could lose its claim; imports accept that window rather
than a transaction per row (which DynamoDB bills at twice the writes, and which moto cannot do at
scale).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pforte.contacts import Contact
from pforte.store import keys
from pforte.store.contacts import contact_item
from pforte.store.dynamo import batch_write, from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, WriteRequestTypeDef

GET_BATCH = 100  # BatchGetItem's limit


class DynamoImportStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self.write_calls = 0

    def existing_emails(self, tenant_id: str, email_keys: list[str]) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(email_keys))
        for start in range(0, len(unique), GET_BATCH):
            request: dict[str, KeysAndAttributesTypeDef] = {
                self._table: {
                    "Keys": [
                        to_item(keys.email_guard_key(tenant_id, key))
                        for key in unique[start : start + GET_BATCH]
                    ],
                    "ConsistentRead": True,
                    "ProjectionExpression": "email_key",
                }
            }
            for attempt in range(8):
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    found.add(from_item(item)["email_key"])
                request = response.get("UnprocessedKeys", {})  # type: ignore[assignment]
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
        return found

    def add_many(self, contacts: list[Contact]) -> None:
        requests: list[WriteRequestTypeDef] = []
        for contact in contacts:
            requests.append({"PutRequest": {"Item": contact_item(contact)}})
            requests.append(
                {
                    "PutRequest": {
                        "Item": to_item(
                            {
                                **keys.email_guard_key(contact.tenant_id, contact.email_key),
                                "entity": "email_guard",
                                "contact_id": contact.id,
                                "email_key": contact.email_key,
                            }
                        )
                    }
                }
            )
        self.write_calls += batch_write(self._client, self._table, requests)
