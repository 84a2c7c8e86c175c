"""Addresses in DynamoDB: one item each in the contact's partition, written with its counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pforte.addresses.service import Address, Addresses
from pforte.core.counters import Counter
from pforte.storage import keys
from pforte.storage.dynamo import model_from, to_item
from pforte.storage.owned import OwnedItems, OwnedWrite


class DynamoAddressRepository(OwnedItems):
    def addresses(self, tenant_id: str, contact_id: str) -> Addresses:
        items, counters = self._owned(tenant_id, contact_id, keys.ADDRESSES.prefix)
        return Addresses(items=tuple(model_from(Address, item) for item in items), counters=counters)

    def save(
        self,
        tenant_id: str,
        read: Addresses,
        changed: Sequence[Address],
        removed: Sequence[Address],
        counts: Mapping[Counter, int],
    ) -> None:
        contact_id = next(address.contact_id for address in (*changed, *removed))
        write = OwnedWrite(
            puts=[
                to_item(
                    {
                        **keys.ADDRESSES.key(tenant_id, contact_id, address.id),
                        "entity": "address",
                        **address.model_dump(mode="json"),
                    }
                )
                for address in changed
            ],
            deletes=[
                (keys.ADDRESSES.key(tenant_id, contact_id, address.id), address.version)
                for address in removed
            ],
            counters={
                counter.value: (read.counters.get(counter.value, 0), delta)
                for counter, delta in counts.items()
            },
        )
        self._write_owned(tenant_id, contact_id, write)
