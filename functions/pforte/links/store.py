"""The generic link and its daily counters in DynamoDB, and the admission transaction.

The link item sits in the tenant's profile partition; while it has an expiry to reach, it is in
the platform's expiry index (GSI1), which the expire-links schedule queries. Each local day has a
counter item, in the open-days index until the reset-quotas schedule closes it; counters expire
by TTL a week after their day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from pforte.contacts.store import DynamoContactRepository
from pforte.jobs.store import DynamoJobRepository
from pforte.links.service import Admission, ContactChanged, GenericLink, LinkClosed, QuotaReached, Usage
from pforte.storage import keys
from pforte.storage.dynamo import (
    DynamoTable,
    failed_parts,
    from_item,
    model_from,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef, TransactWriteItemTypeDef

# A closed day stays readable for a week (usage history), then TTL removes it.
USAGE_KEPT_DAYS = 8


@cache  # built on first use, not at import (cold start)
def _moment() -> TypeAdapter[datetime]:
    return TypeAdapter(datetime)


def stored_time(moment: datetime) -> str:
    """Times as the link item stores them (UTC, one format), so that they compare as text."""
    return str(_moment().dump_python(moment, mode="json"))


def _link_item(link: GenericLink) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.generic_link_key(link.tenant_id),
        "entity": "generic_link",
        **link.model_dump(mode="json"),
    }
    if link.expires_at is not None and not link.expired:
        item |= {
            keys.GSI1PK: keys.LINKS_BY_EXPIRY,
            keys.GSI1SK: f"{stored_time(link.expires_at)}#{link.tenant_id}",
        }
    return item


def _day_end_epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + USAGE_KEPT_DAYS * 86400


class DynamoLinkRepository(DynamoTable):
    def get(self, tenant_id: str) -> GenericLink | None:
        item = self._get(keys.generic_link_key(tenant_id))
        return model_from(GenericLink, item) if item else None

    def add(self, link: GenericLink) -> bool:
        return self._put_new(_link_item(link))

    def save(self, link: GenericLink, previous: GenericLink) -> bool:
        return self._put_if(
            TableName=self._table,
            Item=to_item(_link_item(link)),
            ConditionExpression="nonce = :nonce AND updated_at = :updated",
            ExpressionAttributeValues={
                ":nonce": {"S": previous.nonce},
                ":updated": {"S": stored_time(previous.updated_at)},
            },
        )

    def usage(self, tenant_id: str, day: date) -> Usage:
        item = self._get(keys.usage_key(tenant_id, day.isoformat()))
        return model_from(Usage, item) if item else Usage(tenant_id=tenant_id, day=day)

    def usage_since(self, tenant_id: str, first_day: date) -> list[Usage]:
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND SK >= :first",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.usage_pk(tenant_id)},
                ":first": {"S": keys.usage_key(tenant_id, first_day.isoformat())[keys.SK]},
            },
            "ScanIndexForward": False,
        }
        return [model_from(Usage, item) for item in self._query_all(request)]

    # --- what the schedules use -----------------------------------------------------------------

    def expiring(self, now: datetime) -> list[GenericLink]:
        """Links whose expiry has passed and that are not marked expired yet."""
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "IndexName": keys.GSI1,
            "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK <= :now",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.LINKS_BY_EXPIRY},
                ":now": {"S": stored_time(now) + "#~"},
            },
        }
        return [model_from(GenericLink, item) for item in self._query_all(request)]

    def mark_expired(self, link: GenericLink) -> bool:
        """Expired, out of the index; only if the link still has the expiry that passed."""
        return self._update_if(
            TableName=self._table,
            Key=to_item(keys.generic_link_key(link.tenant_id)),
            UpdateExpression="SET expired = :true REMOVE GSI1PK, GSI1SK",
            ConditionExpression="expires_at = :expires AND nonce = :nonce",
            ExpressionAttributeValues={
                ":true": {"BOOL": True},
                ":expires": {"S": stored_time(link.expires_at or datetime.min)},
                ":nonce": {"S": link.nonce},
            },
        )

    def open_days(self) -> list[Usage]:
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "IndexName": keys.GSI1,
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.OPEN_USAGE_DAYS}},
        }
        return [model_from(Usage, item) for item in self._query_all(request)]

    def close_day(self, usage: Usage) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=to_item(keys.usage_key(usage.tenant_id, usage.day.isoformat())),
            UpdateExpression="SET closed = :true REMOVE GSI1PK, GSI1SK",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":true": {"BOOL": True}},
        )


class DynamoAdmissions(DynamoTable):
    def admit(self, admission: Admission) -> None:
        link, day = admission.link, admission.day.isoformat()
        condition = "nonce = :nonce AND expired = :false"
        values: dict[str, Any] = {":nonce": {"S": link.nonce}, ":false": {"BOOL": False}}
        if link.expires_at is not None:
            condition += " AND expires_at > :now"
            values[":now"] = {"S": stored_time(admission.now)}
        parts: list[TransactWriteItemTypeDef] = [
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": to_item(keys.generic_link_key(link.tenant_id)),
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": values,
                }
            },
            self._count(admission, day),
        ]
        contacts = DynamoContactRepository(self._client, self._table)
        if admission.new_contact:
            parts += contacts.creation_parts(admission.contact)
        parts += DynamoJobRepository(self._client, self._table).creation_parts(
            admission.job, new_contact=admission.new_contact
        )
        reasons = self._try_transact_reasons(parts)
        if reasons is None:
            return
        failed = failed_parts(reasons)
        if 0 in failed:
            raise LinkClosed
        if 1 in failed:
            # The counter's Update returns the day as it was (ALL_OLD): which limit failed needs
            # no second read.
            day_then = from_item(reasons[1].get("Item", {}))
            raise QuotaReached(int(day_then.get("jobs", 0)), int(day_then.get("bytes", 0)))
        raise ContactChanged  # the contact (or its address claim) is not as read: read it again

    def _count(self, admission: Admission, day: str) -> TransactWriteItemTypeDef:
        """One more job and its bytes on the day, if the day stays within both limits: the one
        condition that makes concurrent admissions unable to pass a quota."""
        link = admission.link
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item(keys.usage_key(link.tenant_id, day)),
                "UpdateExpression": (
                    "ADD jobs :one, #bytes :size "
                    "SET tenant_id = :tenant, #day = :day, closed = if_not_exists(closed, :false), "
                    "GSI1PK = :open, GSI1SK = :open_sk, expires_at_epoch = :ttl"
                ),
                # room = max_daily_bytes - this job's bytes: what the day may hold before it.
                "ConditionExpression": (
                    "(attribute_not_exists(jobs) OR jobs < :max_jobs) "
                    "AND (attribute_not_exists(#bytes) OR #bytes <= :room) AND :room >= :zero"
                ),
                "ExpressionAttributeNames": {"#bytes": "bytes", "#day": "day"},
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":size": {"N": str(admission.job_bytes)},
                    ":tenant": {"S": link.tenant_id},
                    ":day": {"S": day},
                    ":false": {"BOOL": False},
                    ":open": {"S": keys.OPEN_USAGE_DAYS},
                    ":open_sk": {"S": f"{day}#{link.tenant_id}"},
                    ":ttl": {"N": str(_day_end_epoch(admission.day))},
                    ":max_jobs": {"N": str(link.max_jobs_per_day)},
                    ":room": {"N": str(link.max_daily_bytes - admission.job_bytes)},
                    ":zero": {"N": "0"},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
