"""A running server with the extension, seen from the outside, and waiting on conditions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from jupyter_sse.server.secret import ServerSecret
from tests.support.sse_client import StreamReader


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

    async def rotate_secret(self) -> str:
        """Rotate the secret as ``jupyter sse rotate-secret`` in another process does;
        return the publish token once this server took the new one."""
        services = self.app.services
        await services.start()  # they watch the file; a test server may not have started them
        old = services.publish_token.value
        ServerSecret(services.viewer_secret.path).rotate()
        await wait_for(lambda: services.publish_token.value != old, what="the new publish token")
        token: str = services.publish_token.value
        return token


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
