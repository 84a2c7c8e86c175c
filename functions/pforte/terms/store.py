"""The tenant's terms of use in DynamoDB: one item beside the tenant's profile."""

from __future__ import annotations

from pforte.jobs.service import FileStatus, JobFile
from pforte.storage import keys
from pforte.storage.dynamo import model_from, to_item
from pforte.terms.current_store import DynamoCurrentTerms
from pforte.terms.service import Terms, TermsState


class DynamoTermsRepository(DynamoCurrentTerms):
    def get(self, tenant_id: str) -> TermsState:
        item = self._get(keys.terms_state_key(tenant_id))
        return model_from(TermsState, item) if item else TermsState(tenant_id=tenant_id)

    def admit(self, tenant_id: str, upload: JobFile) -> None:
        key = to_item(keys.terms_state_key(tenant_id))
        # The map must exist before one of its entries can be set (two paths of one map may not
        # be written by one update).
        self._client.update_item(
            TableName=self._table,
            Key=key,
            UpdateExpression="SET uploads = if_not_exists(uploads, :empty), tenant_id = :tenant, entity = :entity",
            ExpressionAttributeValues={
                ":empty": {"M": {}},
                ":tenant": {"S": tenant_id},
                ":entity": {"S": "terms"},
            },
        )
        self._client.update_item(
            TableName=self._table,
            Key=key,
            UpdateExpression="SET uploads.#version = :upload",
            ExpressionAttributeNames={"#version": upload.upload_id},
            ExpressionAttributeValues={":upload": {"M": to_item(upload.model_dump(mode="json"))}},
        )

    def settle(self, tenant_id: str, upload: JobFile, current: Terms | None) -> bool:
        expression = "SET uploads.#version = :upload"
        values = {
            ":upload": {"M": to_item(upload.model_dump(mode="json"))},
            ":pending": {"S": FileStatus.PENDING.value},
        }
        if current is not None:
            expression += ", #current = :current"
            values[":current"] = {"M": to_item(current.model_dump(mode="json"))}
        return self._update_if(
            TableName=self._table,
            Key=to_item(keys.terms_state_key(tenant_id)),
            UpdateExpression=expression,
            ConditionExpression="uploads.#version.#status = :pending",
            ExpressionAttributeNames={
                "#version": upload.upload_id,
                "#status": "status",
                **({"#current": "current"} if current is not None else {}),
            },
            ExpressionAttributeValues=values,  # type: ignore[arg-type]
        )
