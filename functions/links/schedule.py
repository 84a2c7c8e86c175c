"""The links' scheduled functions (EventBridge Scheduler): expiring links and closing days.

Both are idempotent and safe to run late or twice; nothing depends on them running on time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte.core.clock import utcnow
from pforte.core.observability import MetricUnit, instrumented_worker, logger, metrics
from pforte.links import service as links
from pforte.wiring import link_repository, tenant_repository


@instrumented_worker
def expire_links(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    expired = links.expire_links(link_repository(), utcnow())
    logger.info("Links expired", extra={"expired": expired})
    metrics.add_metric(name="LinksExpired", unit=MetricUnit.Count, value=expired)
    return {"expired": expired}


@instrumented_worker
def reset_quotas(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    closed = links.close_days(link_repository(), tenant_repository(), utcnow())
    logger.info("Usage days closed", extra={"closed": closed})
    metrics.add_metric(name="UsageDaysClosed", unit=MetricUnit.Count, value=closed)
    return {"closed": closed}
