"""What a route may read of the request beyond its validated parameters."""

from __future__ import annotations

import base64
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends, Request
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


def raw_body(request: Request) -> bytes:
    """The request body as sent (API Gateway base64-encodes the binary media types)."""
    event = request.resolved_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")


def source_address(request: Request) -> str:
    event = request.resolved_event
    if isinstance(event, APIGatewayProxyEvent):
        return event.request_context.identity.source_ip or "unknown"
    return "unknown"


def user_agent(request: Request) -> str | None:
    event = request.resolved_event
    if isinstance(event, APIGatewayProxyEvent):
        return event.request_context.identity.user_agent or event.headers.get("user-agent")
    return None


RawBody = Annotated[bytes, Depends(raw_body)]
SourceAddress = Annotated[str, Depends(source_address)]
UserAgent = Annotated[str | None, Depends(user_agent)]
