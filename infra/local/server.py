"""The whole local stack in one process: moto server, resources from template.yaml, the gateway."""

from __future__ import annotations

import importlib
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.request import urlopen

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from infra.local import moto_fixes
from infra.local.events import lambda_context
from infra.local.gateway import Gateway, json_response, local_error
from infra.local.identities import CustomerTokens, NoLogin, StaffTokens, TokenVerifier
from infra.local.mailbox import bound_mailbox, sent_mail
from infra.local.provision import REGION, LocalResources, provision
from infra.local.queues import QueueRunner
from infra.local.seed import ensure_tenant, seed_demo
from infra.template import FUNCTIONS_DIR, authorizer_pools, resources

ROLES = ("admin", "operator")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serialized(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """Serve one AWS call at a time: moto's DynamoDB is not atomic under concurrent requests, and
    conditional writes must behave as they do on DynamoDB."""
    lock = threading.Lock()

    def wrapper(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()

    return wrapper


def start_moto(port: int) -> BaseWSGIServer:
    moto_fixes.install()  # before moto makes anything: see infra/local/moto_fixes.py
    bound_mailbox()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            """The gateway logs the requests people make; moto's own calls would drown them."""

    server = make_server(
        "127.0.0.1",
        port,
        serialized(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True, name="moto").start()
    return server


def configure_aws(moto_url: str) -> None:
    """Point every boto3 client of this process (the handlers' too) at moto."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )


def configure_functions(resources: LocalResources, portal_base_url: str) -> None:
    """The environment template.yaml gives the functions, resolved to the local resources."""
    os.environ.update(resources.environment())
    os.environ.update(
        {
            "DEFAULT_PORTAL_BASE_URL": portal_base_url,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        }
    )
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    from pforte import wiring
    from pforte.core.settings import get_settings

    get_settings.cache_clear()
    wiring.reset()


def token_route(tokens: StaffTokens, customers: CustomerTokens) -> Callable[[Request], Response]:
    from pforte.core.identity import is_tenant_id

    def issue(request: Request) -> Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except json.JSONDecodeError:
            return local_error(422, "validation_error", "The body is not valid JSON.")
        if not isinstance(body, dict):
            return local_error(422, "validation_error", "Send a JSON object.")
        tenant_id, role = body.get("tenant_id"), body.get("role", "admin")
        if not isinstance(tenant_id, str) or not is_tenant_id(tenant_id):
            return local_error(
                422,
                "validation_error",
                "tenant_id: 1-63 lowercase letters, digits and '-', not at either end.",
            )
        if role == "customer":
            contact_id = body.get("contact_id")
            if not isinstance(contact_id, str) or not contact_id:
                return local_error(422, "validation_error", "contact_id: the contact to sign in as.")
            try:
                token = customers.issue(tenant_id, contact_id)
            except NoLogin as problem:
                return local_error(409, "invalid_transition", str(problem))
            return json_response(
                {
                    "token": token,
                    "tenant_id": tenant_id,
                    "role": role,
                    "contact_id": contact_id,
                    "expires_in": 3600,
                }
            )
        if not isinstance(role, str) or role not in ROLES:
            return local_error(
                422, "validation_error", "role: admin, operator or customer (with contact_id)."
            )
        ensure_tenant(tenant_id)
        return json_response(
            {"token": tokens.issue(tenant_id, role), "tenant_id": tenant_id, "role": role, "expires_in": 3600}
        )

    return issue


def mail_route(request: Request) -> Response:
    return json_response({"items": sent_mail(request.args.get("to"))})


def scheduled_functions() -> dict[str, str]:
    """Function logical id → handler of every function an EventBridge schedule runs."""
    return {
        name: props["Handler"]
        for name, props in resources("AWS::Serverless::Function").items()
        if any(event["Type"] in ("Schedule", "ScheduleV2") for event in props.get("Events", {}).values())
    }


def schedule_route(function: str, handler_path: str) -> Callable[[Request], Response]:
    """Run a scheduled function now, with the event EventBridge Scheduler would send."""

    def run(_: Request) -> Response:
        module_name, _, attribute = handler_path.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": REGION,
            "resources": [f"arn:aws:scheduler:{REGION}:123456789012:schedule/default/{function}"],
            "detail": {},
        }
        return json_response({"function": function, "result": handler(event, lambda_context(function))})

    return run


@dataclass
class LocalApi:
    url: str
    moto_url: str
    resources: LocalResources
    gateway: Gateway
    seeded: int
    _servers: tuple[BaseWSGIServer, BaseWSGIServer]

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()


def start_local_api(port: int, moto_port: int | None = None, portal_base_url: str | None = None) -> LocalApi:
    moto_port = moto_port or free_port()
    moto = start_moto(moto_port)
    moto_url = f"http://127.0.0.1:{moto_port}"
    configure_aws(moto_url)
    resources = provision()
    configure_functions(resources, portal_base_url or "http://localhost:5173")
    verifiers = {}
    for authorizer, pool in authorizer_pools().items():
        # Each authorizer accepts the ID tokens of its own pool and app client only.
        pool_id = resources.pools[pool]
        with urlopen(f"{moto_url}/{pool_id}/.well-known/jwks.json") as response:  # noqa: S310
            verifiers[authorizer] = TokenVerifier(json.load(response), pool_id, resources.clients[pool])
    tokens = StaffTokens(resources)
    gateway = Gateway(
        verifiers=verifiers,
        local_routes={
            ("POST", "/_local/token"): token_route(tokens, CustomerTokens(resources)),
            ("GET", "/_local/mail"): mail_route,
            **{
                ("POST", f"/_local/schedules/{function}"): schedule_route(function, handler)
                for function, handler in scheduled_functions().items()
            },
        },
    )
    seeded = seed_demo()  # before serving: the first request already sees the demo tenant
    QueueRunner(resources).start()
    server = make_server("127.0.0.1", port, gateway.wsgi, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True, name="gateway").start()
    return LocalApi(f"http://127.0.0.1:{port}", moto_url, resources, gateway, seeded, (server, moto))
