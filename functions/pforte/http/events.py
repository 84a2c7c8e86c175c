"""API Gateway events made safe before the resolver reads them."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

_KEPT_CONTENT_TYPES = ("application/json", "text/csv")
_NOT_JSON = "\u0000"  # json.loads fails on it with a JSONDecodeError, which becomes our 422


def prepare_event(event: dict[str, Any], raw_body_routes: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Make every JSON body reach validation as JSON, and every broken one fail as a clean 422.

    - A body sent as form data or text (`curl -d` sends form data) is read as the JSON it almost
      always is; every route that takes a body takes JSON (CSV uploads keep their type).
    - A body json.loads cannot take (not UTF-8, integers past Python's digit limit, nesting past
      the recursion limit) would escape Powertools as a 500: it is replaced by one that fails as
      invalid JSON.

    Routes in `raw_body_routes` (template paths, e.g. a CSV upload) read their body as it came.
    """
    if event.get("resource") in raw_body_routes:
        return event
    for headers in (event.get("headers") or {}, event.get("multiValueHeaders") or {}):
        for name in list(headers):
            if name.lower() != "content-type":
                continue
            value = headers[name]
            first = value[0] if isinstance(value, list) and value else value
            if isinstance(first, str) and not first.lower().startswith(_KEPT_CONTENT_TYPES):
                headers[name] = ["application/json"] if isinstance(value, list) else "application/json"
    body = event.get("body")
    if body:
        try:
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
            json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError, UnicodeError, binascii.Error):
            event["body"], event["isBase64Encoded"] = _NOT_JSON, False
    return event
