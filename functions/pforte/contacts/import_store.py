"""Bulk writes of imported contacts: BatchGetItem to find known addresses, BatchWriteItem to store.

Uniqueness without a transaction per row: the address claims of a chunk are read (consistently)
before the chunk is written. A contact created through the API in the milliseconds between the
read and the write of the same address could lose its claim; imports accept that window rather
than a transaction per row (which DynamoDB bills at twice the writes, and which moto cannot do at
scale).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pforte.contacts.imports import ImportJob, ImportReport, ImportStatus
from pforte.contacts.service import Contact
from pforte.contacts.store import contact_item
from pforte.core.clock import iso, utcnow
from pforte.storage import keys
from pforte.storage.dynamo import (
    DynamoTable,
    batch_write,
    from_item,
    is_condition_failure,
    model_from,
    set_or_remove,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, WriteRequestTypeDef

GET_BATCH = 100  # BatchGetItem's limit


class DynamoImportStore(DynamoTable):
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
        batch_write(self._client, self._table, requests)


IMPORT_RECORD_SECONDS = 30 * 24 * 3600


class DynamoImportJobs(DynamoTable):
    """One item per background import: its status, progress and report."""

    def add(self, job: ImportJob) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    **keys.import_key(job.tenant_id, job.id),
                    "entity": "import",
                    **job.model_dump(mode="json"),
                    keys.TTL: int(job.created_at.timestamp()) + IMPORT_RECORD_SECONDS,
                }
            ),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, tenant_id: str, import_id: str) -> ImportJob | None:
        item = self._get(keys.import_key(tenant_id, import_id))
        return model_from(ImportJob, item) if item else None

    def reopen(self, job: ImportJob) -> None:
        self._update(job, {"status": ImportStatus.AWAITING_UPLOAD.value})

    def _update(self, job: ImportJob, values: dict[str, Any], condition: str | None = None) -> None:
        expression, names, attribute_values = set_or_remove({**values, "updated_at": iso(utcnow())})
        if condition:
            attribute_values[":awaiting"] = {"S": ImportStatus.AWAITING_UPLOAD.value}
        self._client.update_item(
            TableName=self._table,
            Key=to_item(keys.import_key(job.tenant_id, job.id)),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=attribute_values,
            **({"ConditionExpression": condition} if condition else {}),  # type: ignore[arg-type]
        )

    def start(self, job: ImportJob) -> bool:
        try:
            self._update(job, {"status": ImportStatus.RUNNING.value}, condition="#status = :awaiting")
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def progress(self, job: ImportJob, processed_rows: int, total_rows: int | None = None) -> None:
        self._update(job, {"processed_rows": processed_rows, "total_rows": total_rows})

    def finish(
        self, job: ImportJob, status: ImportStatus, report: ImportReport | None, error: str | None
    ) -> None:
        self._update(
            job,
            {
                "status": status.value,
                "report": report.model_dump(mode="json") if report else None,
                "error": error,
            },
        )
