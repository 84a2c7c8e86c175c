"""The mail worker: sends queued mail (bulk activation requests), each message once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte import activation
from pforte.activation import QueuedActivation
from pforte.api import activation_repository, contact_repository, mailer, tenant_repository
from pforte.observability import MetricUnit, instrumented_worker, metrics

processor = BatchProcessor(event_type=EventType.SQS)


def handle_record(record: SQSRecord) -> None:
    message = QueuedActivation.model_validate_json(record.body)
    sent = activation.send_queued_activation(
        contact_repository(), tenant_repository(), activation_repository(), mailer(), message
    )
    if sent:
        metrics.add_metric(name="ActivationRequested", unit=MetricUnit.Count, value=1)


@instrumented_worker
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
    return dict(response)
