"""A real JupyterHub, its configurable-http-proxy, and a password-protected Redis that
the hub hands each user's server an ACL user of, as an admin would set it up (the hub
suite's fixture, tests/hub/conftest.py, starts one with `start_hub`).

Users alice and bob log in with DummyAuthenticator; their servers run
`jupyterhub-singleuser` with the extension (SimpleLocalProcessSpawner), Redis URL from
the spawn hook, in the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import free_port
from tests.support.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
HUB_TESTS = ROOT / "tests" / "hub"
PROXY = HUB_TESTS / "node_modules" / ".bin" / "configurable-http-proxy"
EXAMPLE = ROOT / "examples" / "jupyterhub_config.py"
BIN = Path(sys.executable).parent
API_TOKEN = "hub-tests-service-token-0123456789abcdef"
PASSWORD = "hub-tests-password"
USERS = ("alice", "bob")
START_TIMEOUT = 120.0  # seconds: a hub, its proxy and two servers on a busy machine


@dataclass
class Hub:
    """The hub as its users and admin see it."""

    url: str  # the public URL (the proxy), ending with "/"
    redis: RedisServer
    tokens: dict[str, str]  # a user's API token
    folder: Path
    proc: subprocess.Popen[bytes]

    def api(self, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}hub/api/{path}",
            headers={"Authorization": f"token {API_TOKEN}"},
            timeout=30,
            **kwargs,
        )

    def as_user(self, user: str) -> dict[str, str]:
        return {"Authorization": f"token {self.tokens[user]}"}

    def server(self, user: str) -> str:
        """The public URL of ``user``'s server."""
        return f"{self.url}user/{user}/"

    def log(self) -> str:
        return (self.folder / "hub.log").read_text(errors="replace")


def write_config(folder: Path, redis: RedisServer, ports: dict[str, int]) -> Path:
    """The admin's recipe (examples/jupyterhub_config.py), plus what a test machine needs:
    ports, folders, users, and a service token to drive the hub."""
    config = folder / "jupyterhub_config.py"
    config.write_text(
        textwrap.dedent(
            f"""
            load_subconfig({str(EXAMPLE)!r})

            c.JupyterHub.bind_url = "http://127.0.0.1:{ports["proxy"]}"
            c.JupyterHub.public_url = "http://127.0.0.1:{ports["proxy"]}"
            c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports["hub"]}"
            c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
            c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
            c.ConfigurableHTTPProxy.auth_token = "proxy-token-for-the-hub-tests"
            c.JupyterHub.db_url = "sqlite:///{folder}/hub.sqlite"
            c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"
            c.JupyterHub.cleanup_servers = True
            c.JupyterHub.authenticator_class = "dummy"
            c.DummyAuthenticator.password = {PASSWORD!r}
            c.Authenticator.allowed_users = {set(USERS)!r}
            c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
            c.SimpleLocalProcessSpawner.home_dir_template = "{folder}/home/{{username}}"
            c.Spawner.cmd = [{str(BIN / "jupyterhub-singleuser")!r}]
            c.Spawner.args = ["--allow-root", "--SSEApp.heartbeat_interval=5"]
            c.Spawner.start_timeout = 90
            c.Spawner.http_timeout = 90
            c.JupyterHub.services = [{{"name": "tests", "api_token": {API_TOKEN!r}}}]
            c.JupyterHub.load_roles = [
                {{
                    "name": "tests",
                    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],
                    "services": ["tests"],
                }}
            ]
            """
        )
    )
    return config


def wait(what: str, check: Any, timeout: float = START_TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.2)


def health(hub: Hub, user: str) -> dict[str, Any]:
    r = httpx.get(hub.server(user) + "sse/health", headers=hub.as_user(user), timeout=10)
    assert r.status_code == 200, r.text
    value: dict[str, Any] = json.loads(r.text)
    return value


@contextmanager
def start_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """Start the hub, its users' servers and their API tokens; stop it all after."""
    if not PROXY.exists():
        pytest.fail(f"no configurable-http-proxy at {PROXY}: run `npm ci` in {HUB_TESTS}")
    folder = tmp_path_factory.mktemp("hub")
    redis = RedisServer(tmp_path_factory.mktemp("redis"), password="redis-admin-for-hub-tests")
    redis.start()
    ports = {"proxy": free_port(), "hub": free_port(), "proxy_api": free_port()}
    config = write_config(folder, redis, ports)
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "JUPYTER_SSE_REDIS_ADMIN_URL": redis.url,
    }
    with (folder / "hub.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(config)],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{ports['proxy']}/"
    hub = Hub(url, redis, {}, folder, proc)
    try:
        wait("the hub's API", lambda: hub.api("").status_code == 200)
        for user in USERS:
            hub.api("users", "POST", json={"usernames": [user]})
            r = hub.api(f"users/{user}/server", "POST")
            assert r.status_code in (201, 202), r.text
            r = hub.api(
                f"users/{user}/tokens",
                "POST",
                json={"note": "hub tests", "scopes": [f"access:servers!user={user}"]},
            )
            assert r.status_code == 201, r.text
            hub.tokens[user] = r.json()["token"]
        for user in USERS:
            wait(
                f"{user}'s server",
                lambda user=user: hub.api(f"users/{user}").json()["servers"][""]["ready"],
            )
            wait(
                f"{user}'s extension",
                lambda user=user: (
                    httpx.get(
                        hub.server(user) + "sse/health", headers=hub.as_user(user), timeout=10
                    ).status_code
                    == 200
                ),
            )
        yield hub
    except BaseException:
        print(hub.log()[-20000:])
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        redis.kill()
