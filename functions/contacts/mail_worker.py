"""The mail worker: sends queued mail (bulk activation requests, consent confirmations, job
mails), each message once."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import Field, TypeAdapter

from pforte.activation import service as activation
from pforte.activation.service import QueuedActivation
from pforte.consents import service as consents
from pforte.consents.service import ConfirmationMailRequest
from pforte.core.observability import MetricUnit, metrics, sqs_worker
from pforte.rights import notifications
from pforte.rights.notifications import QueuedJobMail
from pforte.wiring import (
    activation_repository,
    consent_repository,
    contact_repository,
    job_repository,
    mailer,
    permission_groups,
    tenant_repository,
)

Message = QueuedActivation | ConfirmationMailRequest | QueuedJobMail
Queued = Annotated[Message, Field(discriminator="kind")]


@cache
def _messages() -> TypeAdapter[Message]:
    return TypeAdapter(Queued)


def handle_record(record: SQSRecord) -> None:
    message = _messages().validate_json(record.body)
    if isinstance(message, ConfirmationMailRequest):
        if consents.send_confirmation(
            contact_repository(), tenant_repository(), consent_repository(), mailer(), message
        ):
            metrics.add_metric(name="ConsentConfirmationMailed", unit=MetricUnit.Count, value=1)
        return
    if isinstance(message, QueuedJobMail):
        if notifications.send_job_mail(
            contact_repository(),
            tenant_repository(),
            job_repository(),
            permission_groups(),
            activation_repository(),
            permission_groups(),
            mailer(),
            message,
        ):
            metrics.add_metric(name="JobMailSent", unit=MetricUnit.Count, value=1)
        return
    sent = activation.send_queued_activation(
        contact_repository(), tenant_repository(), activation_repository(), mailer(), message
    )
    if sent:
        metrics.add_metric(name="ActivationRequested", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_worker(handle_record)
