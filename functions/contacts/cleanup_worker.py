"""The clean-up worker: removes what a deleted contact left outside DynamoDB (login identity, job
files, backups) when the delete could not; idempotent, so a repeated message changes nothing."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pforte.contacts import deletion
from pforte.contacts.deletion import ContactCleanup
from pforte.core.observability import MetricUnit, metrics, sqs_worker
from pforte.wiring import cleanup


def handle_record(record: SQSRecord) -> None:
    deletion.clean_up(cleanup(), ContactCleanup.model_validate_json(record.body))
    metrics.add_metric(name="ContactCleanedUp", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_worker(handle_record)
