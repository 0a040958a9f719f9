"""A ``jupyter server`` subprocess with the extension under a JupyterHub-style base_url,
and Chromium profiles that reach only it: what the browser tests of the dashboard's
views share. Kernels are started through the REST API, as JupyterLab does, and their
cells run through their own connection file (the server watches their IOPub)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Route, sync_playwright

from tests.support.chromium import CHROMIUM_ARGS, executable

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "jupyter_sse" / "static"
BASE_URL = "/hub/user/alice/"
START_TIMEOUT = 60.0  # seconds for the server to come up
UI_TIMEOUT = 20_000  # ms for the page to show something the server sent
KERNEL_TIMEOUT = 60.0  # seconds for a kernel to start or a cell to run


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    """The first truthy result of ``check``, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


@dataclass
class DashboardServer:
    origin: str  # http://127.0.0.1:PORT
    token: str  # the Jupyter token: full access
    runtime: Path  # the server's runtime dir (kernel connection files)

    @property
    def base(self) -> str:
        return self.origin + BASE_URL

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def dashboard(self, *channels: str) -> str:
        """The dashboard URL of a Jupyter user (the token logs the browser in)."""
        query = "&".join([f"channel={c}" for c in channels] + [f"token={self.token}"])
        return f"{self.base}sse/dashboard?{query}"

    def share(self, channels: list[str], *, comment: bool, label: str | None = None) -> str:
        """A viewer link, minted as ``jupyter_sse.share`` does."""
        body: dict[str, Any] = {"channels": channels, "ttl": 3600, "comment": comment}
        if label is not None:
            body["label"] = label
        response = httpx.post(self.base + "sse/tokens", json=body, headers=self.auth, timeout=10)
        response.raise_for_status()
        url: str = response.json()["url"]
        return url

    def start_notebook_kernel(self, path: str) -> str:
        """Saves an empty notebook at ``path`` and starts its kernel; the kernel id."""
        notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        r = httpx.put(
            f"{self.base}api/contents/{path}",
            json={"type": "notebook", "format": "json", "content": notebook},
            headers=self.auth,
            timeout=10,
        )
        r.raise_for_status()
        r = httpx.post(
            self.base + "api/sessions",
            json={"path": path, "type": "notebook", "kernel": {"name": "python3"}},
            headers=self.auth,
            timeout=KERNEL_TIMEOUT,
        )
        r.raise_for_status()
        kernel_id: str = r.json()["kernel"]["id"]
        return kernel_id

    @contextmanager
    def kernel_client(self, kernel_id: str) -> Iterator[Any]:
        """A client on the kernel's own channels, ready to run cells."""
        from jupyter_client import BlockingKernelClient

        client = BlockingKernelClient(
            connection_file=str(self.runtime / f"kernel-{kernel_id}.json")
        )
        client.load_connection_file()
        # No heartbeat channel: this client is not the kernel's parent, so it would judge
        # the kernel by heartbeats, and on a busy machine one late beat (1 s) reads as
        # "Kernel died". Readiness is the kernel_info reply, with KERNEL_TIMEOUT.
        client.start_channels(hb=False)
        try:
            client.wait_for_ready(timeout=KERNEL_TIMEOUT)
            yield client
        finally:
            client.stop_channels()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def dashboard_server(home: Path, *args: str) -> Iterator[DashboardServer]:
    """Starts ``jupyter server`` with ``args`` (``--SSEApp.x=y``) in folders of its own
    under ``home``; stops it (killed if it will not stop) on the way out."""
    if not (STATIC / "dashboard" / "boot.js").exists():
        pytest.fail("jupyter_sse/static/dashboard/boot.js is missing: run `npm run build` in js/")
    dirs = {name: home / name for name in ("config", "runtime", "data", "root")}
    for path in dirs.values():
        path.mkdir()
    # An isolated config dir has no auto-enable file, so the extension is enabled here.
    (dirs["config"] / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_sse": True}}})
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    for name in ("JUPYTER_SSE_URL", "JUPYTER_SSE_TOKEN", "JUPYTER_SSE_REDIS_URL"):
        env.pop(name, None)
    port = _free_port()
    token = "views-test-" + os.urandom(8).hex()
    log_path = home / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.base_url={BASE_URL}",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={dirs['root']}",
            "--no-browser",
            *args,
        ]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    origin = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter server exited:\n{log_path.read_text()}")
        try:
            r = httpx.get(f"{origin}{BASE_URL}sse/health", params={"token": token}, timeout=2)
        except httpx.TransportError:
            return False
        return r.status_code == 200

    try:
        wait_for("the server to answer", ready, START_TIMEOUT)
        yield DashboardServer(origin=origin, token=token, runtime=dirs["runtime"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def local_contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Makes fresh browser profiles that can reach only 127.0.0.1; on the way out, fails
    if any page threw an uncaught error."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def local_only(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.hostname == "127.0.0.1" or url.scheme in ("data", "blob"):
            route.continue_()
        else:
            route.abort()

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", {"width": 1400, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(UI_TIMEOUT)
        context.route("**/*", local_only)
        context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
        contexts.append(context)
        return context

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
