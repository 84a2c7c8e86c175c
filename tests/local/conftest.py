"""Every test module here gets one local API of its own (tests/local/server.py starts it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.local.server import Http, local_server


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[Http, str]]:
    with local_server() as server:
        yield server.http, server.moto_url
