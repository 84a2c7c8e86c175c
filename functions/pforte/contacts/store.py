"""Contacts in DynamoDB: one item per contact, one guard item per address and per customer
number, a status index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pforte.contacts.service import (
    Contact,
    ContactQuery,
    CustomerNumberTaken,
    Dependents,
    EmailTaken,
    OnCommit,
    StaleContact,
)
from pforte.core.counters import Counter
from pforte.core.pagination import Page
from pforte.jobs.service import Job
from pforte.storage import keys
from pforte.storage.dynamo import (
    DynamoTable,
    Item,
    batch_write,
    from_item,
    is_condition_failure,
    model_from,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef, TransactWriteItemTypeDef, WriteRequestTypeDef

# A filtered page reads at most this many Query calls of this many items, then returns short.
MAX_QUERIES_PER_PAGE = 5
FILTERED_BATCH = 250
MAX_TRANSACTION_ITEMS = 100


def contact_item(contact: Contact) -> Item:
    """The stored form of a contact (other repositories write contacts in their transactions)."""
    return to_item(
        {
            **keys.contact_key(contact.tenant_id, contact.id),
            **keys.contact_index_keys(contact.tenant_id, contact.id, contact.status),
            "entity": "contact",
            "email_key": contact.email_key,
            # `deleting` is only ever set by the delete itself (see _remove_in_steps).
            **contact.model_dump(mode="json", exclude={"deleting"}),
            # DynamoDB takes numbers as Decimal (no floats); they read back as int or float.
            "custom": {
                key: Decimal(str(value)) if isinstance(value, float) else value
                for key, value in contact.custom.items()
            },
        }
    )


def number_guard(contact: Contact) -> Item:
    """The item that holds the contact's customer number (only for a contact with one)."""
    assert contact.number_key is not None
    return to_item(
        {
            **keys.customer_number_guard_key(contact.tenant_id, contact.number_key),
            "entity": "customer_number_guard",
            "contact_id": contact.id,
            "number_key": contact.number_key,
        }
    )


# What a failed claim in a transaction means, by the part's index.
Claims = Mapping[int, type[Exception]]


