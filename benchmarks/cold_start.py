"""Cold start of each handler in template.yaml against the bare cost of boto3.

For every function, fresh Python processes each time (a) import the handler module and answer one
request (an API Gateway event, against moto), and (b) `import boto3` and create the clients that
request uses. Reported: the medians and their ratio (target ≤ 1.3). Run with `make bench`.
"""

from __future__ import annotations

import json
import os
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
TARGET = 1.3
# One representative request per API function: method, path, body, expected status, clients it uses.
REQUESTS = {
    "ContactsFunction": ("GET", "/contacts", None, 200, ["dynamodb"]),
    "TenantsFunction": ("GET", "/tenant", None, 200, ["dynamodb"]),
    "PublicFunction": ("POST", "/public/activations", {"token": "demo." + "x" * 43}, 410, ["dynamodb"]),
    # An id that is no export: answered 404 before any read, as an unknown export would be.
    "ExportsFunction": ("GET", "/exports/{export_id}", None, 404, ["dynamodb"]),
    "LinksFunction": ("GET", "/links/onboarding", None, 200, ["dynamodb"]),
    # A staff token on a customer route: refused by the function before any read.
    "CustomersFunction": ("GET", "/me", None, 403, ["dynamodb"]),
}

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
    env = {**os.environ, "POWERTOOLS_METRICS_DISABLED": "false", "PYTHONDONTWRITEBYTECODE": "0"}
    claims = {"sub": "bench", "custom:tenant_id": "demo", "cognito:groups": "admin", "token_use": "id"}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for route in api_routes():
            if REQUESTS.get(route.function, ())[:2] != (route.method, route.path):
                continue
            _, _, body, status, used_clients = REQUESTS[route.function]
            event_file = Path(scratch, f"{route.function}.json")
            payload = json.dumps(body).encode() if body is not None else None
            event = proxy_event(
                route,
                path=route.path,
                claims=claims if route.authorized else None,
                body=payload,
                headers=[("Content-Type", "application/json")],
            )
            event_file.write_text(json.dumps(event))
            clients = ",".join(used_clients)
            args = [HANDLER_RUN, str(event_file), route.module, str(status)]
            timed(args, env)  # warm the OS file cache and .pyc files
            handler = [timed(args, env) for _ in range(RUNS)]
            baseline = [timed([BASELINE_RUN, clients], env) for _ in range(RUNS)]
            rows.append((route.function, statistics.median(handler), statistics.median(baseline)))
    moto.shutdown()
    print(f"cold start, median of {RUNS} fresh processes (target: ratio <= {TARGET})")
    print(f"{'function':<20} {'handler+request':>16} {'boto3+clients':>14} {'ratio':>6}")
    for function, handler_s, baseline_s in rows:
        ratio = handler_s / baseline_s
        mark = "ok" if ratio <= TARGET else "OVER"
        print(
            f"{function:<20} {handler_s * 1000:>13.0f} ms {baseline_s * 1000:>11.0f} ms {ratio:>6.2f} {mark}"
        )


if __name__ == "__main__":
    main()
