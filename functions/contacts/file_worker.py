"""The job-file worker: S3 reports an arrived job file (through SQS), the worker checks its size
against the admission and its content against its kind, and records the outcome on the job.
New terms of use and the attachments of contacts' activities arrive in the same bucket and are
checked here too."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pforte.activities import service as activities
from pforte.activities.service import parse_attachment_key
from pforte.core.observability import MetricUnit, logger, metrics, sqs_worker
from pforte.jobs import files as jobfiles
from pforte.terms import service as terms
from pforte.terms.service import parse_terms_key
from pforte.wiring import activity_repository, file_entries, job_files, job_repository, terms_repository


def handle_record(record: SQSRecord) -> None:
    """One SQS message: an S3 notification with one or more created objects."""
    notification: dict[str, Any] = json.loads(record.body)
    if notification.get("Event") == "s3:TestEvent":
        return  # S3 checks the queue when the notification is configured
    for entry in notification.get("Records", []):
        found = entry["s3"]["object"]
        key = unquote_plus(found["key"])  # keys arrive URL-encoded
        version_id, etag = found.get("versionId"), found.get("eTag")
        if parse_terms_key(key):
            outcome = terms.receive_terms(terms_repository(), job_files(), key, version_id, etag)
            logger.info("Terms checked", extra={"key": key, "outcome": outcome})
            continue
        if parse_attachment_key(key):
            outcome = activities.receive_attachment(activity_repository(), job_files(), key, version_id, etag)
            logger.info("Attachment checked", extra={"key": key, "outcome": outcome})
            metrics.add_metric(name=f"Attachment{str(outcome).title()}", unit=MetricUnit.Count, value=1)
            continue
        arrival = jobfiles.receive_file(job_repository(), file_entries(), job_files(), key, version_id, etag)
        if arrival is None:
            logger.warning("Not a job file", extra={"key": key})
            continue
        logger.info(
            "Job file checked",
            extra={"tenant_id": arrival.tenant_id, "job_id": arrival.job_id, "outcome": arrival.outcome},
        )
        metrics.add_metric(name=f"JobFile{arrival.outcome.title()}", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_worker(handle_record)
