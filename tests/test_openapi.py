"""The OpenAPI document: valid, complete, one error shape."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate

from infra.openapi import build_openapi
from infra.template import api_routes


def test_the_document_is_valid_openapi_with_no_dangling_references() -> None:
    document = build_openapi()
    validate(document)
    text = json.dumps(document)
    assert set(re.findall(r"#/components/schemas/(\w+)", text)) <= set(document["components"]["schemas"])


def test_every_route_documents_its_success_and_errors_in_our_shape() -> None:
    document = build_openapi()
    for route in api_routes():
        operation = document["paths"][route.path][route.method.lower()]
        statuses = set(operation["responses"])
        assert any(status.startswith("2") for status in statuses), route
        assert "422" in statuses
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorResponse", (route, status)
        assert ("401" in statuses) is route.authorized


def test_route_specific_codes_are_documented() -> None:
    paths = build_openapi()["paths"]
    assert "`email_taken`" in paths["/contacts"]["post"]["responses"]["409"]["description"]
    assert (
        "`jobs_in_progress`" in paths["/contacts/{contact_id}"]["delete"]["responses"]["409"]["description"]
    )
    assert set(paths["/public/activations"]["post"]["responses"]) >= {"200", "410", "422", "429"}


def test_the_contacts_version_header_is_documented_on_its_reads_and_changes() -> None:
    paths = build_openapi()["paths"]
    for method, path, status in (
        ("post", "/contacts", "201"),
        ("get", "/contacts/{contact_id}", "200"),
        ("patch", "/contacts/{contact_id}", "200"),
    ):
        assert "ETag" in paths[path][method]["responses"][status]["headers"], (method, path)
    assert "headers" not in paths["/contacts"]["get"]["responses"]["200"]
