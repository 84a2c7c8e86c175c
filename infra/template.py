"""Reading template.yaml: the functions, their API routes and their environment.

The local gateway, the moto provisioning and the tests all read the template through this module,
so that what runs locally cannot drift from what is deployed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
FUNCTIONS_DIR = ROOT / "functions"


def _plain(value: Any) -> Any:
    """cfn-lint's node types (dict_node, str_node, ...) as the plain values they stand for."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


@cache
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data, CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...) read by
    cfn-lint as their long forms ({"Ref": ...}, {"Fn::GetAtt": [...]}, ...)."""
    from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

    data: dict[str, Any] = _plain(cfn_yaml.load(str(path)))
    return data


def resources(kind: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Logical id → properties of every resource of one type."""
    data = template or load_template()
    return {
        name: resource.get("Properties", {})
        for name, resource in data["Resources"].items()
        if resource["Type"] == kind
    }


@dataclass(frozen=True)
class ApiRoute:
    function: str
    handler: str
    method: str
    path: str
    authorizer: str | None  # the template's authorizer name, None for a public route

    @property
    def authorized(self) -> bool:
        return self.authorizer is not None

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def werkzeug_rule(self) -> str:
        # /contacts/{contact_id} → /contacts/<contact_id>; {proxy+} → <path:proxy>
        rule = re.sub(r"\{(\w+)\+\}", r"<path:\1>", self.path)
        return re.sub(r"\{(\w+)\}", r"<\1>", rule)


def _default_authorizer(template: dict[str, Any], api: str) -> str | None:
    props = template["Resources"].get(api, {}).get("Properties", {})
    authorizer: str | None = props.get("Auth", {}).get("DefaultAuthorizer")
    return authorizer


def api_routes(template: dict[str, Any] | None = None) -> list[ApiRoute]:
    """Every API event of every function in the template."""
    data = template or load_template()
    routes = []
    for name, props in resources("AWS::Serverless::Function", data).items():
        for event in props.get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            event_props = event["Properties"]
            api = event_props.get("RestApiId", {}).get("Ref", "ServerlessRestApi")
            authorizer = event_props.get("Auth", {}).get("Authorizer", _default_authorizer(data, api))
            routes.append(
                ApiRoute(
                    function=name,
                    handler=props["Handler"],
                    method=event_props["Method"].upper(),
                    path=event_props["Path"],
                    authorizer=None if authorizer in (None, "NONE") else str(authorizer),
                )
            )
    return routes


def api_modules(template: dict[str, Any] | None = None) -> set[str]:
    """The handler modules that serve API routes (the others consume queues or schedules)."""
    return {route.module for route in api_routes(template)}


def handler_modules(template: dict[str, Any] | None = None) -> dict[str, str]:
    """Function logical id → the module of its handler."""
    return {
        name: props["Handler"].rsplit(".", 1)[0]
        for name, props in resources("AWS::Serverless::Function", template).items()
    }


def function_environment(physical: dict[str, str], template: dict[str, Any] | None = None) -> dict[str, str]:
    """The Globals environment with every !Ref resolved to a local physical name or parameter default."""
    data = template or load_template()
    defaults = {name: str(p.get("Default", "")) for name, p in data.get("Parameters", {}).items()}
    variables = data.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    resolved = {}
    for name, value in variables.items():
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            resolved[name] = physical.get(ref, defaults.get(ref, ""))
        else:
            resolved[name] = str(value)
    return resolved


def binary_media_types(template: dict[str, Any] | None = None) -> frozenset[str]:
    """Content types API Gateway base64-encodes into the event (`~1` is SAM's escaped `/`)."""
    found: set[str] = set()
    for props in resources("AWS::Serverless::Api", template).values():
        found |= {kind.replace("~1", "/") for kind in props.get("BinaryMediaTypes", [])}
    return frozenset(found)


def authorizer_pools(template: dict[str, Any] | None = None) -> dict[str, str]:
    """Authorizer name → the logical id of the Cognito user pool whose tokens it accepts."""
    found: dict[str, str] = {}
    for props in resources("AWS::Serverless::Api", template).values():
        for name, authorizer in props.get("Auth", {}).get("Authorizers", {}).items():
            found[name] = authorizer["UserPoolArn"]["Fn::GetAtt"][0]
    return found
