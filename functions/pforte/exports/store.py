"""Exports in DynamoDB: one item per export, expiring with its file; every change after the claim
is conditional on the run that makes it, so that a repeated message cannot overwrite a newer run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pforte.core.clock import iso, utcnow
from pforte.exports.service import CustomerGone, Export, ExportStatus, Outcome, Progress, Run, Superseded
from pforte.storage import keys
from pforte.storage.dynamo import (
    DynamoTable,
    contact_open,
    is_condition_failure,
    model_from,
    set_or_remove,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# Kept a day past the file: reads check the age themselves (TTL deletion lags).
EXTRA_RECORD_SECONDS = 24 * 3600


class DynamoExportRepository(DynamoTable):
    def add(self, export: Export) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    **keys.export_key(export.tenant_id, export.id),
                    "entity": "export",
                    **export.model_dump(mode="json"),
                    keys.TTL: int(export.available_until.timestamp()) + EXTRA_RECORD_SECONDS,
                }
            ),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, tenant_id: str, export_id: str) -> Export | None:
        item = self._get(keys.export_key(tenant_id, export_id))
        return model_from(Export, item) if item else None

    def _update_request(
        self,
        export: tuple[str, str],
        values: dict[str, Any],
        condition: str,
        condition_values: dict[str, Any],
    ) -> dict[str, Any]:
        """The UpdateItem of the export (tenant id, export id)."""
        expression, names, attribute_values = set_or_remove({**values, "updated_at": iso(utcnow())})
        attribute_values |= {f":{name}": value for name, value in to_item(condition_values).items()}
        names |= {"#status": "status", "#run_id": "run_id"}
        used = expression + condition
        return {
            "TableName": self._table,
            "Key": to_item(keys.export_key(*export)),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {name: value for name, value in names.items() if name in used},
            "ExpressionAttributeValues": attribute_values,
        }

    def _update(
        self, export: Export, values: dict[str, Any], condition: str, condition_values: dict[str, Any]
    ) -> bool:
        """Whether the update was made (False: its condition failed)."""
        return self._update_if(
            **self._update_request((export.tenant_id, export.id), values, condition, condition_values)
        )

    def claim(self, tenant_id: str, export_id: str, run_id: str) -> Export | None:
        values = {
            "status": ExportStatus.RUNNING.value,
            "run_id": run_id,
            "upload_id": None,
            "progress": Progress().model_dump(),
        }
        condition = "#status IN (:pending, :running)"  # false for a missing export too
        condition_values = {"pending": ExportStatus.PENDING.value, "running": ExportStatus.RUNNING.value}
        request = self._update_request((tenant_id, export_id), values, condition, condition_values)
        try:
            before = self._client.update_item(**request, ReturnValues="ALL_OLD")
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return model_from(Export, before["Attributes"])

    def record_upload(self, export: Export, run: Run) -> None:
        values = {
            "object_key": run.object_key,
            "upload_id": run.upload_id,
            "progress": Progress(total_bytes=run.total_bytes).model_dump(),
        }
        if not self._update(export, values, "#run_id = :run", {"run": run.run_id}):
            raise Superseded

    def progress(self, export: Export, run_id: str, done_bytes: int) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item(keys.export_key(export.tenant_id, export.id)),
                UpdateExpression="SET progress.done_bytes = :done, updated_at = :now",
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={
                    ":done": {"N": str(done_bytes)},
                    ":run": {"S": run_id},
                    ":now": {"S": iso(utcnow())},
                },
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Superseded from None
            raise

    def finish(self, export: Export, run_id: str, outcome: Outcome) -> None:
        values = {
            "status": outcome.status.value,
            "progress": outcome.progress.model_dump(),
            "object_key": outcome.object_key,
            "upload_id": None,
            "error": outcome.error.model_dump() if outcome.error else None,
        }
        if outcome.customer_id is None:
            if not self._update(export, values, "#run_id = :run", {"run": run_id}):
                raise Superseded
            return
        update = self._update_request(
            (export.tenant_id, export.id), values, "#run_id = :run", {"run": run_id}
        )
        # The customer's existence and the outcome in one transaction: a backup is never marked
        # done after its customer was deleted.
        parts: list[TransactWriteItemTypeDef] = [
            contact_open(self._table, export.tenant_id, outcome.customer_id),
            {"Update": update},  # type: ignore[typeddict-item]
        ]
        failed = self._try_transact(parts)
        if failed is None:
            return
        if 0 in failed:
            raise CustomerGone
        raise Superseded
