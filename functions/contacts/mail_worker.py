"""The mail worker: sends queued mail (bulk activation requests, consent confirmations), each
message once."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pforte.activation import service as activation
from pforte.activation.service import QueuedActivation
from pforte.consents import service as consents
from pforte.consents.service import ConfirmationMailRequest
from pforte.core.observability import MetricUnit, metrics, sqs_worker
from pforte.wiring import (
    activation_repository,
    consent_repository,
    contact_repository,
    mailer,
    tenant_repository,
)


def handle_record(record: SQSRecord) -> None:
    kind = json.loads(record.body).get("kind")
    if kind == "consent_confirmation":
        request = ConfirmationMailRequest.model_validate_json(record.body)
        if consents.send_confirmation(
            contact_repository(), tenant_repository(), consent_repository(), mailer(), request
        ):
            metrics.add_metric(name="ConsentConfirmationMailed", unit=MetricUnit.Count, value=1)
        return
    message = QueuedActivation.model_validate_json(record.body)
    sent = activation.send_queued_activation(
        contact_repository(), tenant_repository(), activation_repository(), mailer(), message
    )
    if sent:
        metrics.add_metric(name="ActivationRequested", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_worker(handle_record)
