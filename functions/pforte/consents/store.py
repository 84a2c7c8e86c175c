"""Consent states, their history and the double opt-in links, in DynamoDB.

All of a contact's consent items live in its partition (deleted with it); a link's lookup item,
found by its digest from the public route, lies outside and is deleted with the state that
points to it (`contacts.store._outside_partition`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pforte.consents.service import ConsentState, HistoryEntry, PendingLink, granted_delta
from pforte.contacts.service import Contact
from pforte.core.clock import epoch_seconds, iso
from pforte.core.counters import Counter
from pforte.core.pagination import Page
from pforte.mail.messages import OutgoingMail
from pforte.mail.store import mail_log_parts
from pforte.storage import keys
from pforte.storage.dynamo import DynamoTable, contact_open, count_change, from_item, model_from, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef, TransactWriteItemTypeDef

# As the activation store's mail log: kept for a year.


class DynamoConsentRepository(DynamoTable):
    def _state_item(self, contact: Contact, state: ConsentState) -> dict[str, Any]:
        return {
            **keys.CONSENTS.key(contact.tenant_id, contact.id, state.channel),
            "entity": "consent",
            **state.model_dump(mode="json"),
        }

    def _contact_exists(self, contact: Contact) -> TransactWriteItemTypeDef:
        return contact_open(self._table, contact.tenant_id, contact.id)

    def _put_state(
        self, contact: Contact, state: ConsentState, previous_version: int
    ) -> TransactWriteItemTypeDef:
        item = to_item(self._state_item(contact, state))
        if previous_version == 0:
            return {
                "Put": {
                    "TableName": self._table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        return {
            "Put": {
                "TableName": self._table,
                "Item": item,
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": {":version": {"N": str(previous_version)}},
            }
        }

    def _delete_token(self, tenant_id: str, digest: str) -> TransactWriteItemTypeDef:
        return {
            "Delete": {"TableName": self._table, "Key": to_item(keys.consent_token_key(tenant_id, digest))}
        }

    def states(self, tenant_id: str, contact_id: str) -> list[ConsentState]:
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.contact_partition(tenant_id, contact_id)},
                ":prefix": {"S": keys.CONSENTS.prefix},
            },
            "ConsistentRead": True,
        }
        return [model_from(ConsentState, item) for item in self._query_all(request)]

    def state(self, tenant_id: str, contact_id: str, channel: str) -> ConsentState | None:
        item = self._get(keys.CONSENTS.key(tenant_id, contact_id, channel))
        return model_from(ConsentState, item) if item else None

    def change(
        self, contact: Contact, before: ConsentState, after: ConsentState, entry: HistoryEntry | None
    ) -> bool:
        parts: list[TransactWriteItemTypeDef] = [
            self._contact_exists(contact),
            self._put_state(contact, after, before.version),
        ]
        if before.pending_digest and before.pending_digest != after.pending_digest:
            # Used, withdrawn or replaced: the link stops working with this write.
            parts.append(self._delete_token(contact.tenant_id, before.pending_digest))
        if entry is not None:
            parts.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                **keys.CONSENT_HISTORY.key(contact.tenant_id, contact.id, entry.id),
                                "entity": "consent_history",
                                **entry.model_dump(mode="json"),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
        delta = granted_delta(before.status, after.status)
        if delta:
            parts.append(
                count_change(
                    self._table,
                    keys.summary_key(contact.tenant_id, contact.id),
                    {Counter.CONSENTS_GRANTED: delta},
                )
            )
        return self._try_transact(parts) is None

    def history(self, tenant_id: str, contact_id: str, limit: int, after: str | None) -> Page[HistoryEntry]:
        partition = keys.contact_partition(tenant_id, contact_id)
        prefix = keys.CONSENT_HISTORY.prefix
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": partition}, ":prefix": {"S": prefix}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after:
            request["ExclusiveStartKey"] = to_item({keys.PK: partition, keys.SK: f"{prefix}{after}"})
        response = self._client.query(**request)
        items = [model_from(HistoryEntry, item) for item in response.get("Items", [])]
        more = "LastEvaluatedKey" in response and items
        return Page(items=items, after=items[-1].id if more else None)

    def issue_link(self, contact: Contact, state: ConsentState, link: PendingLink) -> bool:
        issued = state.model_copy(
            update={
                "pending_digest": link.digest,
                "pending_expires_at": link.expires_at,
                "version": state.version + 1,
            }
        )
        parts: list[TransactWriteItemTypeDef] = [
            self._contact_exists(contact),
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.consent_token_key(link.tenant_id, link.digest),
                            "entity": "consent_token",
                            "contact_id": link.contact_id,
                            "channel": link.channel,
                            "expires_at": iso(link.expires_at),
                            keys.TTL: epoch_seconds(link.expires_at),
                        }
                    ),
                }
            },
            # Still pending for the same request (nothing withdrew or re-granted it meanwhile).
            self._put_state(contact, issued, state.version),
        ]
        if state.pending_digest:
            parts.append(self._delete_token(contact.tenant_id, state.pending_digest))
        return self._try_transact(parts) is None

    def find_link(self, tenant_id: str, digest: str) -> PendingLink | None:
        item = self._get(keys.consent_token_key(tenant_id, digest))
        if not item:
            return None
        values = from_item(item)
        return PendingLink(
            tenant_id,
            values["contact_id"],
            values["channel"],
            digest,
            datetime.fromisoformat(values["expires_at"]),
        )

    def record_sent(self, contact: Contact, state: ConsentState, mail: OutgoingMail, message_id: str) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            {
                # Only the mark: whatever else changed meanwhile stays (a redelivered message of
                # this request is then skipped, a newer grant's request is not).
                "Update": {
                    "TableName": self._table,
                    "Key": to_item(keys.CONSENTS.key(contact.tenant_id, contact.id, state.channel)),
                    "UpdateExpression": "SET mailed_request = :request",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": {":request": {"S": state.request_id or ""}},
                }
            },
            *mail_log_parts(self._table, contact, mail, message_id),
        ]
        # Nothing to log for a contact deleted while its mail went out.
        self._try_transact(parts)
