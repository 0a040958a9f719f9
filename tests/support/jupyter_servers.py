"""Jupyter servers as separate processes that share one Redis: what scale-out looks like.

Pytest plugin (loaded by ``tests/conftest.py``): the ``servers`` fixture stops every
server a test started with ``start``, whatever happens.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import wait_for
from tests.support.sse_client import StreamReader

OTHER_EXTENSIONS = dict.fromkeys(
    ["jupyterlab", "jupyter_lsp", "notebook_shim", "jupyter_server_terminals", "notebook"], False
)


class Jupyter:
    """A ``jupyter_server`` process with the extension, its own dirs, and one Redis.

    Its client holds the token and keeps cookies: every request after the first is the
    same Jupyter user (jupyter_server names a token's caller in a cookie)."""

    def __init__(self, folder: Path, redis_url: str, **sse: Any) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}/"
        self.auth = {"Authorization": f"token {self.token}"}
        config = folder / "config"
        config.mkdir(parents=True)
        (config / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    # Only this extension: the others installed here slow every start.
                    "ServerApp": {"jpserver_extensions": {**OTHER_EXTENSIONS, "jupyter_sse": True}},
                    "SSEApp": {"redis_url": redis_url, **sse},
                }
            )
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_DATA_DIR": str(folder / "data"),
            "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
        }
        self.log = folder / "server.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "jupyter_server",
                    f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                    "--ServerApp.ip=127.0.0.1", "--ServerApp.open_browser=False",
                    "--ServerApp.allow_root=True",
                    f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={folder}",
                ],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.client = httpx.AsyncClient(timeout=10, headers=self.auth)

    async def ready(self) -> None:
        async def answers() -> bool:
            assert self.process.poll() is None, self.log.read_text()
            try:
                return (await self.client.get(self.base + "sse/health")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_for(answers, timeout=30, what=f"server on {self.port}")

    def stream(self, *channels: str, cursor: str | None = None) -> StreamReader:
        """A stream of ``channels`` as this server's Jupyter user."""
        headers = {**self.auth, **({"Last-Event-ID": cursor} if cursor else {})}
        return StreamReader(
            self.client,
            self.base + "sse/stream",
            params=[("channel", c) for c in channels],
            headers=headers,
        )

    async def publish(self, *events: Any) -> list[str]:
        r = await self.client.post(self.base + "sse/publish", content=json.dumps(list(events)))
        assert r.status_code == 200, r.text
        ids: list[str] = r.json()["ids"]
        return ids

    async def health(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.client.get(self.base + "sse/health")).json()
        return body

    def kill(self) -> None:
        """SIGKILL: the server dies without a word to anyone, as in a crash."""
        self.process.kill()
        self.process.wait()

    async def stop(self) -> None:
        await self.client.aclose()
        self.process.terminate()
        try:
            await asyncio.to_thread(self.process.wait, 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Jupyter]]:
    """Started by the test (it picks the Redis); stopped here whatever happens."""
    started: list[Jupyter] = []
    yield started
    loop = asyncio.new_event_loop()
    for s in started:
        loop.run_until_complete(s.stop())
    loop.close()


async def start(servers: list[Jupyter], root: Path, url: str, n: int, **sse: Any) -> list[Jupyter]:
    """``n`` more servers on Redis ``url`` with settings ``sse``, once they all answer."""
    new = [Jupyter(root / f"server-{len(servers) + i}", url, **sse) for i in range(n)]
    servers.extend(new)
    await asyncio.gather(*(s.ready() for s in new))
    return new
