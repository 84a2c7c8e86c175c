"""template.yaml is the single source of truth: it must transform, lint, and match the handlers."""

from __future__ import annotations

import copy
import importlib
import json
import re
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from infra.build import decided, pin_runtime
from infra.template import TEMPLATE, api_modules, api_routes, handler_modules, load_template, resources
from pforte.storage import keys


def transform(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    template = copy.deepcopy(load_template())
    # `sam package` replaces local code paths with S3 locations before the transform runs.
    template["Globals"]["Function"]["CodeUri"] = "s3://artifacts/pforte.zip"
    translator = Translator(
        managed_policy_map={}, sam_parser=Parser(), boto_session=boto3.Session(region_name="eu-central-1")
    )
    output: dict[str, Any] = translator.translate(sam_template=template, parameter_values=parameters or {})
    return output


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return transform()


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
    from imports.worker import MAX_RECEIVES

    queue = resources("AWS::SQS::Queue")["ImportsQueue"]
    assert int(queue["RedrivePolicy"]["maxReceiveCount"]) == MAX_RECEIVES


# --- the runtime parameter and SnapStart ----------------------------------------------------------

RUNTIMES = ["python3.11", "python3.12", "python3.13"]
SNAPSTART_RUNTIMES = {"python3.12", "python3.13"}
# A client factory in pforte.aws.clients → the IAM service prefix of the actions it calls.
CLIENT_SERVICES = {
    "dynamodb": "dynamodb",
    "cognito": "cognito-idp",
    "sesv2": "ses",
    "s3": "s3",
    "sqs": "sqs",
    "secrets": "secretsmanager",
}


def rendered(runtime: str) -> dict[str, Any]:
    """The transformed template as CloudFormation deploys it with PythonRuntime=runtime."""
    output = transform({"PythonRuntime": runtime})
    conditions = decided(output.pop("Conditions"), runtime)
    assert set(conditions) == {"SnapStartRuntime"}
    output["Parameters"].pop("PythonRuntime")
    pinned: dict[str, Any] = pin_runtime(output, runtime, conditions, parameter=False)
    return pinned


def api_functions() -> set[str]:
    return {route.function for route in api_routes()}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_rendered_template_lints_clean_for_each_runtime(runtime: str) -> None:
    # cfn-lint does not resolve the runtime behind a parameter; the rendered template names it.
    findings = lint(json.dumps(rendered(runtime)), config=ManualArgs(regions=["eu-central-1"]))
    assert [str(finding) for finding in findings if finding.rule.id[0] in "EW"] == []


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_api_functions_start_from_a_snapshot_from_python_3_12_on(runtime: str) -> None:
    output = rendered(runtime)
    functions = {
        name: resource["Properties"]
        for name, resource in output["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert api_functions() < set(functions)
    for name, props in functions.items():
        assert props["Runtime"] == runtime
        snapstart = props.get("SnapStart")
        if name not in api_functions():
            assert snapstart is None, name
        elif runtime in SNAPSTART_RUNTIMES:
            assert snapstart == {"ApplyOn": "PublishedVersions"}, name
        else:
            assert snapstart == {"ApplyOn": "None"}, name


@pytest.mark.parametrize("runtime", ["python3.11", "python3.13"])
def test_the_api_invokes_the_published_alias(runtime: str) -> None:
    resources = rendered(runtime)["Resources"]
    (api,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    paths = api["Properties"]["Body"]["paths"]
    for route in api_routes():
        alias = f"{route.function}Aliaslive"
        assert resources[alias]["Type"] == "AWS::Lambda::Alias"
        version = resources[alias]["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        assert resources[version]["Type"] == "AWS::Lambda::Version"
        assert resources[version]["Properties"]["FunctionName"] == {"Ref": route.function}
        uri = paths[route.path][route.method.lower()]["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        assert f"/functions/${{{alias}}}/invocations" in uri, route
    permitted = {
        r["Properties"]["FunctionName"]["Ref"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["Principal"] == "apigateway.amazonaws.com"
    }
    assert permitted == {f"{name}Aliaslive" for name in api_functions()}


def test_a_changed_parameter_publishes_a_new_version() -> None:
    # SAM names a version after the function's properties with their parameter references
    # unresolved; the version's description carries every parameter the configuration reads.
    globals_refs = re.findall(r"'Ref': '(\w+)'", str(load_template()["Globals"]["Function"]))
    read = {name for name in globals_refs if name in load_template()["Parameters"]}
    assert {"PythonRuntime", "CorsAllowOrigin"} <= read
    functions = resources("AWS::Serverless::Function")
    for name in api_functions():
        described = functions[name]["VersionDescription"]["Fn::Sub"]
        assert {ref for ref in re.findall(r"\$\{(\w+)\}", described)} == read, name
    before, after = (
        transform(p)["Resources"] for p in ({}, {"CorsAllowOrigin": "https://admin.example.com"})
    )
    versions = {k for k, v in before.items() if v["Type"] == "AWS::Lambda::Version"}
    # SAM keeps the same version resources when only a parameter changes...
    assert versions == {k for k, v in after.items() if v["Type"] == "AWS::Lambda::Version"}
    # ...but CloudFormation resolves their description: it changes, and a version is replaced
    # (published again) when a property changes.
    for version in versions:
        assert "${CorsAllowOrigin}" in before[version]["Properties"]["Description"]["Fn::Sub"]


def test_the_snapshot_hook_makes_the_clients_each_api_function_may_call() -> None:
    from pforte.aws import snapstart

    assert set(snapstart.CLIENTS) == api_modules()
    functions = resources("AWS::Serverless::Function")
    for name, module_name in handler_modules().items():
        if module_name not in snapstart.CLIENTS:
            continue
        # Lambda runs only the hooks of modules the handler imports.
        assert importlib.import_module(module_name).snapstart is snapstart, module_name
        allowed = {
            action.split(":")[0]
            for policy in functions[name]["Policies"]
            for statement in policy["Statement"]
            for action in (
                statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            )
        }
        assert {CLIENT_SERVICES[client] for client in snapstart.CLIENTS[module_name]} == allowed, name


def test_the_customers_own_routes_take_customer_tokens_and_only_they() -> None:
    for route in api_routes():
        if route.path == "/me" or route.path.startswith("/me/"):
            assert route.authorizer == "CustomerAuthorizer", (route.method, route.path)
        elif route.authorizer == "CustomerAuthorizer":
            raise AssertionError(f"{route.method} {route.path} takes customer tokens outside /me")
