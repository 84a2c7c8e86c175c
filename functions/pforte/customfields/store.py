"""Custom field definitions in DynamoDB: one item per tenant."""

from __future__ import annotations

from pforte.customfields.service import CustomFields
from pforte.storage import keys
from pforte.storage.dynamo import DynamoTable, model_from, to_item


class DynamoCustomFieldRepository(DynamoTable):
    def get(self, tenant_id: str) -> CustomFields | None:
        item = self._get(keys.custom_fields_key(tenant_id))
        return model_from(CustomFields, item) if item else None

    def save(self, fields: CustomFields) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    **keys.custom_fields_key(fields.tenant_id),
                    "entity": "custom_fields",
                    **fields.model_dump(mode="json"),
                }
            ),
        )
