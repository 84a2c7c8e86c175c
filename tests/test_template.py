"""template.yaml is the single source of truth: it must transform, lint, and match the handlers."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from infra.template import TEMPLATE, api_modules, api_routes, handler_modules, load_template, resources
from pforte.storage import keys


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    template = copy.deepcopy(load_template())
    # `sam package` replaces local code paths with S3 locations before the transform runs.
    template["Globals"]["Function"]["CodeUri"] = "s3://artifacts/pforte.zip"
    translator = Translator(
        managed_policy_map={}, sam_parser=Parser(), boto_session=boto3.Session(region_name="eu-central-1")
    )
    output: dict[str, Any] = translator.translate(sam_template=template, parameter_values={})
    return output


def test_the_template_lints_clean() -> None:
    findings = lint(TEMPLATE.read_text(), config=ManualArgs(regions=["eu-central-1"]))
    # Errors and warnings fail; informational notes (I…) are advice, as on the command line.
    assert [str(finding) for finding in findings if finding.rule.id[0] in "EW"] == []


def test_the_sam_transform_yields_a_cognito_protected_rest_api(transformed: dict[str, Any]) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in transformed["Resources"].values():
        by_type.setdefault(resource["Type"], []).append(resource)
    assert len(by_type["AWS::Lambda::Function"]) == len(handler_modules())
    (api,) = by_type["AWS::ApiGateway::RestApi"]
    body = api["Properties"]["Body"]
    assert (
        body["securityDefinitions"]["StaffAuthorizer"]["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    )
    operations = {
        (method.upper(), path): operation
        for path, operations in body["paths"].items()
        for method, operation in operations.items()
        if method != "options"
    }
    routes = api_routes()
    assert len(operations) == len(routes)
    for route in routes:
        security = operations[(route.method, route.path)].get("security", [])
        granted = {name for entry in security for name in entry}
        assert granted & {"StaffAuthorizer", "CustomerAuthorizer"} == ({route.authorizer} - {None}), route
    assert any(not route.authorized for route in routes)  # the public ones
    responses = body["x-amazon-apigateway-gateway-responses"]
    for kind, code in (("UNAUTHORIZED", "unauthorized"), ("ACCESS_DENIED", "forbidden")):
        assert f'"code": "{code}"' in responses[kind]["responseTemplates"]["application/json"]


def test_every_template_route_is_served_and_every_handler_route_is_declared() -> None:
    declared: dict[str, set[tuple[str, str]]] = {}
    for route in api_routes():
        declared.setdefault(route.module, set()).add((route.method, route.path))
    for module_name in api_modules():
        app = importlib.import_module(module_name).app
        schema = app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
        served = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
        assert served == declared[module_name], module_name


def test_every_handler_in_the_template_exists() -> None:
    for name, handler in handler_modules().items():
        module = importlib.import_module(handler)
        attribute = resources("AWS::Serverless::Function")[name]["Handler"].rpartition(".")[2]
        assert callable(getattr(module, attribute)), name


def test_the_table_has_the_keys_the_code_writes() -> None:
    (table,) = resources("AWS::DynamoDB::Table").values()
    assert [k["AttributeName"] for k in table["KeySchema"]] == [keys.PK, keys.SK]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == keys.GSI1
    assert [k["AttributeName"] for k in index["KeySchema"]] == [keys.GSI1PK, keys.GSI1SK]
    assert table["TimeToLiveSpecification"] == {"AttributeName": keys.TTL, "Enabled": True}


def test_exports_expire_and_buckets_are_private_and_encrypted() -> None:
    buckets = resources("AWS::S3::Bucket")
    for props in buckets.values():
        assert all(props["PublicAccessBlockConfiguration"].values())
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    rules = buckets["ExportsBucket"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "ExpireExports", "Status": "Enabled", "ExpirationInDays": 7} in rules


def test_the_import_worker_knows_the_queues_last_delivery() -> None:
    from contacts.import_worker import MAX_RECEIVES

    queue = resources("AWS::SQS::Queue")["ImportsQueue"]
    assert int(queue["RedrivePolicy"]["maxReceiveCount"]) == MAX_RECEIVES
