"""The exports worker: one queued export per message, streamed into S3."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pforte.core.observability import MetricUnit, logger, metrics, sqs_worker
from pforte.exports import archive
from pforte.exports import service as exports
from pforte.exports.service import ExportMessage
from pforte.wiring import export_work

# Imported at init, not on the first export: the ZIP writer is only needed here.
__all__ = ["archive", "lambda_handler"]

# The queue's maxReceiveCount in template.yaml: the last delivery fails the export for good.
MAX_RECEIVES = 3


def handle_record(record: SQSRecord) -> None:
    message = ExportMessage.model_validate_json(record.body)
    final_attempt = int(record.attributes.approximate_receive_count) >= MAX_RECEIVES
    export = exports.run_export(
        export_work(), message.tenant_id, message.export_id, final_attempt=final_attempt
    )
    if export is None:
        logger.info("Nothing to export", extra={"export_id": message.export_id})
        return
    logger.info(
        "Export finished",
        extra={"export_id": export.id, "tenant_id": export.tenant_id, "status": export.status.value},
    )
    metrics.add_metric(name=f"Export{export.status.value.title()}", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_worker(handle_record)
