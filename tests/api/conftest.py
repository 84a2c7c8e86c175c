"""API tests: API Gateway events through the real handlers, on moto, with template.yaml's resources."""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
import requests
from moto import mock_aws
from werkzeug.routing import Map, Rule

from infra.local.events import lambda_context, proxy_event
from infra.local.provision import LocalResources, provision
from infra.local.queues import QueueRunner
from infra.local.seed import ensure_tenant
from infra.local.server import configure_functions
from infra.template import ApiRoute, api_routes


def _id_token_claims(tenant_id: str, email: str, claims: Mapping[str, Any]) -> dict[str, Any]:
    """What an ID token of either pool carries, and then `claims` (which may override it)."""
    return {
        "sub": str(uuid.uuid4()),
        "custom:tenant_id": tenant_id,
        "token_use": "id",
        "email": email,
        **claims,
    }


def staff_claims(tenant_id: str = "acme", role: str = "admin", **extra: Any) -> dict[str, Any]:
    """The claims a Cognito authorizer passes on for a staff ID token."""
    return _id_token_claims(tenant_id, f"{role}@{tenant_id}.example.com", {"cognito:groups": role, **extra})


def customer_claims(contact_id: str, tenant_id: str = "acme") -> dict[str, Any]:
    """The claims the customer pool's authorizer passes on for a customer's ID token."""
    return _id_token_claims(tenant_id, f"customer@{tenant_id}.example.com", {"custom:contact_id": contact_id})


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def error_code(self) -> str:
        return str(self.body["error"]["code"])


@dataclass
class Api:
    """Sends requests as API Gateway would: route from template.yaml, proxy event, real handler."""

    claims: dict[str, Any] | None = field(default_factory=staff_claims)
    source_ip: str = "203.0.113.10"
    _map: Map = field(init=False)

    def __post_init__(self) -> None:
        self._map = Map([Rule(r.werkzeug_rule, methods=[r.method], endpoint=r) for r in api_routes()])

    def as_(self, tenant_id: str = "acme", role: str = "admin") -> Api:
        return Api(claims=staff_claims(tenant_id, role))

    def as_customer(self, contact_id: str, tenant_id: str = "acme") -> Api:
        return Api(claims=customer_claims(contact_id, tenant_id))

    def anonymous(self, source_ip: str = "203.0.113.10") -> Api:
        return Api(claims=None, source_ip=source_ip)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw_body: str | bytes | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        route, arguments = self._map.bind("localhost").match(path, method=method)
        assert isinstance(route, ApiRoute)
        body = (
            raw_body if raw_body is not None else (json.dumps(json_body) if json_body is not None else None)
        )
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        event = proxy_event(
            route,
            path=path,
            path_parameters=arguments,
            query_string=urlencode(query or {}),
            headers=list(all_headers.items()),
            body=body.encode() if isinstance(body, str) else body,
            claims=self.claims,
            source_ip=self.source_ip,
        )
        handler = importlib.import_module(route.module).lambda_handler
        result = handler(event, lambda_context(route.function))
        headers = dict(result.get("headers") or {})
        headers |= {name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
        return ApiResponse(result["statusCode"], headers, result.get("body") or "")

    def get(self, path: str, **query: Any) -> ApiResponse:
        return self.request("GET", path, query=query)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, json_body=body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PATCH", path, json_body=body, **kwargs)

    def delete(self, path: str) -> ApiResponse:
        return self.request("DELETE", path)


MISSING = "01J00000000000000000000000"  # well formed, and nobody's


def assert_another_tenant_finds_nothing(
    api: Api, collection: str, item_id: str, new: Any, change: Any
) -> None:
    """Globex's staff get a 404 for acme's `collection` and its item, whichever route they take."""
    globex = api.as_("globex")
    assert globex.get(collection).error_code == "not_found"
    assert globex.post(collection, new).error_code == "not_found"
    assert globex.get(f"{collection}/{item_id}").error_code == "not_found"
    assert globex.patch(f"{collection}/{item_id}", change).error_code == "not_found"
    assert globex.delete(f"{collection}/{item_id}").error_code == "not_found"


def assert_unknown_ids_are_404(api: Api, contact_id: str, kind: str, new: Any, change: Any) -> None:
    """An unknown contact's `kind` (as in /contacts/{id}/{kind}), and an unknown or malformed item
    id of a known contact, answer 404 on every route."""
    assert api.get(f"/contacts/{MISSING}/{kind}").status == 404
    assert api.post(f"/contacts/{MISSING}/{kind}", new).status == 404
    for item_id in (MISSING, "not-an-id"):
        assert api.get(f"/contacts/{contact_id}/{kind}/{item_id}").status == 404
        assert api.patch(f"/contacts/{contact_id}/{kind}/{item_id}", change).status == 404
        assert api.delete(f"/contacts/{contact_id}/{kind}/{item_id}").status == 404


def per_id(response: ApiResponse) -> dict[str, tuple[str, str | None]]:
    """A bulk request's answer for each id: its status, and its error code if it failed."""
    return {r["id"]: (r["status"], (r.get("error") or {}).get("code")) for r in response.body["results"]}


def s3() -> Any:
    return boto3.client("s3", region_name="eu-central-1")


def post_form(created: dict[str, Any], data: bytes, filename: str = "upload.bin") -> None:
    """What a browser does with the form: a multipart/form-data POST straight to S3."""
    form = created["upload"]
    response = requests.post(form["url"], data=form["fields"], files={"file": (filename, data)}, timeout=10)
    assert response.status_code in (200, 204), response.text


def fail_once(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> dict[str, int]:
    """`owner.name` fails on its first call and works after, as AWS does when it has a bad moment;
    the calls are counted in the answer's "n"."""
    calls = {"n": 0}
    original = getattr(owner, name)

    def flaky(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError(f"injected failure in {owner.__name__}.{name}")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, flaky)
    return calls


@pytest.fixture
def aws() -> Iterator[LocalResources]:
    from infra.local import moto_fixes

    moto_fixes.install()  # moto made fast and bounded for transactions (infra/local/moto_fixes.py)
    with mock_aws():
        resources = provision()
        configure_functions(resources, "https://portal.example.com")
        for tenant in ("acme", "globex"):
            ensure_tenant(tenant)
        yield resources


@pytest.fixture
def api(aws: LocalResources) -> Api:
    return Api()


@pytest.fixture
def queues(aws: LocalResources) -> QueueRunner:
    """What Lambda's SQS event sources do on AWS: `queues.drain()` runs the workers."""
    runner = QueueRunner(aws)
    runner.drain()  # S3's test event, sent when the bucket's notifications were set up
    return runner


@pytest.fixture
def dynamodb_calls(aws: LocalResources) -> Iterator[list[str]]:
    """The names of the DynamoDB operations the handlers make, in order."""
    from pforte.aws import clients

    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client = clients.dynamodb()
    client.meta.events.register("before-call.dynamodb", record)
    yield calls
    client.meta.events.unregister("before-call.dynamodb", record)
