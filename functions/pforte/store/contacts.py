"""Contacts in DynamoDB: one item per contact, one guard item per address, a status index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pforte.contacts import Contact, ContactQuery, EmailTaken, StaleContact
from pforte.pagination import Page
from pforte.store import keys
from pforte.store.dynamo import Item, failed_parts, from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef, TransactWriteItemTypeDef

# A filtered page reads at most this many Query calls of this many items, then returns short.
MAX_QUERIES_PER_PAGE = 5
FILTERED_BATCH = 250
_CONTACT_FIELDS = frozenset(Contact.model_fields)


class DynamoContactRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # -- reading ---------------------------------------------------------------------------------

    def get(self, tenant_id: str, contact_id: str) -> Contact | None:
        response = self._client.get_item(
            TableName=self._table, Key=to_item(keys.contact_key(tenant_id, contact_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return self._contact(item) if item else None

    def page(self, tenant_id: str, query: ContactQuery, after: str | None, limit: int) -> Page[Contact]:
        # Filtering by status reads the status index; every other filter is applied to what is read,
        # by the one rule in ContactQuery.matches, within a bounded number of calls.
        by_status = query.status is not None
        needs_filter = query.model_copy(update={"status": None}).is_filtered
        batch = max(limit + 1, FILTERED_BATCH) if needs_filter else limit + 1
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ScanIndexForward": False,
            "Limit": batch,
        }
        if query.status is not None:
            request["IndexName"] = keys.GSI1
            request["ExpressionAttributeNames"] = {"#pk": keys.GSI1PK}
            request["ExpressionAttributeValues"] = {
                ":pk": {"S": keys.contacts_by_status_pk(tenant_id, query.status)}
            }
        else:
            request["ExpressionAttributeNames"] = {"#pk": keys.PK}
            request["ExpressionAttributeValues"] = {":pk": {"S": keys.contacts_pk(tenant_id)}}
        if after is not None:
            request["ExclusiveStartKey"] = self._start_key(tenant_id, query, after, by_status)

        found: list[Contact] = []
        last_read: str | None = after
        for _ in range(MAX_QUERIES_PER_PAGE):
            response = self._client.query(**request)
            for raw in response.get("Items", []):
                contact = self._contact(raw)
                if query.matches(contact):
                    if len(found) == limit:
                        return Page(found, after=found[-1].id)
                    found.append(contact)
                last_read = contact.id
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return Page(found, after=None)
            request["ExclusiveStartKey"] = last_key
        return Page(found, after=last_read)

    def _start_key(self, tenant_id: str, query: ContactQuery, after: str, by_status: bool) -> Item:
        key: dict[str, str] = keys.contact_key(tenant_id, after)
        if by_status and query.status is not None:
            key |= keys.contact_index_keys(tenant_id, after, query.status)
        return to_item(key)

    @staticmethod
    def _contact(item: Any) -> Contact:
        values = from_item(item)
        return Contact.model_validate(
            {name: value for name, value in values.items() if name in _CONTACT_FIELDS}
        )

    # -- writing ---------------------------------------------------------------------------------

    def _item(self, contact: Contact) -> Item:
        return to_item(
            {
                **keys.contact_key(contact.tenant_id, contact.id),
                **keys.contact_index_keys(contact.tenant_id, contact.id, contact.status),
                "entity": "contact",
                "email_key": contact.email_key,
                **contact.model_dump(mode="json"),
            }
        )

    def _guard(self, contact: Contact) -> Item:
        return to_item(
            {
                **keys.email_guard_key(contact.tenant_id, contact.email_key),
                "entity": "email_guard",
                "contact_id": contact.id,
            }
        )

    def _claim_email(self, contact: Contact) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self._table,
                "Item": self._guard(contact),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _release_email(self, contact: Contact) -> TransactWriteItemTypeDef:
        return {
            "Delete": {
                "TableName": self._table,
                "Key": to_item(keys.email_guard_key(contact.tenant_id, contact.email_key)),
                "ConditionExpression": "contact_id = :id",
                "ExpressionAttributeValues": {":id": {"S": contact.id}},
            }
        }

    def add(self, contact: Contact) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._item(contact),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            self._claim_email(contact),
        ]
        self._transact(parts, email_claim_at=1)

    def replace(self, contact: Contact, previous: Contact) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._item(contact),
                    "ConditionExpression": "version = :version",
                    "ExpressionAttributeValues": {":version": {"N": str(previous.version)}},
                }
            }
        ]
        claim_at = None
        if contact.email_key != previous.email_key:
            parts += [self._release_email(previous), self._claim_email(contact)]
            claim_at = 2
        self._transact(parts, email_claim_at=claim_at)

    def remove(self, contact: Contact) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item(keys.contact_key(contact.tenant_id, contact.id)),
                    "ConditionExpression": "version = :version",
                    "ExpressionAttributeValues": {":version": {"N": str(contact.version)}},
                }
            },
            self._release_email(contact),
        ]
        self._transact(parts, email_claim_at=None)

    def _transact(self, parts: list[TransactWriteItemTypeDef], email_claim_at: int | None) -> None:
        try:
            self._client.transact_write_items(TransactItems=parts)
        except ClientError as error:
            failed = failed_parts(error)
            if failed is None:
                raise
            if email_claim_at is not None and email_claim_at in failed:
                raise EmailTaken from None
            raise StaleContact from None
