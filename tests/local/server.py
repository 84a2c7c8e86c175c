"""The local API as `make run` starts it (`python -m infra.local`), in a process of its own, and an
HTTP client for it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from infra.local.server import free_port

ROOT = Path(__file__).resolve().parents[2]


class Http:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        raw: bytes | None = None,
        timeout: float = 30,
        content_type: str = "application/json",
    ) -> tuple[int, Any, dict[str, str]]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", content_type)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
                status, headers = response.status, dict(response.headers)
        except HTTPError as error:
            text, status, headers = error.read().decode(), error.code, dict(error.headers)
        content_type = headers.get("Content-Type", "")
        return status, (json.loads(text) if text and "json" in content_type else text), headers

    def wait_for(self, path: str, token: str, done: Callable[[Any], bool]) -> Any:
        """GETs `path` until `done` holds for the answer's body, 20 seconds at the most (the queue
        workers run in the server's background): the last body."""
        for _ in range(100):
            _, body, _ = self.call("GET", path, token=token)
            if done(body):
                break
            time.sleep(0.2)
        return body

    def token(self, tenant_id: str, role: str = "admin") -> str:
        status, body, _ = self.call("POST", "/_local/token", {"tenant_id": tenant_id, "role": role})
        assert status == 200, body
        return str(body["token"])


@dataclass
class LocalServer:
    http: Http
    moto_url: str
    process: subprocess.Popen[str]


@contextlib.contextmanager
def local_server() -> Iterator[LocalServer]:
    port, moto_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "MOTO_PORT": str(moto_port), "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    # The server's output goes to a file: a pipe nobody reads fills up and stalls the server.
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    http = Http(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"the local API exited:\n{log.read()[-3000:]}")
            try:
                http.token("demo")
                break
            except (OSError, AssertionError):
                time.sleep(0.3)
        else:
            pytest.fail("the local API did not come up")
        yield LocalServer(http, f"http://127.0.0.1:{moto_port}", process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
