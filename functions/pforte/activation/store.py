"""Activation links, the mail log, and failed attempts per source address, in DynamoDB."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pforte.activation.service import ATTEMPT_WINDOW, MAX_FAILED_ATTEMPTS, IssuedLink, LinkPurpose
from pforte.contacts.service import Contact
from pforte.contacts.store import contact_item
from pforte.core.clock import epoch_seconds, iso, utcnow
from pforte.core.retry import Retry, with_retries
from pforte.mail.messages import OutgoingMail
from pforte.mail.store import mail_log_parts
from pforte.storage import keys
from pforte.storage.dynamo import CONTACT_OPEN, DynamoTable, from_item, is_condition_failure, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# The mail log keeps what was sent for a year; DynamoDB's TTL removes it after that.
# Long enough to outlive every redelivery of a queued message.
REQUEST_MARK_SECONDS = 4 * 24 * 3600


class DynamoActivationRepository(DynamoTable):
    def issue(self, contact: Contact, link: IssuedLink) -> None:
        pointer_key = keys.activation_link_key(contact.tenant_id, contact.id)
        current = self._get(pointer_key)
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.activation_token_key(link.tenant_id, link.digest),
                            "entity": "activation_token",
                            "contact_id": link.contact_id,
                            "expires_at": iso(link.expires_at),
                            "purpose": link.purpose.value,
                            "contact_version": link.contact_version,
                            keys.TTL: epoch_seconds(link.expires_at),
                        }
                    ),
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item({**pointer_key, "entity": "activation_link", "digest": link.digest}),
                }
            },
        ]
        if current:
            old_digest = from_item(current)["digest"]
            parts.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": to_item(keys.activation_token_key(link.tenant_id, old_digest)),
                    }
                }
            )
        self._transact(parts)

    def find(self, tenant_id: str, digest: str) -> IssuedLink | None:
        token = self._get(keys.activation_token_key(tenant_id, digest))
        if not token:
            return None
        values = from_item(token)
        pointer = self._get(keys.activation_link_key(tenant_id, values["contact_id"]))
        if not pointer or from_item(pointer).get("digest") != digest:
            return None  # replaced by a newer link
        return IssuedLink(
            tenant_id,
            values["contact_id"],
            digest,
            datetime.fromisoformat(values["expires_at"]),
            LinkPurpose(values.get("purpose", LinkPurpose.INVITATION)),
            int(values["contact_version"]) if values.get("contact_version") is not None else None,
        )

    def consume(self, link: IssuedLink, contact: Contact, previous: Contact) -> bool:
        parts: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item(keys.activation_token_key(link.tenant_id, link.digest)),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item(keys.activation_link_key(link.tenant_id, link.contact_id)),
                    "ConditionExpression": "digest = :digest",
                    "ExpressionAttributeValues": {":digest": {"S": link.digest}},
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": contact_item(contact),
                    "ConditionExpression": "version = :version AND attribute_not_exists(deleting)",
                    "ExpressionAttributeValues": {":version": {"N": str(previous.version)}},
                }
            },
        ]
        return self._try_transact(parts) is None

    def record_sent(self, contact: Contact, previous: Contact, mail: OutgoingMail, message_id: str) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            {
                # Only the invitation fields: whatever else changed meanwhile stays.
                "Update": {
                    "TableName": self._table,
                    "Key": to_item(keys.contact_key(contact.tenant_id, contact.id)),
                    "UpdateExpression": "SET invitation_sent_at = :sent, updated_at = :sent, version = version + :one",
                    "ConditionExpression": CONTACT_OPEN,
                    "ExpressionAttributeValues": {
                        ":sent": {"S": contact.model_dump(mode="json")["invitation_sent_at"]},
                        ":one": {"N": "1"},
                    },
                }
            },
            *mail_log_parts(self._table, contact, mail, message_id),
        ]
        self._transact(parts)

    def claim_request(self, tenant_id: str, contact_id: str, request_id: str) -> bool:
        return self._put_if(
            TableName=self._table,
            Item=to_item(
                {
                    **keys.MAIL_REQUESTS.key(tenant_id, contact_id, request_id),
                    "entity": "mail_request",
                    "state": "pending",
                    keys.TTL: epoch_seconds(utcnow()) + REQUEST_MARK_SECONDS,
                }
            ),
            # A request that started and never finished may go again: better twice than never.
            ConditionExpression="attribute_not_exists(PK) OR #state = :pending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":pending": {"S": "pending"}},
        )

    def complete_request(self, tenant_id: str, contact_id: str, request_id: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=to_item(keys.MAIL_REQUESTS.key(tenant_id, contact_id, request_id)),
            UpdateExpression="SET #state = :done",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":done": {"S": "done"}},
        )


class DynamoFailedAttempts(DynamoTable):
    """Failures of one source within a 15-minute window; ten of them block it for 15 minutes.

    Recording a failure is one conditional UpdateItem while the source's window is open (or it
    has none): ADD one to the count, the window starting at the first failure. The block is read
    from the item: ten failures, and less than 15 minutes since the last one (no failure is
    recorded while blocked). Only a failure after the window closed takes a second write, which
    starts a new window, conditioned on the old one (concurrent failures do not lose a count).
    """

    def __init__(self, client: DynamoDBClient, table_name: str, purpose: str) -> None:
        super().__init__(client, table_name)
        self._purpose = purpose

    def blocked_for(self, source: str) -> int:
        item = self._get(keys.failed_attempts_key(self._purpose, source))
        state = from_item(item) if item else {}
        window = int(ATTEMPT_WINDOW.total_seconds())
        blocked_until = int(state.get("blocked_until", 0))  # items written before the update count
        if int(state.get("failures", 0)) >= MAX_FAILED_ATTEMPTS and "last_failure" in state:
            blocked_until = max(blocked_until, int(state["last_failure"]) + window)
        return max(0, blocked_until - epoch_seconds(utcnow()))

    def record_failure(self, source: str) -> None:
        window = int(ATTEMPT_WINDOW.total_seconds())
        key = to_item(keys.failed_attempts_key(self._purpose, source))

        def attempt() -> None:
            now = epoch_seconds(utcnow())
            values = {
                ":one": {"N": "1"},
                ":now": {"N": str(now)},
                ":entity": {"S": "failed_attempts"},
                ":ttl": {"N": str(now + window)},
            }
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression=(
                        "ADD failures :one SET window_start = if_not_exists(window_start, :now), "
                        "last_failure = :now, entity = :entity, #ttl = :ttl"
                    ),
                    ConditionExpression="attribute_not_exists(window_start) OR window_start > :cutoff",
                    ExpressionAttributeNames={"#ttl": keys.TTL},
                    ExpressionAttributeValues={**values, ":cutoff": {"N": str(now - window)}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                return
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                old = error.response.get("Item", {}).get("window_start")  # type: ignore[attr-defined]
            # The window closed: this failure starts a new one, unless another failure did.
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression=(
                        "SET failures = :one, window_start = :now, last_failure = :now, "
                        "entity = :entity, #ttl = :ttl REMOVE blocked_until"
                    ),
                    ConditionExpression="window_start = :old"
                    if old
                    else "attribute_not_exists(window_start)",
                    ExpressionAttributeNames={"#ttl": keys.TTL},
                    ExpressionAttributeValues={**values, **({":old": old} if old else {})},
                )
                return
            except ClientError as error:
                if is_condition_failure(error):
                    raise Retry from None  # another failure started the new window: count again
                raise

        # Only a race between closing windows goes round again; one lost three times goes uncounted.
        with contextlib.suppress(Retry):
            with_retries(attempt)
