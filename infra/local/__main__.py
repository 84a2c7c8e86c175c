"""`python -m infra.local` (what `make run` starts): the local API on moto, with a demo tenant."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading

from infra.local.seed import DEMO_TENANT
from infra.local.server import start_local_api


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    port = int(os.environ.get("PORT", "3000"))
    api = start_local_api(port, int(os.environ["MOTO_PORT"]) if os.environ.get("MOTO_PORT") else None)
    added = api.seeded
    url = api.url
    print(
        f"""
Pforte local API: {url}    (AWS backend: moto at {api.moto_url})
  OpenAPI: {url}/openapi.json    Swagger UI: {url}/docs
  Demo tenant '{DEMO_TENANT}' ready ({added} demo contacts added).

Sign in (admin of the demo tenant; use role "operator" for an operator, any tenant_id for another tenant):
  TOKEN=$(curl -s -X POST {url}/_local/token -H 'Content-Type: application/json' \\
          -d '{{"tenant_id": "{DEMO_TENANT}", "role": "admin"}}' \\
          | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -s {url}/contacts -H "Authorization: Bearer $TOKEN"
Mail sent through SES: {url}/_local/mail?to=<address>
Press Ctrl+C to stop.""",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    api.stop()


if __name__ == "__main__":
    main()
