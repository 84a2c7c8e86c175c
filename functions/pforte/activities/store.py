"""Activities in DynamoDB: in their contact's partition (deleted with it), hints sorted above notes,
the attachment's state in a map on the item; every add and delete moves the summary's counter in
its own transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pforte.activities.service import Activity, ActivityKind, Attachment
from pforte.core.counters import Counter
from pforte.core.pagination import Page
from pforte.jobs.service import ContactGone, FileStatus
from pforte.storage import keys
from pforte.storage.dynamo import (
    DynamoTable,
    contact_touch,
    count_change,
    model_from,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef, TransactWriteItemTypeDef

# A write that adds to a contact's partition also checks that the contact is there and not being
# deleted, and touches it: a delete that read the partition before this write starts over.


class DynamoActivityRepository(DynamoTable):
    def _key(self, activity: Activity) -> dict[str, str]:
        return keys.activity_key(activity.tenant_id, activity.contact_id, activity.kind.value, activity.id)

    def add(self, activity: Activity) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            contact_touch(self._table, activity.tenant_id, activity.contact_id),
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {**self._key(activity), "entity": "activity", **activity.model_dump(mode="json")}
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            count_change(
                self._table,
                keys.summary_key(activity.tenant_id, activity.contact_id),
                {Counter.ACTIVITIES: 1},
            ),
        ]
        if self._try_transact(parts) is not None:
            raise ContactGone

    def get(self, tenant_id: str, contact_id: str, activity_id: str) -> Activity | None:
        # The key holds the kind (the sort order); a note is looked for first, being the common one.
        for kind in (ActivityKind.NOTE, ActivityKind.HINT):
            item = self._get(keys.activity_key(tenant_id, contact_id, kind.value, activity_id))
            if item:
                return model_from(Activity, item)
        return None

    def page(
        self,
        tenant_id: str,
        contact_id: str,
        kind: ActivityKind | None,
        after: tuple[ActivityKind, str] | None,
        limit: int,
    ) -> Page[Activity]:
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.contact_partition(tenant_id, contact_id)},
                ":prefix": {"S": keys.activity_prefix(kind.value if kind else None)},
            },
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if after is not None:
            request["ExclusiveStartKey"] = to_item(
                keys.activity_key(tenant_id, contact_id, after[0].value, after[1])
            )
        items = [model_from(Activity, item) for item in self._client.query(**request).get("Items", [])]
        return Page(items[:limit], after=items[limit - 1].id if len(items) > limit else None)

    def remove(self, activity: Activity) -> bool:
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item(self._key(activity)),
                    # A repeated delete must not count the activity out twice.
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            count_change(
                self._table,
                keys.summary_key(activity.tenant_id, activity.contact_id),
                {Counter.ACTIVITIES: -1},
            ),
        ]
        return self._try_transact(parts) is None

    def settle(self, activity: Activity, attachment: Attachment) -> bool:
        return self._update_if(
            TableName=self._table,
            Key=to_item(self._key(activity)),
            UpdateExpression="SET attachment = :attachment",
            ConditionExpression="attachment.#status = :pending AND attachment.upload_id = :upload",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":attachment": to_item({"a": attachment.model_dump(mode="json")})["a"],
                ":pending": {"S": FileStatus.PENDING.value},
                ":upload": {"S": attachment.upload_id},
            },
        )
