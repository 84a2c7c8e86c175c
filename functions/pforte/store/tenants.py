"""Tenant profiles in DynamoDB: one item per tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pforte.store import keys
from pforte.store.dynamo import from_item, is_condition_failure, to_item
from pforte.tenants import Tenant

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_TENANT_FIELDS = frozenset(Tenant.model_fields)


class DynamoTenantRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, tenant_id: str) -> Tenant | None:
        response = self._client.get_item(TableName=self._table, Key=to_item(keys.tenant_key(tenant_id)))
        item = response.get("Item")
        if not item:
            return None
        values = from_item(item)
        return Tenant.model_validate(
            {name: value for name, value in values.items() if name in _TENANT_FIELDS}
        )

    def _item(self, tenant: Tenant) -> dict[str, object]:
        return {**keys.tenant_key(tenant.id), "entity": "tenant", **tenant.model_dump(mode="json")}

    def add(self, tenant: Tenant) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(self._item(tenant)),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def save(self, tenant: Tenant) -> None:
        self._client.put_item(TableName=self._table, Item=to_item(self._item(tenant)))
