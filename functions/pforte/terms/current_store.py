"""The version of the tenant's current terms, read from the terms item alone (a projection)."""

from __future__ import annotations

from pforte.storage import keys
from pforte.storage.dynamo import DynamoTable, from_item, to_item


class DynamoCurrentTerms(DynamoTable):
    def current_version(self, tenant_id: str) -> str | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item(keys.terms_state_key(tenant_id)),
            ConsistentRead=True,
            ProjectionExpression="#current.#version",
            ExpressionAttributeNames={"#current": "current", "#version": "version"},
        )
        current = from_item(response.get("Item") or {}).get("current") or {}
        version = current.get("version")
        return version if isinstance(version, str) else None
