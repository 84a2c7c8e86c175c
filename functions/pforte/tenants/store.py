"""Tenant profiles in DynamoDB: one item per tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pforte.storage import keys
from pforte.storage.dynamo import DynamoTable, model_from, to_item
from pforte.tenants.service import Tenant

if TYPE_CHECKING:
    pass


class DynamoTenantRepository(DynamoTable):
    def get(self, tenant_id: str) -> Tenant | None:
        item = self._get(keys.tenant_key(tenant_id))
        return model_from(Tenant, item) if item else None

    def _item(self, tenant: Tenant) -> dict[str, object]:
        return {**keys.tenant_key(tenant.id), "entity": "tenant", **tenant.model_dump(mode="json")}

    def add(self, tenant: Tenant) -> bool:
        return self._put_new(self._item(tenant))

    def save(self, tenant: Tenant) -> None:
        self._client.put_item(TableName=self._table, Item=to_item(self._item(tenant)))
