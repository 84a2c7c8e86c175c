"""Permission groups, the groups of each contact, and notification preferences in DynamoDB.

A group is an item of the tenant's groups partition (with their count); a contact's groups are one
item in its partition (so the contact's delete takes it), pointing at one member item per group
outside it (the contact store deletes those with it), which tell who has a group when it is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pforte.contacts.service import Contact
from pforte.core.clock import iso
from pforte.mail.messages import OutgoingMail
from pforte.mail.store import mail_log_parts
from pforte.rights.notifications import NotificationPreferences
from pforte.rights.service import (
    MAX_GROUPS,
    Assignment,
    ContactMissing,
    DefaultChanged,
    GroupChanged,
    GroupGone,
    LimitReached,
    PermissionGroup,
)
from pforte.storage import keys
from pforte.storage.dynamo import (
    DynamoTable,
    contact_open,
    count_change,
    from_item,
    is_condition_failure,
    model_from,
    to_item,
)
from pforte.tenants.service import DEFAULT_PERMISSION_GROUP_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef


def _group_item(group: PermissionGroup) -> dict[str, Any]:
    return {
        **keys.permission_group_key(group.tenant_id, group.id),
        "entity": "permission_group",
        **group.model_dump(mode="json", exclude={"deleting"}),
        **({"deleting": True} if group.deleting else {}),
    }


def _unchanged(previous: PermissionGroup | None) -> tuple[str, dict[str, Any]]:
    """The condition that the stored group is still `previous` (None: that none is stored)."""
    if previous is None:
        return "attribute_not_exists(PK)", {}
    return (
        "version = :previous AND attribute_not_exists(deleting)",
        {":previous": {"N": str(previous.version)}},
    )


class DynamoGroupRepository(DynamoTable):
    # --- groups ---------------------------------------------------------------------------

    def get(self, tenant_id: str, group_id: str) -> PermissionGroup | None:
        item = self._get(keys.permission_group_key(tenant_id, group_id))
        return model_from(PermissionGroup, item) if item else None

    def get_many(self, tenant_id: str, group_ids: Sequence[str]) -> list[PermissionGroup]:
        if not group_ids:
            return []
        wanted: list[Any] = [
            to_item(keys.permission_group_key(tenant_id, i)) for i in dict.fromkeys(group_ids)
        ]
        found: list[dict[str, Any]] = []
        # At most MAX_GROUPS_PER_CONTACT (20) keys: one BatchGetItem, again for what it left.
        while wanted:
            response = self._client.batch_get_item(
                RequestItems={self._table: {"Keys": wanted, "ConsistentRead": True}}
            )
            found += response.get("Responses", {}).get(self._table, [])
            left: Any = response.get("UnprocessedKeys", {}).get(self._table, {})
            wanted = list(left.get("Keys", []))
        return [model_from(PermissionGroup, item) for item in found]

    def all(self, tenant_id: str) -> list[PermissionGroup]:
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": keys.permission_groups_pk(tenant_id)},
                    ":prefix": {"S": keys.permission_group_prefix()},
                },
                "ScanIndexForward": False,
                "ConsistentRead": True,
            }
        )
        return [model_from(PermissionGroup, item) for item in items]

    def add(self, group: PermissionGroup) -> None:
        count = count_change(self._table, keys.permission_group_count_key(group.tenant_id), {"groups": 1})
        count["Update"]["ConditionExpression"] = "attribute_not_exists(groups) OR groups < :max"
        count["Update"]["ExpressionAttributeValues"][":max"] = {"N": str(MAX_GROUPS)}  # type: ignore[index]
        failed = self._try_transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(_group_item(group)),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                count,
            ]
        )
        if failed is None:
            return
        if 1 in failed:
            raise LimitReached
        raise GroupChanged

    def save(self, group: PermissionGroup, previous: PermissionGroup | None, make_default: bool) -> None:
        condition, values = _unchanged(previous)
        put: PutTypeDef = {
            "TableName": self._table,
            "Item": to_item(_group_item(group)),
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = values
        parts: list[TransactWriteItemTypeDef] = [{"Put": put}]
        if make_default:
            parts.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item(keys.tenant_key(group.tenant_id)),
                        "UpdateExpression": "SET default_permission_group_id = :group, updated_at = :now",
                        "ConditionExpression": "attribute_exists(PK)",
                        "ExpressionAttributeValues": {
                            ":group": {"S": group.id},
                            ":now": {"S": iso(group.updated_at)},
                        },
                    }
                }
            )
        if self._try_transact(parts) is not None:
            raise GroupChanged

    def mark_deleting(self, group: PermissionGroup, previous: PermissionGroup | None) -> None:
        frozen = group.model_copy(update={"deleting": True})
        condition, values = _unchanged(previous)
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(_group_item(frozen)),
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),  # type: ignore[arg-type]
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise GroupChanged from None
            raise

    def unmark(self, group: PermissionGroup) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=to_item(keys.permission_group_key(group.tenant_id, group.id)),
            UpdateExpression="REMOVE deleting",
            ConditionExpression="attribute_exists(PK)",
        )

    def remove(self, group: PermissionGroup) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item(keys.permission_group_key(group.tenant_id, group.id)),
                    "ConditionExpression": "attribute_exists(deleting)",
                }
            },
            count_change(self._table, keys.permission_group_count_key(group.tenant_id), {"groups": -1}),
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": to_item(keys.tenant_key(group.tenant_id)),
                    "ConditionExpression": "attribute_not_exists(#default) OR #default <> :group",
                    "ExpressionAttributeNames": {"#default": "default_permission_group_id"},
                    "ExpressionAttributeValues": {":group": {"S": group.id}},
                }
            },
        ]
        failed = self._try_transact(parts)
        if failed is None or failed == [0]:
            return  # [0]: removed by a delete that ran alongside
        if 2 in failed:
            raise DefaultChanged
        raise GroupChanged

    # --- members --------------------------------------------------------------------------

    def members(self, tenant_id: str, group_id: str, limit: int) -> list[str]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.group_members_pk(tenant_id, group_id)}},
            ConsistentRead=True,
            Limit=limit,
        )
        return [str(from_item(item)["contact_id"]) for item in response.get("Items", [])]

    def has_members(self, tenant_id: str, group_id: str) -> bool:
        return bool(self.members(tenant_id, group_id, 1))

    def assignment(self, tenant_id: str, contact_id: str) -> Assignment:
        item = self._get(keys.contact_groups_key(tenant_id, contact_id))
        if item is None:
            return Assignment(tenant_id, contact_id, ())
        values = from_item(item)
        return Assignment(tenant_id, contact_id, tuple(values["ids"]), int(values["version"]))

    def assign(self, previous: Assignment, ids: Sequence[str]) -> Assignment:
        tenant_id, contact_id = previous.tenant_id, previous.contact_id
        current = Assignment(tenant_id, contact_id, tuple(ids), previous.version + 1)
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.contact_groups_key(tenant_id, contact_id),
                            "entity": "permission_groups",
                            "ids": list(ids),
                            "version": current.version,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK) OR version = :version",
                    "ExpressionAttributeValues": {":version": {"N": str(previous.version)}},
                }
            },
            contact_open(self._table, tenant_id, contact_id),
        ]
        for group_id in ids:
            # The built-in default group is there until stored; a group being deleted is given to nobody.
            there = "" if group_id == DEFAULT_PERMISSION_GROUP_ID else "attribute_exists(PK) AND "
            parts.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": to_item(keys.permission_group_key(tenant_id, group_id)),
                        "ConditionExpression": f"{there}attribute_not_exists(deleting)",
                    }
                }
            )
            if group_id not in previous.ids:
                member = keys.group_member_key(tenant_id, group_id, contact_id)
                item = {**member, "entity": "group_member", "contact_id": contact_id, "group_id": group_id}
                parts.append({"Put": {"TableName": self._table, "Item": to_item(item)}})
        for group_id in previous.ids:
            if group_id not in ids:
                parts.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": to_item(keys.group_member_key(tenant_id, group_id, contact_id)),
                        }
                    }
                )
        failed = self._try_transact(parts)
        if failed is None:
            return current
        if 1 in failed:
            raise ContactMissing
        if 0 in failed or not failed:
            raise GroupChanged
        index = failed[0]
        group_key = from_item(parts[index]["ConditionCheck"]["Key"])
        raise GroupGone(str(group_key[keys.SK]).removeprefix(keys.permission_group_prefix()))

    # --- notification preferences -----------------------------------------------------------

    def preferences(self, tenant_id: str, contact_id: str) -> NotificationPreferences:
        item = self._get(keys.notification_preferences_key(tenant_id, contact_id))
        return model_from(NotificationPreferences, item) if item else NotificationPreferences()

    def save_preferences(self, contact: Contact, preferences: NotificationPreferences) -> bool:
        """Store them while the contact exists; False if it is gone."""
        failed = self._try_transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                **keys.notification_preferences_key(contact.tenant_id, contact.id),
                                "entity": "notification_preferences",
                                **preferences.model_dump(mode="json"),
                            }
                        ),
                    }
                },
                contact_open(self._table, contact.tenant_id, contact.id),
            ]
        )
        return failed is None

    def record_mail(self, contact: Contact, mail: OutgoingMail, message_id: str) -> None:
        """The sent mail in the contact's mail log, counted on its summary."""
        parts: list[TransactWriteItemTypeDef] = [
            *mail_log_parts(self._table, contact, mail, message_id),
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": to_item(keys.contact_key(contact.tenant_id, contact.id)),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
        ]
        failed = self._try_transact(parts)
        if failed is not None and failed != [2]:
            raise RuntimeError("The mail log could not be written.")  # [2]: the contact left meanwhile
