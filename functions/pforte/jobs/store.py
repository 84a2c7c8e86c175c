"""Jobs in DynamoDB: in their contact's partition (read consistently for the delete cascade), with a
pointer item per job so that a job can be found by its id alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pforte.core.counters import job_counter
from pforte.core.pagination import Page
from pforte.jobs.files import FileTargetGone
from pforte.jobs.service import ContactGone, FileStatus, Job, JobChanged, JobFile, JobState
from pforte.storage import keys
from pforte.storage.dynamo import (
    DynamoTable,
    contact_open,
    contact_touch,
    count_change,
    from_item,
    model_from,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
    )

# Every write to a job also checks that its contact is there and not being deleted.


class DynamoJobRepository(DynamoTable):
    def get(self, tenant_id: str, job_id: str) -> Job | None:
        pointer = self._get(keys.job_pointer_key(tenant_id, job_id))
        if not pointer:
            return None
        item = self._get(keys.JOBS.key(tenant_id, from_item(pointer)["contact_id"], job_id))
        return model_from(Job, item) if item else None

    def add(self, job: Job) -> None:
        if self._try_transact(self.creation_parts(job)) is not None:
            raise ContactGone

    def creation_parts(self, job: Job, *, new_contact: bool = False) -> list[TransactWriteItemTypeDef]:
        """The job and its pointer; for an existing contact also a touch of the contact (a delete
        that read its jobs before this one starts over), on the condition that it is still there."""
        parts: list[TransactWriteItemTypeDef] = []
        if not new_contact:
            parts.append(contact_touch(self._table, job.tenant_id, job.contact_id))
        parts += [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.JOBS.key(job.tenant_id, job.contact_id, job.id),
                            "entity": "job",
                            **job.model_dump(mode="json"),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.job_pointer_key(job.tenant_id, job.id),
                            "entity": "job_pointer",
                            "contact_id": job.contact_id,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            count_change(
                self._table, keys.summary_key(job.tenant_id, job.contact_id), {job_counter(job.state): 1}
            ),
        ]
        return parts

    def change_state(self, job: Job, previous: JobState) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            contact_open(self._table, job.tenant_id, job.contact_id),
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item(keys.JOBS.key(job.tenant_id, job.contact_id, job.id)),
                    "UpdateExpression": "SET #state = :state, updated_at = :now",
                    "ConditionExpression": "#state = :previous",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {
                        ":state": {"S": job.state},
                        ":previous": {"S": previous},
                        ":now": {"S": job.model_dump(mode="json")["updated_at"]},
                    },
                }
            },
        ]
        if moved := _moved(previous, job.state):
            parts.append(count_change(self._table, keys.summary_key(job.tenant_id, job.contact_id), moved))
        failed = self._try_transact(parts)
        if failed is not None:
            raise ContactGone if 0 in failed else JobChanged

    def _jobs_query(self, tenant_id: str, contact_id: str) -> QueryInputTypeDef:
        return {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.contact_partition(tenant_id, contact_id)},
                ":prefix": {"S": keys.JOBS.prefix},
            },
        }

    def all_of_contact(self, tenant_id: str, contact_id: str) -> list[Job]:
        request = self._jobs_query(tenant_id, contact_id)
        request["ConsistentRead"] = True
        return [model_from(Job, item) for item in self._query_all(request)]

    def of_contact(self, tenant_id: str, contact_id: str, after: str | None, limit: int) -> Page[Job]:
        request = self._jobs_query(tenant_id, contact_id)
        request["ScanIndexForward"] = False
        request["Limit"] = limit + 1
        if after is not None:
            request["ExclusiveStartKey"] = to_item(keys.JOBS.key(tenant_id, contact_id, after))
        items = [model_from(Job, item) for item in self._client.query(**request).get("Items", [])]
        return Page(items[:limit], after=items[limit - 1].id if len(items) > limit else None)


class DynamoFileEntries(DynamoTable):
    """A job's file entries, in a map on the job item: read with the job, deleted with it."""

    def admit(self, tenant_id: str, contact_id: str, job_id: str, file: JobFile) -> None:
        parts: list[TransactWriteItemTypeDef] = [
            contact_open(self._table, tenant_id, contact_id),
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item(keys.JOBS.key(tenant_id, contact_id, job_id)),
                    "UpdateExpression": "SET uploads.#upload = :file",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeNames": {"#upload": file.upload_id},
                    "ExpressionAttributeValues": {":file": _file_value(file)},
                }
            },
        ]
        if self._try_transact(parts) is not None:
            raise FileTargetGone

    def settle(self, tenant_id: str, contact_id: str, job_id: str, file: JobFile) -> bool:
        names = {"#upload": file.upload_id, "#status": "status"}
        if file.status is FileStatus.STORED:
            expression = "SET files.#name = :file REMOVE uploads.#upload"
            names["#name"] = file.name
        else:
            expression = "SET uploads.#upload = :file"
        return self._update_if(
            TableName=self._table,
            Key=to_item(keys.JOBS.key(tenant_id, contact_id, job_id)),
            UpdateExpression=expression,
            ConditionExpression="uploads.#upload.#status = :pending",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":file": _file_value(file),
                ":pending": {"S": FileStatus.PENDING.value},
            },
        )


def _moved(previous: JobState, state: JobState) -> dict[str, int]:
    """The summary's counters a state change moves (none if it changes nothing)."""
    if previous == state:
        return {}
    return {job_counter(previous): -1, job_counter(state): 1}


def _file_value(file: JobFile) -> AttributeValueTypeDef:
    return {"M": to_item(file.model_dump(mode="json"))}
