"""The mail worker: sends queued mail (bulk activation requests), each message once."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pforte import activation
from pforte.activation import QueuedActivation
from pforte.api import activation_repository, contact_repository, mailer, tenant_repository
from pforte.observability import MetricUnit, metrics, sqs_worker


def handle_record(record: SQSRecord) -> None:
    message = QueuedActivation.model_validate_json(record.body)
    sent = activation.send_queued_activation(
        contact_repository(), tenant_repository(), activation_repository(), mailer(), message
    )
    if sent:
        metrics.add_metric(name="ActivationRequested", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_worker(handle_record)
