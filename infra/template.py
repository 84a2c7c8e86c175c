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

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
FUNCTIONS_DIR = ROOT / "functions"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that understands CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...)."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@cache
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
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
