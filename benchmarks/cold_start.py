"""Cold start of each API function in template.yaml, beside the prescribed stack alone and the floor.

For every function, fresh Python processes each time
(a) import the handler module and answer one request (an API Gateway event, against moto);
(b) the prescribed stack with nothing of ours: boto3, a Powertools validating resolver with one
    route and a pydantic body model, Logger, Metrics and Tracer, answering one request that makes
    one DynamoDB call;
(c) the floor: `import boto3` and create the clients that request uses.
Tracing is on, as template.yaml deploys it (X-Ray's Lambda context emulated, segments sent to a
local UDP port nobody reads). Reported: medians, and the ratios a/b (target <= 1.05) and a/c
(target <= 1.7), all measured in the same run; beside a/b the median of the ratios of each a and
the b measured right after it ("paired"), and b/c, what the stack alone costs over the floor.
Run with `make bench`.
"""

from __future__ import annotations

import compileall
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.local.events import proxy_event  # noqa: E402
from infra.local.server import configure_aws, configure_functions, free_port, start_moto  # noqa: E402
from infra.template import api_routes  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "11"))
TARGET_STACK = 1.05
TARGET_FLOOR = 1.7
# One representative request per API function: method, path, body, expected status, clients it uses.
REQUESTS = {
    "ContactsFunction": ("GET", "/contacts", None, 200, ["dynamodb"]),
    # A contact id of no contact: one read, then 404.
    "AccountsFunction": ("GET", "/contacts/{contact_id}/summary", None, 404, ["dynamodb"]),
    # A job id of no job: one read (the job's pointer), then 404.
    "JobsFunction": ("GET", "/jobs/{job_id}", None, 404, ["dynamodb"]),
    # An import id of no import: one read, then 404.
    "ImportsFunction": ("GET", "/contacts/imports/{import_id}", None, 404, ["dynamodb"]),
    "TenantsFunction": ("GET", "/tenant", None, 200, ["dynamodb"]),
    "PublicFunction": ("POST", "/public/activations", {"token": "demo." + "x" * 43}, 410, ["dynamodb"]),
    # An id that is no export: answered 404 before any read, as an unknown export would be.
    "ExportsFunction": ("GET", "/exports/{export_id}", None, 404, ["dynamodb"]),
    "LinksFunction": ("GET", "/links/onboarding", None, 200, ["dynamodb"]),
    # A staff token on a customer route: refused by the function before any read.
    "CustomersFunction": ("GET", "/me", None, 403, ["dynamodb"]),
}

NO_SUCH_ID = "01J00000000000000000000000"  # a well-formed id of nothing
READ_BY_ID = {"AccountsFunction", "JobsFunction", "ImportsFunction"}  # their requests read the id in the path

HANDLER_RUN = """
import json, sys, time
event = json.load(open(sys.argv[1]))
# A fresh source address per run: ten failed activations from one would be rate limited.
import random
event["requestContext"]["identity"]["sourceIp"] = f"198.51.100.{random.randint(1, 254)}"
class Context:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:bench"
start = time.perf_counter()
import importlib
module = importlib.import_module(sys.argv[2])
result = module.lambda_handler(event, Context())
elapsed = time.perf_counter() - start
assert result["statusCode"] == int(sys.argv[3]), result
print(json.dumps({"seconds": elapsed}), file=sys.stderr)
"""

BASELINE_RUN = """
import json, sys, time
start = time.perf_counter()
import boto3
clients = [boto3.client(name, region_name="eu-central-1") for name in sys.argv[1].split(",")]
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed}), file=sys.stderr)
"""


STACK_RUN = """
import json, sys, time
event = json.load(open(sys.argv[1]))
class Context:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:bench"
start = time.perf_counter()
import os
import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel

logger, metrics, tracer = Logger(), Metrics(namespace="Bare"), Tracer(patch_modules=("botocore",))
app = APIGatewayRestResolver(enable_validation=True)
client = boto3.client("dynamodb", region_name="eu-central-1")

class Item(BaseModel):
    name: str
    size: int = 0

@app.post("/bare")
def bare(item: Item) -> Item:
    client.get_item(TableName=os.environ["TABLE_NAME"], Key={"PK": {"S": "x"}, "SK": {"S": "y"}})
    return item

@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event, context):
    return app.resolve(event, context)

result = handler(event, Context())
elapsed = time.perf_counter() - start
assert result["statusCode"] == 200, result
print(json.dumps({"seconds": elapsed}), file=sys.stderr)
"""


