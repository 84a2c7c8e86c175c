"""One OpenAPI document for every function, generated from the handlers' routes.

Each function's Powertools resolver describes its own routes; this merges them and puts the one
error shape (and its catalogue of codes) in place of Powertools' default validation error.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from infra.template import FUNCTIONS_DIR, api_modules, api_routes

TITLE = "Pforte API"
VERSION = "0.1.0"
DESCRIPTION = (
    "Manage the customer accounts of a customer portal. Staff routes take the Cognito ID token as "
    "`Authorization: Bearer <token>`; the tenant comes from the token. Errors always have the shape "
    '`{"error": {"code", "message", "details"?}}`; the codes are listed in `ErrorBody.code`.'
)
_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_STANDARD_ERRORS = {
    "401": "Missing or invalid token (`unauthorized`)",
    "403": "The caller's role may not do this (`forbidden`)",
    "422": "The request is not valid (`validation_error`); `details` names the fields",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _error_schemas() -> dict[str, Any]:
    from pforte.http.resolver import ErrorResponse

    schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {**definitions, "ErrorResponse": schema}


def build_openapi() -> dict[str, Any]:
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    from pforte.core.errors import STATUS_OF, ErrorCode
    from pforte.http.resolver import ERROR_CODES_EXTENSION, RESPONSE_HEADERS_EXTENSION

    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for module_name in sorted(api_modules()):
        app = importlib.import_module(module_name).app
        document = app.get_openapi_schema(title=TITLE, version=VERSION).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        for path, operations in document.get("paths", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(document.get("components", {}).get("schemas", {}))
    # Powertools' own validation-error shapes: ours (ErrorResponse) replaces them everywhere.
    for schema_name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(schema_name, None)
    schemas.update(_error_schemas())
    public = {(route.method.lower(), route.path) for route in api_routes() if not route.authorized}
    for_customers = {
        (route.method.lower(), route.path)
        for route in api_routes()
        if route.authorizer == "CustomerAuthorizer"
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, response in list(responses.items()):
                if status == "204":
                    response.pop("content", None)  # no body
                elif "ResponseValidationError" in json.dumps(response) or int(status) >= 400:
                    del responses[status]  # Powertools' own error shapes: ours replace them below
            headers = {
                name: {"description": description, "schema": {"type": "string"}}
                for name, description in operation.pop(RESPONSE_HEADERS_EXTENSION, {}).items()
            }
            for status, response in responses.items():
                if headers and status.startswith("2"):
                    response["headers"] = headers
            by_status: dict[str, list[str]] = {}
            for code in operation.pop(ERROR_CODES_EXTENSION, []):
                by_status.setdefault(str(STATUS_OF[ErrorCode(code)].value), []).append(f"`{code}`")
            for status, names in by_status.items():
                responses[status] = _error(", ".join(names))
            responses["500"] = _error("Something went wrong on our side (`internal_error`)")
            if "requestBody" in operation or method in {"post", "put", "patch"}:
                responses.setdefault(
                    "413", _error("The body is larger than API Gateway takes, 10 MB (`payload_too_large`)")
                )
            for status, description in _STANDARD_ERRORS.items():
                if status in responses:
                    responses[status]["description"] += f"; {description}"
                else:
                    responses[status] = _error(description)
            if (method, path) in for_customers:
                operation["security"] = [{"customerToken": []}]  # the customer pool's ID token
            if (method, path) in public:
                operation["security"] = []  # reached through links, without a staff token
                responses.pop("401", None)
                responses.pop("403", None)
            if "{" in path or path == "/tenant":
                responses["404"] = _error("No such resource in the caller's tenant (`not_found`)")
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "staffToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "customerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
        "security": [{"staffToken": []}],
    }


if __name__ == "__main__":
    json.dump(build_openapi(), sys.stdout, indent=2)
    sys.stdout.write("\n")
