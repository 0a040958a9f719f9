"""Fixtures shared by every test: a real Jupyter server with the extension (on each
broker), a real redis-server, and clients that talk to them. Helpers that tests import
live in ``tests/support``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.server import Server

pytest_plugins = [
    "pytest_jupyter.jupyter_server",
    "tests.support.redis_server",
    "tests.support.jupyter_servers",
]

BROKERS = ["memory", "redis"]


@pytest.fixture(params=BROKERS)
def broker_kind(request: pytest.FixtureRequest) -> str:
    """Every behavioural test runs once per broker, so the brokers cannot drift apart."""
    kind: str = request.param
    return kind


@pytest.fixture
def sse_config() -> dict[str, Any]:
    """Extra ``SSEApp`` settings for one test; override or update it in a test module."""
    return {}


@pytest.fixture
def jp_server_config(
    broker_kind: str, sse_config: dict[str, Any], request: pytest.FixtureRequest
) -> dict[str, Any]:
    # No gc.freeze() in tests: the server runs inside pytest, whose objects it would freeze.
    config: dict[str, Any] = {"heartbeat_interval": 0, "freeze_gc": False, **sse_config}
    if broker_kind == "redis":
        config["redis_url"] = request.getfixturevalue("redis_server").url
    return {"ServerApp": {"jpserver_extensions": {"jupyter_sse": True}}, "SSEApp": config}


@pytest.fixture
def server(
    jp_serverapp: Any,
    http_server_client: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_asyncio_loop: asyncio.AbstractEventLoop,
) -> Iterator[Server]:
    (sse_app,) = jp_serverapp.extension_manager.extension_apps["jupyter_sse"]
    token = jp_serverapp.identity_provider.token
    client = httpx.AsyncClient(timeout=10)
    yield Server(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token, sse_app, client)
    jp_asyncio_loop.run_until_complete(client.aclose())
