"""Bulk writes of imported contacts: BatchGetItem to find known addresses, TransactWriteItems to
store.

Uniqueness holds against any concurrent write: each contact is written with its address claim
(and its customer number's), on the condition that none exists, in transactions of at most 100
items (DynamoDB's limit). The claims of a chunk are read first only so that a re-run does not
cancel transaction after transaction; a contact created through the API between that read and the
write cancels the transaction, and the rows whose claim failed are reported (as known, or as
holding a taken customer number) while the rest are written again.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pforte.contacts.imports import Claimed, ImportJob, ImportReport, ImportStatus, Resume
from pforte.contacts.service import Contact
from pforte.contacts.store import DynamoContactRepository
from pforte.core.clock import iso, utcnow
from pforte.storage import keys
from pforte.storage.dynamo import (
    DynamoTable,
    from_item,
    model_from,
    set_or_remove,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, TransactWriteItemTypeDef

GET_BATCH = 100  # BatchGetItem's limit
TRANSACTION_ITEMS = 100  # TransactWriteItems' limit: a contact and its one or two claims each
MAX_CONFLICT_ATTEMPTS = 8

Part = Literal["contact", "email", "number"]
# The order of DynamoContactRepository.creation_parts: the contact, then its claims.
_PARTS: tuple[Part, ...] = ("contact", "email", "number")


class DynamoImportStore(DynamoTable):
    def existing_emails(self, tenant_id: str, email_keys: list[str]) -> set[str]:
        return self._existing([keys.email_guard_key(tenant_id, key) for key in email_keys], "email_key")

    def existing_numbers(self, tenant_id: str, number_keys: list[str]) -> set[str]:
        guards = [keys.customer_number_guard_key(tenant_id, key) for key in number_keys]
        return self._existing(guards, "number_key")

    def _existing(self, guard_keys: list[dict[str, str]], attribute: str) -> set[str]:
        """The `attribute` of every guard item of these keys that exists."""
        found: set[str] = set()
        unique = list({(key[keys.PK], key[keys.SK]): key for key in guard_keys}.values())
        for start in range(0, len(unique), GET_BATCH):
            request: dict[str, KeysAndAttributesTypeDef] = {
                self._table: {
                    "Keys": [to_item(key) for key in unique[start : start + GET_BATCH]],
                    "ConsistentRead": True,
                    "ProjectionExpression": attribute,
                }
            }
            for attempt in range(8):
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    found.add(from_item(item)[attribute])
                request = response.get("UnprocessedKeys", {})  # type: ignore[assignment]
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
        return found

    def add_many(self, contacts: list[Contact]) -> Claimed:
        claimed = Claimed()
        chunk: list[Contact] = []
        items = 0
        for contact in contacts:
            size = 3 if contact.number_key else 2
            if items + size > TRANSACTION_ITEMS:
                self._add_all_or_known(chunk, claimed)
                chunk, items = [], 0
            chunk.append(contact)
            items += size
        self._add_all_or_known(chunk, claimed)
        return claimed

    def _add_all_or_known(self, contacts: list[Contact], claimed: Claimed) -> None:
        """One transaction for these rows; rows whose claim someone else holds drop out (into
        `claimed`) and the rest go again, until they commit."""
        attempt = 0
        creator = DynamoContactRepository(self._client, self._table)
        while contacts:
            owners: list[tuple[int, Part]] = []
            parts: list[TransactWriteItemTypeDef] = []
            for row, contact in enumerate(contacts):
                # Written as the API writes a new contact; no "number" part without a number.
                for kind, part in zip(_PARTS, creator.creation_parts(contact), strict=False):
                    owners.append((row, kind))
                    parts.append(part)
            failed = self._try_transact(parts)
            if failed is None:
                break
            if failed:
                # A contact has a fresh id (never there): what failed is a claim.
                lost: set[int] = set()
                for index in failed:
                    row, kind = owners[index]
                    lost.add(row)
                    number = contacts[row].number_key
                    if kind == "number" and number:
                        claimed.numbers.add(number)
                    else:
                        claimed.emails.add(contacts[row].email_key)
                contacts = [contact for index, contact in enumerate(contacts) if index not in lost]
                continue
            attempt += 1  # a conflict with another transaction on one of these items
            if attempt >= MAX_CONFLICT_ATTEMPTS:
                raise RuntimeError("The import's writes kept conflicting with other writes.")
            time.sleep(min(0.05 * 2**attempt, 1.0))


IMPORT_RECORD_SECONDS = 30 * 24 * 3600


class DynamoImportJobs(DynamoTable):
    """One item per background import: its status, progress and report."""

    def add(self, job: ImportJob) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    **keys.import_key(job.tenant_id, job.id),
                    "entity": "import",
                    **job.model_dump(mode="json"),
                    keys.TTL: int(job.created_at.timestamp()) + IMPORT_RECORD_SECONDS,
                }
            ),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, tenant_id: str, import_id: str) -> ImportJob | None:
        item = self._get(keys.import_key(tenant_id, import_id))
        return model_from(ImportJob, item) if item else None

    def reopen(self, job: ImportJob) -> None:
        self._update(job, {"status": ImportStatus.AWAITING_UPLOAD.value})

    def _update(
        self,
        job: ImportJob,
        values: dict[str, Any],
        condition: str | None = None,
        condition_values: dict[str, Any] | None = None,
    ) -> bool:
        """Whether the update was made (False: its condition failed)."""
        expression, names, attribute_values = set_or_remove({**values, "updated_at": iso(utcnow())})
        if condition:
            attribute_values |= condition_values or {}
        return self._update_if(
            TableName=self._table,
            Key=to_item(keys.import_key(job.tenant_id, job.id)),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=attribute_values,
            **({"ConditionExpression": condition} if condition else {}),  # type: ignore[arg-type]
        )

    def start(self, job: ImportJob, stale_before: datetime) -> bool:
        return self._update(
            job,
            {"status": ImportStatus.RUNNING.value},
            condition="#status = :awaiting OR (#status = :status AND #updated_at < :stale_before)",
            condition_values={
                ":awaiting": {"S": ImportStatus.AWAITING_UPLOAD.value},
                ":stale_before": {"S": iso(stale_before)},
            },
        )

    def progress(
        self, job: ImportJob, processed_rows: int, total_rows: int | None = None, resume: Resume | None = None
    ) -> None:
        values: dict[str, Any] = {"processed_rows": processed_rows, "total_rows": total_rows}
        if resume is not None:
            values["resume"] = resume.model_dump(mode="json")
        self._update(job, values)

    def finish(
        self,
        job: ImportJob,
        status: ImportStatus,
        report: ImportReport | None,
        error: str | None,
        *,
        total_rows: int | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status.value,
            "report": report.model_dump(mode="json") if report else None,
            "error": error,
            "resume": None,
        }
        if total_rows is not None:
            values |= {"processed_rows": total_rows, "total_rows": total_rows}
        self._update(job, values)
