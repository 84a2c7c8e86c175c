"""API Gateway (REST, proxy integration) events and Lambda contexts, built as AWS builds them.

The local gateway and the API tests both use these, so the handlers see one shape of event.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from infra.template import ApiRoute, binary_media_types

STAGE = "local"
ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-central-1:{ACCOUNT}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def lambda_context(function_name: str) -> LambdaContext:
    return LambdaContext(function_name=function_name, aws_request_id=str(uuid.uuid4()))


def _single(values: Mapping[str, Sequence[str]]) -> dict[str, str] | None:
    # API Gateway keeps the last value of a repeated header or parameter in the single-value map.
    return {name: items[-1] for name, items in values.items()} or None


def _multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def proxy_event(
    route: ApiRoute,
    *,
    path: str,
    path_parameters: Mapping[str, str] | None = None,
    query_string: str = "",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
    claims: Mapping[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The event API Gateway sends a Lambda proxy integration for one request."""
    multi_headers = _multi(headers)
    multi_query = _multi(parse_qsl(query_string, keep_blank_values=True))
    text_body: str | None = None
    is_base64 = False
    content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
    if body:
        binary = content_type.split(";")[0].strip().lower() in binary_media_types()
        try:
            text_body = None if binary else body.decode("utf-8")
        except UnicodeDecodeError:
            binary = True
        if binary:
            text_body, is_base64 = base64.b64encode(body).decode("ascii"), True
    request_id = str(uuid.uuid4())
    authorizer = {"claims": {name: _claim(value) for name, value in claims.items()}} if claims else None
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": route.method,
        "headers": _single(multi_headers),
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": _single(multi_query),
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "body": text_body,
        "isBase64Encoded": is_base64,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "authorizer": authorizer,
            "domainName": "localhost",
            "httpMethod": route.method,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": (_single(multi_headers) or {}).get("User-Agent"),
            },
            "path": f"/{STAGE}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "requestTimeEpoch": int(time.time() * 1000),
            "resourcePath": route.path,
            "stage": STAGE,
        },
    }


def _claim(value: Any) -> str:
    # A Cognito authorizer passes every claim on as a string; a list becomes "[a b]".
    if isinstance(value, list | tuple):
        return "[" + " ".join(str(item) for item in value) + "]"
    return str(value)
