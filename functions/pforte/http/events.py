"""API Gateway events made safe before the resolver reads them."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

_KEPT_CONTENT_TYPES = ("application/json", "text/csv")
_NOT_JSON = "\u0000"  # json.loads fails on it with a JSONDecodeError, which becomes our 422
# Deeper JSON is no request of ours; nesting near the recursion limit would pass json.loads here
# and fail later, deeper in the stack (validation, error messages), as a 500.
MAX_JSON_DEPTH = 64


def _depth_exceeds(raw: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (the text is valid JSON)."""
    depth, in_string, escaped = 0, False, False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _last_query_values(event: dict[str, Any]) -> None:
    """A repeated query parameter counts with its last value, as API Gateway's
    queryStringParameters has it; every parameter of ours is a single value."""
    multi = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters")
    for name, values in multi.items():
        if isinstance(values, list) and len(values) > 1:
            multi[name] = [values[-1]]
            if isinstance(single, dict):
                single[name] = values[-1]


def _content_type(value: str) -> str:
    """The media type in lower case (types and parameter names are case-insensitive), the
    parameters as sent."""
    kind, _, parameters = value.partition(";")
    return kind.strip().lower() + (f";{parameters}" if parameters else "")


def prepare_event(event: dict[str, Any], raw_body_routes: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Make every JSON body reach validation as JSON, and every broken one fail as a clean 422.

    - A body sent as form data or text (`curl -d` sends form data) is read as the JSON it almost
      always is; every route that takes a body takes JSON (CSV uploads keep their type).
    - A body json.loads cannot take (not UTF-8, integers past Python's digit limit, nesting past
      the recursion limit) would escape Powertools as a 500: it is replaced by one that fails as
      invalid JSON.

    - Media types are case-insensitive: `Application/JSON; charset=UTF-8` is JSON.
    - A repeated query parameter counts with its last value.

    Routes in `raw_body_routes` (template paths, e.g. a CSV upload) read their body as it came.
    """
    _last_query_values(event)
    if event.get("resource") in raw_body_routes:
        return event
    for headers in (event.get("headers") or {}, event.get("multiValueHeaders") or {}):
        for name in list(headers):
            if name.lower() != "content-type":
                continue
            value = headers[name]
            first = value[0] if isinstance(value, list) and value else value
            if not isinstance(first, str):
                continue
            kept = _content_type(first)
            if not kept.startswith(_KEPT_CONTENT_TYPES):
                kept = "application/json"
            headers[name] = [kept] if isinstance(value, list) else kept
    body = event.get("body")
    if body:
        try:
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
            text = raw.decode("utf-8")
            json.loads(text)
            if _depth_exceeds(text, MAX_JSON_DEPTH):
                raise ValueError("nested too deeply")
        except (ValueError, RecursionError, UnicodeError, binascii.Error):
            event["body"], event["isBase64Encoded"] = _NOT_JSON, False
    return event