class DynamoContactRepository(DynamoTable):
    # -- reading ---------------------------------------------------------------------------------

    def get(self, tenant_id: str, contact_id: str) -> Contact | None:
        item = self._get(keys.contact_key(tenant_id, contact_id))
        return model_from(Contact, item) if item else None

    def counts(self, tenant_id: str, contact_id: str) -> dict[str, int]:
        return self._counters(tenant_id, contact_id)

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
                contact = model_from(Contact, raw)
                if query.matches(contact) and not contact.deleting:
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

    # -- writing ---------------------------------------------------------------------------------

    def _item(self, contact: Contact) -> Item:
        return contact_item(contact)

    def _guard(self, contact: Contact) -> Item:
        return to_item(
            {
                **keys.email_guard_key(contact.tenant_id, contact.email_key),
                "entity": "email_guard",
                "contact_id": contact.id,
                "email_key": contact.email_key,
            }
        )

    def _claim(self, guard: Item) -> TransactWriteItemTypeDef:
        """An item written only if none with its key exists: a new contact, or a guard (an
        address's, a customer number's) that no one holds."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": guard,
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _release(self, contact: Contact, guard_key: dict[str, str]) -> TransactWriteItemTypeDef:
        """A guard item deleted only while the contact holds it."""
        return {
            "Delete": {
                "TableName": self._table,
                "Key": to_item(guard_key),
                "ConditionExpression": "contact_id = :id",
                "ExpressionAttributeValues": {":id": {"S": contact.id}},
            }
        }

    def _claim_email(self, contact: Contact) -> TransactWriteItemTypeDef:
        return self._claim(self._guard(contact))

    def _release_email(self, contact: Contact) -> TransactWriteItemTypeDef:
        return self._release(contact, keys.email_guard_key(contact.tenant_id, contact.email_key))

    def _claim_number(self, contact: Contact) -> TransactWriteItemTypeDef:
        return self._claim(number_guard(contact))

    def _release_number(self, contact: Contact) -> TransactWriteItemTypeDef:
        assert contact.number_key is not None
        return self._release(contact, keys.customer_number_guard_key(contact.tenant_id, contact.number_key))

    def _releases(self, contact: Contact) -> list[TransactWriteItemTypeDef]:
        """Releasing every claim of a contact that goes."""
        return [
            self._release_email(contact),
            *([self._release_number(contact)] if contact.number_key else []),
        ]

    def add(self, contact: Contact) -> None:
        claims: dict[int, type[Exception]] = {1: EmailTaken}
        if contact.number_key:
            claims[2] = CustomerNumberTaken
        self._commit(self.creation_parts(contact), claims)

    def creation_parts(self, contact: Contact) -> list[TransactWriteItemTypeDef]:
        """A new contact and its address claim (the claim second), and its customer number's claim
        (third) if it has one, for a transaction."""
        return [
            self._claim(self._item(contact)),
            self._claim_email(contact),
            *([self._claim_number(contact)] if contact.number_key else []),
        ]

    def by_email(self, tenant_id: str, email_key: str) -> Contact | None:
        guard = self._get(keys.email_guard_key(tenant_id, email_key))
        return self.get(tenant_id, from_item(guard)["contact_id"]) if guard else None

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
        claims: dict[int, type[Exception]] = {}
        if contact.email_key != previous.email_key:
            parts += [self._release_email(previous), self._claim_email(contact)]
            claims[2] = EmailTaken
            # A link mailed to the old address must not activate the account for the new one.
            parts.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": to_item(keys.activation_link_key(contact.tenant_id, contact.id)),
                    }
                }
            )
        if contact.number_key != previous.number_key:
            if previous.number_key:
                parts.append(self._release_number(previous))
            if contact.number_key:
                claims[len(parts)] = CustomerNumberTaken
                parts.append(self._claim_number(contact))
        self._commit(parts, claims)

    def _dependents(self, contact: Contact) -> list[dict[str, Any]]:
        """Every item in the contact's partition (jobs, tokens, mail log), read consistently."""
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.contact_partition(contact.tenant_id, contact.id)}
            },
            "ConsistentRead": True,
        }
        return [from_item(item) for item in self._query_all(request)]

    def dependents(self, contact: Contact) -> Dependents:
        items = tuple(self._dependents(contact))
        jobs = tuple(Job.model_validate(_job_fields(item)) for item in items if item.get("entity") == "job")
        return Dependents(jobs=jobs, items=items)

    @staticmethod
    def _jobs_unchanged(dependents: Sequence[dict[str, Any]], jobs: Sequence[Job]) -> bool:
        found = {item["id"]: item["state"] for item in dependents if item.get("entity") == "job"}
        return found == {job.id: job.state.value for job in jobs}

    def _dependent_keys(self, contact: Contact, dependents: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
        return [
            key
            for item in dependents
            for key in (
                {keys.PK: item[keys.PK], keys.SK: item[keys.SK]},
                *self._outside_partition(contact, item),
            )
        ]

    @staticmethod
    def _outside_partition(contact: Contact, item: dict[str, Any]) -> list[dict[str, str]]:
        """Items elsewhere that a dependent item points to, deleted with it."""
        if item.get("entity") == "job":
            return [keys.job_pointer_key(contact.tenant_id, item["id"])]
        if item.get("entity") == "activation_link":
            return [keys.activation_token_key(contact.tenant_id, item["digest"])]
        if item.get("entity") == "consent" and item.get("pending_digest"):
            return [keys.consent_token_key(contact.tenant_id, item["pending_digest"])]
        if item.get("entity") == "bank_account":
            return [keys.mandate_guard_key(contact.tenant_id, item["mandate_key"])]
        if item.get("entity") == "permission_groups":  # the member index of each of its groups
            return [keys.group_member_key(contact.tenant_id, group, contact.id) for group in item["ids"]]
        return []

    def remove(self, contact: Contact, dependents: Dependents, on_commit: OnCommit | None = None) -> None:
        # The partition as `dependents` read it: one transaction holds its deletes, each job's on
        # the state it was judged in, so nothing needs reading again.
        owner: TransactWriteItemTypeDef = {
            "Delete": {
                "TableName": self._table,
                "Key": to_item(keys.contact_key(contact.tenant_id, contact.id)),
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": {":version": {"N": str(contact.version)}},
            }
        }
        parts: list[TransactWriteItemTypeDef] = [owner, *self._releases(contact)]
        summary = keys.summary_key(contact.tenant_id, contact.id)
        read_counts: dict[str, Any] = {}
        for item in dependents.items:
            if item[keys.SK] == summary[keys.SK]:
                read_counts = item
                continue
            own: TransactWriteItemTypeDef = {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item({keys.PK: item[keys.PK], keys.SK: item[keys.SK]}),
                }
            }
            if item.get("entity") == "job":
                # The job must still be in the state the rule was checked against.
                own["Delete"]["ConditionExpression"] = "#state = :state"
                own["Delete"]["ExpressionAttributeNames"] = {"#state": "state"}
                own["Delete"]["ExpressionAttributeValues"] = {":state": {"S": item["state"]}}
            parts.append(own)
            parts += [
                {"Delete": {"TableName": self._table, "Key": to_item(key)}}
                for key in self._outside_partition(contact, item)
            ]
        parts.append(self._summary_as_read(summary, read_counts))
        if len(parts) <= MAX_TRANSACTION_ITEMS and not contact.deleting:
            self._commit(parts, {})
            return
        self._remove_in_steps(contact, dependents, on_commit)

    def _summary_as_read(self, key: dict[str, str], read: dict[str, Any]) -> TransactWriteItemTypeDef:
        """The delete of the counter item on condition that every counter is as read (absent ones
        still absent): an item of the partition added after the read (an address, a bank account)
        moved its counter in its own transaction, so this delete fails, and the retry deletes it too."""
        names = {f"#c{index}": counter.value for index, counter in enumerate(Counter)}
        values: dict[str, Any] = {}
        conditions = []
        for index, counter in enumerate(Counter):
            if isinstance(read.get(counter.value), int | float):
                values[f":c{index}"] = {"N": str(read[counter.value])}
                conditions.append(f"#c{index} = :c{index}")
            else:
                conditions.append(f"attribute_not_exists(#c{index})")
        part: TransactWriteItemTypeDef = {
            "Delete": {
                "TableName": self._table,
                "Key": to_item(key),
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeNames": names,
            }
        }
        if values:
            part["Delete"]["ExpressionAttributeValues"] = values
        return part

    def _remove_in_steps(self, contact: Contact, dependents: Dependents, on_commit: OnCommit | None) -> None:
        """More than one transaction holds: freeze the contact (no job may be added or change
        state), read its partition again (what the freeze holds still), delete that in batches,
        then the contact. Interrupted, the mark stays and the next delete of the contact finishes
        the work: a contact already marked is not read again, `dependents` was read under the
        freeze."""
        key = to_item(keys.contact_key(contact.tenant_id, contact.id))
        items: Sequence[dict[str, Any]] = dependents.items
        if not contact.deleting:
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET deleting = :yes, version = version + :one",
                    ConditionExpression="version = :version",
                    ExpressionAttributeValues={
                        ":yes": {"BOOL": True},
                        ":one": {"N": "1"},
                        ":version": {"N": str(contact.version)},
                    },
                )
            except ClientError as error:
                if is_condition_failure(error):
                    raise StaleContact from None
                raise
            items = self._dependents(contact)
            if not self._jobs_unchanged(items, dependents.jobs):
                # A job changed state before the freeze took hold: thaw, and let the caller re-judge.
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="REMOVE deleting SET version = version + :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )
                raise StaleContact
        if on_commit is not None:
            on_commit([item["id"] for item in items if item.get("entity") == "job"])
        requests: list[WriteRequestTypeDef] = [
            {"DeleteRequest": {"Key": to_item(item_key)}} for item_key in self._dependent_keys(contact, items)
        ]
        batch_write(self._client, self._table, requests)
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": key,
                    "ConditionExpression": "attribute_exists(deleting)",
                }
            },
            *self._releases(contact),
        ]
        self._commit(parts, {})

    def _commit(self, parts: list[TransactWriteItemTypeDef], claims: Claims) -> None:
        """The transaction; a failed claim raises what `claims` names for it, any other failure
        StaleContact."""
        failed = self._try_transact(parts)
        if failed is not None:
            raise next((claims[index] for index in sorted(failed) if index in claims), StaleContact)


def _job_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name in Job.model_fields}
