"""The quota condition, proven on DynamoDB's own evaluation of it (moto): whatever order
concurrent admissions reach the counter in (DynamoDB applies conditional writes on one item one at
a time), no order admits more jobs or more bytes than the limits, and none refuses a job that fits.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from infra.local.provision import provision
from pforte.contacts.service import Contact
from pforte.jobs.service import Job
from pforte.links.service import Admission, GenericLink
from pforte.links.store import DynamoAdmissions

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def table() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        found = provision()
        yield boto3.client("dynamodb", region_name="eu-central-1"), found.physical["Table"]


def _admission(link: GenericLink, day: date, size: int) -> Admission:
    contact = Contact(
        id="C", tenant_id=link.tenant_id, name="K", email="k@example.com", created_at=NOW, updated_at=NOW
    )
    job = Job(id="J", tenant_id=link.tenant_id, contact_id="C", title="T", created_at=NOW, updated_at=NOW)
    return Admission(link, day, size, contact, False, job, NOW)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=50),
    max_jobs=st.integers(min_value=1, max_value=10),
    max_bytes=st.integers(min_value=1, max_value=2000),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 12, 31)),
)
def test_no_order_of_admissions_passes_a_limit(
    table: tuple[Any, str], sizes: list[int], max_jobs: int, max_bytes: int, day: date
) -> None:
    client, name = table
    tenant = f"t{abs(hash((tuple(sizes), max_jobs, max_bytes, day))) % 10**12}"
    link = GenericLink(
        tenant_id=tenant,
        nonce="n",
        max_jobs_per_day=max_jobs,
        max_daily_bytes=max_bytes,
        created_at=NOW,
        updated_at=NOW,
    )
    counter = DynamoAdmissions(client, name)._count  # the one Update the admission transaction holds
    admitted: list[int] = []
    for size in sizes:  # one order of arrival; every order is one of the generated lists
        update = counter(_admission(link, day, size), day.isoformat())["Update"]
        try:
            client.update_item(**update)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            assert code == "ConditionalCheckFailedException"
            # Refused only if it did not fit.
            assert len(admitted) >= max_jobs or sum(admitted) + size > max_bytes
            continue
        admitted.append(size)
    assert len(admitted) <= max_jobs
    assert sum(admitted) <= max_bytes
    stored = client.get_item(
        TableName=name, Key={"PK": {"S": f"TENANT#{tenant}#GENERIC_USAGE"}, "SK": {"S": f"DAY#{day}"}}
    )
    item = stored.get("Item")
    assert (
        (int(item["jobs"]["N"]), int(item["bytes"]["N"])) == (len(admitted), sum(admitted))
        if item
        else not admitted
    )