def timed(args: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", *args],
        env=env,
        cwd=ROOT / "functions",
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stderr.strip().splitlines()[-1])["seconds"])


def main() -> None:
    moto = start_moto(free_port())
    configure_aws(f"http://127.0.0.1:{moto.server_port}")
    from infra.local.provision import provision
    from infra.local.seed import seed_demo

    configure_functions(provision(), "https://portal.example.com")
    seed_demo()
    env = {
        **os.environ,
        "POWERTOOLS_METRICS_DISABLED": "false",
        "POWERTOOLS_TRACE_DISABLED": "false",
        # X-Ray as inside Lambda: a trace header to continue, segments to a local port.
        "LAMBDA_TASK_ROOT": str(ROOT / "functions"),
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }
    # Any value of PYTHONDONTWRITEBYTECODE (even "0") stops Python writing bytecode: a changed
    # module would then be compiled again in every measured process. Compile it all up front.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(ROOT / "functions", quiet=1)
    claims = {"sub": "bench", "custom:tenant_id": "demo", "cognito:groups": "admin", "token_use": "id"}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        stack_event = Path(scratch, "stack.json")
        bare_route = next(r for r in api_routes() if r.method == "POST")
        stack = proxy_event(
            bare_route,
            path="/bare",
            claims=None,
            body=json.dumps({"name": "bench", "size": 1}).encode(),
            headers=[("Content-Type", "application/json")],
        )
        stack.update({"resource": "/bare", "path": "/bare", "httpMethod": "POST"})
        stack_event.write_text(json.dumps(stack))
        timed([STACK_RUN, str(stack_event)], env)
        for route in api_routes():
            if REQUESTS.get(route.function, ())[:2] != (route.method, route.path):
                continue
            _, _, body, status, used_clients = REQUESTS[route.function]
            event_file = Path(scratch, f"{route.function}.json")
            payload = json.dumps(body).encode() if body is not None else None
            parameters = {name: NO_SUCH_ID for name in re.findall(r"{(\w+)}", route.path)}
            if route.function not in READ_BY_ID:
                parameters = {}  # the others answer before any read (see REQUESTS)
            event = proxy_event(
                route,
                path=route.path.format(**parameters) if parameters else route.path,
                path_parameters=parameters or None,
                claims=claims if route.authorized else None,
                body=payload,
                headers=[("Content-Type", "application/json")],
            )
            event_file.write_text(json.dumps(event))
            clients = ",".join(used_clients)
            args = [HANDLER_RUN, str(event_file), route.module, str(status)]
            timed(args, env)  # warm the OS file cache and .pyc files
            handler, stack_alone, baseline = [], [], []
            for _ in range(RUNS):  # interleaved, so that a slow moment of the machine hits all three
                handler.append(timed(args, env))
                stack_alone.append(timed([STACK_RUN, str(stack_event)], env))
                baseline.append(timed([BASELINE_RUN, clients], env))
            rows.append(
                (
                    route.function,
                    statistics.median(handler),
                    statistics.median(stack_alone),
                    statistics.median(baseline),
                    # The median of the ratios of processes measured one after the other: less
                    # exposed to the machine drifting over the minutes a function's runs take.
                    statistics.median(a / b for a, b in zip(handler, stack_alone, strict=True)),
                )
            )
    moto.shutdown()
    print(
        f"cold start with tracing on, median of {RUNS} fresh processes "
        f"(targets: vs stack <= {TARGET_STACK}, vs floor <= {TARGET_FLOOR})"
    )
    print(
        f"{'function':<20} {'ours':>9} {'stack':>9} {'floor':>9} {'vs stack':>9} {'paired':>7}"
        f" {'vs floor':>9} {'stack/floor':>12}"
    )
    for function, ours, stack_s, floor, paired in rows:
        to_stack, to_floor = ours / stack_s, ours / floor
        mark = "ok" if to_stack <= TARGET_STACK and to_floor <= TARGET_FLOOR else "OVER"
        print(
            f"{function:<20} {ours * 1000:>6.0f} ms {stack_s * 1000:>6.0f} ms {floor * 1000:>6.0f} ms"
            f" {to_stack:>9.2f} {paired:>7.2f} {to_floor:>9.2f} {stack_s / floor:>12.2f} {mark}"
        )


if __name__ == "__main__":
    main()
