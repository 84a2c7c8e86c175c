"""The import worker: S3 reports an uploaded CSV (through SQS), the worker imports it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pforte.contacts import imports
from pforte.core.observability import MetricUnit, logger, metrics, sqs_worker
from pforte.wiring import (
    custom_field_repository,
    import_jobs,
    import_store,
    import_uploads,
    tenant_repository,
)

# The queue's maxReceiveCount in template.yaml: the last delivery fails the import for good.
MAX_RECEIVES = 3


def handle_record(record: SQSRecord) -> None:
    """One SQS message: an S3 notification with one or more created objects."""
    notification: dict[str, Any] = json.loads(record.body)
    if notification.get("Event") == "s3:TestEvent":
        return  # S3 checks the queue when the notification is configured
    for entry in notification.get("Records", []):
        key = unquote_plus(entry["s3"]["object"]["key"])  # keys arrive URL-encoded
        size = int(entry["s3"]["object"].get("size", 0))
        job = imports.run_uploaded_import(
            import_jobs(),
            import_store(),
            import_uploads(),
            tenant_repository(),
            custom_field_repository(),
            key,
            size,
            final_attempt=int(record.attributes.approximate_receive_count) >= MAX_RECEIVES,
        )
        if job is None:
            logger.info("Nothing to import", extra={"key": key})
            continue
        logger.info("Import done", extra={"import_id": job.id, "tenant_id": job.tenant_id})
        metrics.add_metric(name="ImportFinished", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_worker(handle_record)
