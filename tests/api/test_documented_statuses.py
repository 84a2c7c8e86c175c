"""Every answer a route gives is in its OpenAPI document: each route is called with what cheaply
provokes its answers (no data yet, an empty body, a well-formed body naming nothing that exists)
and every status answered, with its content type, must be documented for that route."""

from __future__ import annotations

import re
from typing import Any

from infra.openapi import build_openapi
from infra.template import ApiRoute, api_routes
from tests.api.conftest import Api

UNKNOWN_ID = "01JAAAAAAAAAAAAAAAAAAAAAAA"
# Well-formed bodies naming nothing that exists: what a route answers then (often a 404).
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/links/generic/send"): {"contact_id": UNKNOWN_ID},
}


def _path(route: ApiRoute) -> str:
    return re.sub(r"\{[^}]+\}", UNKNOWN_ID, route.path)


def _caller(api: Api, route: ApiRoute) -> Api:
    if route.authorizer == "CustomerAuthorizer":
        return api.as_customer(UNKNOWN_ID)
    return api if route.authorized else api.anonymous()


def _documented(document: dict[str, Any], route: ApiRoute) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][route.path][route.method.lower()]["responses"]
    return responses


def test_every_status_a_route_answers_is_documented(api: Api) -> None:
    document = build_openapi()
    undocumented = []
    for route in api_routes():
        caller, path = _caller(api, route), _path(route)
        bodies: list[Any] = [None]
        if route.method in {"POST", "PUT", "PATCH"}:
            bodies += [{}, BODIES.get((route.method, route.path), {"unknown": 1})]
        for body in bodies:
            answer = caller.request(route.method, path, json_body=body)
            responses = _documented(document, route)
            if str(answer.status) not in responses:
                undocumented.append((route.method, route.path, body, answer.status, answer.text[:120]))
                continue
            content = responses[str(answer.status)].get("content", {})
            kind = answer.headers.get("Content-Type", "").split(";")[0].strip()
            if answer.status != 204 and answer.text and kind not in content:
                undocumented.append((route.method, route.path, body, answer.status, kind))
    assert undocumented == [], "\n".join(map(str, undocumented))


def test_the_known_gaps_are_documented() -> None:
    paths = build_openapi()["paths"]
    assert "404" in paths["/terms"]["get"]["responses"]
    assert "404" in paths["/links/generic/send"]["post"]["responses"]
    assert "text/csv" in paths["/contacts/import-template"]["get"]["responses"]["200"]["content"]
