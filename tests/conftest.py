"""Fixtures: a real Jupyter server with the extension, and clients that talk to it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.sse_client import StreamReader

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.redis_server"]

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


@dataclass
class Server:
    """A running server with the extension, seen from the outside."""

    base: str  # http://127.0.0.1:PORT/BASE/
    token: str
    app: Any  # SSEApp
    client: httpx.AsyncClient

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    @property
    def publish_token(self) -> str:
        token: str = self.app.services.publish_token.value
        return token

    def stream(
        self, *channels: str, headers: dict[str, str] | None = None, **params: str
    ) -> StreamReader:
        query = [("channel", c) for c in channels] + list(params.items())
        return StreamReader(
            self.client,
            self.base + "sse/stream",
            params=query,
            headers={**self.auth, **(headers or {})},
        )

    async def publish(self, body: Any, *, headers: dict[str, str] | None = None) -> httpx.Response:
        content = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return await self.client.post(
            self.base + "sse/publish", content=content, headers={**self.auth, **(headers or {})}
        )

    async def publish_ok(self, *events: dict[str, Any]) -> list[str]:
        response = await self.publish(list(events))
        assert response.status_code == 200, response.text
        ids: list[str] = response.json()["ids"]
        return ids

    async def channels(self) -> dict[str, dict[str, Any]]:
        response = await self.client.get(self.base + "sse/channels", headers=self.auth)
        assert response.status_code == 200, response.text
        return {row["channel"]: row for row in response.json()}

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(self.base + path, **kwargs)


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


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
    """Poll ``predicate`` (sync or async) until it is truthy; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(0.01)
