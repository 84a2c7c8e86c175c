"""The local API Gateway: template.yaml's routes served over HTTP by the real handlers.

Each request becomes the proxy event API Gateway would send (claims from a verified token in
`requestContext.authorizer.claims`); the handler's answer becomes the HTTP response. Requests are
served concurrently; each function handles one request at a time, as one warm Lambda container.
"""

from __future__ import annotations

import base64
import importlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from infra.local.docs import ASSETS_PATH, asset_route, docs_route
from infra.local.events import lambda_context, proxy_event
from infra.local.identities import InvalidToken, TokenVerifier
from infra.openapi import build_openapi
from infra.template import ApiRoute, api_routes, load_template

# API Gateway refuses larger payloads before any function runs.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
LocalRoute = Callable[[Request], Response]


def _gateway_response(kind: str, status: int) -> Response:
    """A refusal of API Gateway itself, with the body template.yaml declares for it."""
    api = next(
        props
        for resource in load_template()["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Api"
        for props in [resource["Properties"]]
    )
    declared = api["GatewayResponses"][kind]
    response = Response(declared["ResponseTemplates"]["application/json"], status=status)
    response.headers["Content-Type"] = "application/json"
    for name, value in declared.get("ResponseParameters", {}).get("Headers", {}).items():
        response.headers[name] = _header_value(value)
    return response


def _header_value(value: Any) -> str:
    # Header values are quoted literals ("'*'"), possibly inside !Sub with the CORS parameter.
    text = value.get("Fn::Sub", "") if isinstance(value, dict) else str(value)
    text = text.replace("${CorsAllowOrigin}", "*")
    return text.strip("'")


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def local_error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


@dataclass
class Gateway:
    verifiers: dict[str, TokenVerifier]  # by the template's authorizer name
    local_routes: dict[tuple[str, str], LocalRoute] = field(default_factory=dict)
    routes: list[ApiRoute] = field(default_factory=api_routes)

    def __post_init__(self) -> None:
        rules = [Rule(route.werkzeug_rule, methods=[route.method], endpoint=route) for route in self.routes]
        rules += [Rule(path, methods=[method], endpoint=(method, path)) for method, path in self.local_routes]
        rules += [
            Rule("/openapi.json", methods=["GET"], endpoint="openapi"),
            Rule("/docs", methods=["GET"], endpoint="docs"),
            Rule(f"{ASSETS_PATH}/<version>/<name>", methods=["GET"], endpoint="docs_asset"),
        ]
        self._map = Map(rules, strict_slashes=False, merge_slashes=False)
        self._function_locks: dict[str, threading.Lock] = {
            route.function: threading.Lock() for route in self.routes
        }
        self._handlers: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {}
        self._openapi: dict[str, Any] | None = None

    def _handler(self, route: ApiRoute) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        if route.handler not in self._handlers:
            module_name, _, attribute = route.handler.rpartition(".")
            self._handlers[route.handler] = getattr(importlib.import_module(module_name), attribute)
        return self._handlers[route.handler]

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._preflight(request)
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, arguments = adapter.match()
        except NotFound:
            return _gateway_response("MISSING_AUTHENTICATION_TOKEN", 404)
        except HTTPException:
            # API Gateway answers an undeclared method like an undeclared path.
            return _gateway_response("MISSING_AUTHENTICATION_TOKEN", 404)
        if endpoint == "openapi":
            if self._openapi is None:
                self._openapi = build_openapi()
            return json_response(self._openapi)
        if endpoint == "docs":
            return docs_route(request)
        if endpoint == "docs_asset":
            found = asset_route(request, **arguments)
            return found if found is not None else _gateway_response("MISSING_AUTHENTICATION_TOKEN", 404)
        if isinstance(endpoint, tuple):
            return self.local_routes[endpoint](request)
        return self._invoke(endpoint, request, arguments)

    def _preflight(self, request: Request) -> Response:
        response = Response(status=204)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Authorization,Content-Type,Idempotency-Key"
        response.headers["Access-Control-Max-Age"] = "600"
        return response

    def _invoke(self, route: ApiRoute, request: Request, arguments: dict[str, str]) -> Response:
        body = request.get_data(cache=False)
        if len(body) > MAX_PAYLOAD_BYTES:
            return _gateway_response("REQUEST_TOO_LARGE", 413)
        claims = None
        if route.authorizer is not None:
            try:
                claims = self.verifiers[route.authorizer].verify(request.headers.get("Authorization"))
            except InvalidToken:
                return _gateway_response("UNAUTHORIZED", 401)
        event = proxy_event(
            route,
            path=request.path,
            path_parameters=arguments,
            query_string=request.query_string.decode("latin-1"),
            headers=list(request.headers.items()),
            body=body or None,
            claims=claims,
            source_ip=request.remote_addr or "127.0.0.1",
        )
        handler = self._handler(route)
        with self._function_locks[route.function]:
            result = handler(event, lambda_context(route.function))
        return _to_response(result)


def _to_response(result: dict[str, Any]) -> Response:
    raw = result.get("body") or ""
    payload = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    response = Response(payload, status=int(result.get("statusCode", 200)))
    response.headers.clear()
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        response.headers.remove(name)
        for value in values:
            response.headers.add(name, str(value))
    return response
