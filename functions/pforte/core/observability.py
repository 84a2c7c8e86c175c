"""Logger, metrics and tracing for every function, made once per container.

The Tracer is built only when tracing is on: constructing it imports the X-Ray SDK (~200 ms of cold
start) even when it is disabled.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from pforte.core.settings import get_settings
from pforte.core.startup import resume_collection

# Most requests record no metric of their own; Powertools would warn about that on every one.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics(namespace="Pforte")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

__all__ = ["MetricUnit", "instrumented", "instrumented_worker", "logger", "metrics"]


def instrumented(handler: Handler) -> Handler:
    """Wrap an API entry point: the request id in every log line, metrics flushed, X-Ray if on."""
    return _instrument(handler, correlation_paths.API_GATEWAY_REST)


def instrumented_worker(handler: Handler) -> Handler:
    """Wrap a queue worker's entry point: as `instrumented`, each record logs its own ids."""
    return _instrument(handler, None)


def _instrument(handler: Handler, correlation_id_path: str | None) -> Handler:
    wrapped: Handler = logger.inject_lambda_context(
        correlation_id_path=correlation_id_path, clear_state=True
    )(handler)
    wrapped = metrics.log_metrics(wrapped)
    if get_settings().tracing_enabled:
        from aws_lambda_powertools import Tracer

        # Only boto3's calls are traced: patching every library X-Ray knows imports each of them.
        wrapped = Tracer(patch_modules=("botocore",)).capture_lambda_handler(wrapped)
    # A handler module wraps its entry point last: the function has loaded.
    resume_collection()
    return wrapped


def sqs_worker(handle_record: Callable[[Any], None]) -> Handler:
    """The Lambda entry point of a queue worker: each record handled on its own, the failed ones
    reported back (ReportBatchItemFailures) so that only they are delivered again."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS)

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
        return dict(response)

    return instrumented_worker(lambda_handler)
