"""The one mapping of errors to HTTP: Powertools' own ServiceErrors of statuses it has no code for."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.exceptions import ServiceError

from infra.local.events import lambda_context
from pforte.http.resolver import create_app


def _answer(status: int) -> dict[str, Any]:
    app = create_app()

    @app.get("/boom")
    def _boom() -> dict[str, str]:
        raise ServiceError(status, "the route says no")

    event = {
        "resource": "/boom",
        "path": "/boom",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"resourcePath": "/boom", "httpMethod": "GET", "requestId": "r", "stage": "test"},
        "body": None,
        "isBase64Encoded": False,
    }
    result: dict[str, Any] = app.resolve(event, lambda_context("test"))  # type: ignore[arg-type]
    return {"status": result["statusCode"], **json.loads(result["body"])["error"]}


@pytest.mark.parametrize(
    ("status", "answered", "code"),
    [
        (418, 400, "bad_request"),
        (400, 422, "validation_error"),  # as before: Powertools' 400s are bad input
        (409, 409, "conflict"),
        (429, 429, "rate_limited"),
        (503, 503, "internal_error"),
        (500, 500, "internal_error"),
        (404, 404, "not_found"),
    ],
)
def test_a_service_error_is_mapped_by_its_status(status: int, answered: int, code: str) -> None:
    answer = _answer(status)
    assert (answer["status"], answer["code"]) == (answered, code)
    assert answer["message"] == "the route says no"
