"""A real JupyterLab (or Notebook 7) process and a Chromium page on it, for the tests of
the JupyterLab extension (tests/browser/test_lab_*.py).

Each server gets its own config, runtime, data and settings directories, so no user
setting leaks in, and the runtime directory (with the cookie secret) survives a
restart of the server: a page stays logged in across it, as a user's would.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright import sync_api

from tests.support.chromium import ARTIFACTS, CHROMIUM_ARGS, executable

if TYPE_CHECKING:
    from playwright.sync_api import Page

STARTUP_TIMEOUT = 90.0  # seconds: a cold JupyterLab start on a busy 2-core machine
UI_TIMEOUT_MS = 60_000
VIEW_MIME = "application/vnd.jupyter-sse.view+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_notebook(path: Path, *sources: str) -> None:
    cells = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
        for s in sources
    ]
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 4,  # 4.5 would require cell ids
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": cells,
    }
    path.write_text(json.dumps(notebook))


def isolated_env(tmp: Path, disabled: dict[str, bool] | None = None) -> dict[str, str]:
    """Config, runtime, data and settings dirs of this test only."""
    dirs = {
        "JUPYTER_CONFIG_DIR": tmp / "config",
        "JUPYTER_RUNTIME_DIR": tmp / "runtime",
        "JUPYTER_DATA_DIR": tmp / "data",
        "JUPYTERLAB_SETTINGS_DIR": tmp / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": tmp / "lab-workspaces",
        "IPYTHONDIR": tmp / "ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    config = dirs["JUPYTER_CONFIG_DIR"]
    (config / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {"jpserver_extensions": {"jupyter_sse": True}},
                # Nothing of the test may reach outside 127.0.0.1: no update check.
                "LabApp": {
                    "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                    "extension_manager": "readonly",
                },
            }
        )
    )
    (config / "labconfig").mkdir(exist_ok=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps(
            {
                # The tests drive JupyterLab's own commands (open, save, close) through
                # `window.jupyterapp` rather than through menus that move between versions.
                "exposeAppInBrowser": True,
                "disabledExtensions": {
                    # The extension manager and the news feed query the internet.
                    "@jupyterlab/extensionmanager-extension": True,
                    "@jupyterlab/apputils-extension:announcements": True,
                    **(disabled or {}),
                },
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_SSE_")}
    env.update({name: str(path) for name, path in dirs.items()})
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


class LabServer:
    """`jupyter lab` (or `jupyter notebook`) on a fixed port, which can be stopped and
    started again with the same root, token and cookie secret."""

    def __init__(
        self, tmp: Path, *, app: str = "jupyterlab", disabled: dict[str, bool] | None = None
    ) -> None:
        self.tmp = tmp
        self.root = tmp / "notebooks"
        self.root.mkdir(exist_ok=True)
        self.app = app
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.env = isolated_env(tmp, disabled)
        self.log_path = tmp / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.app,
                "--no-browser",
                "--allow-root",  # CI containers run as root; the server is on 127.0.0.1 only
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.app} exited with {self.process.returncode}:\n{self.log()}")
            try:
                response = httpx.get(self.url + "sse/health", headers=self.headers)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.app} did not answer within {STARTUP_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        # On SIGTERM jupyter_server shuts its kernels down before it exits.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, headers=self.headers, timeout=30, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@contextmanager
def lab_server(
    tmp: Path, name: str, *, app: str = "jupyterlab", disabled: dict[str, bool] | None = None
) -> Iterator[LabServer]:
    server = LabServer(tmp, app=app, disabled=disabled)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{name}-server.log").write_bytes(server.log_path.read_bytes())


@contextmanager
def chromium_page(name: str) -> Iterator[Page]:
    """A page of a fresh Chromium that reaches only this machine; its console is kept."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else route.abort()
            ),
        )
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        sync_api.expect.set_options(timeout=UI_TIMEOUT_MS)
        try:
            yield page
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"{name}-console.log").write_text("\n".join(console) + "\n")
            context.close()
            browser.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def saved_view_state(path: Path) -> dict[str, Any]:
    """What the renderer saved into the notebook file, per channel, for the first output."""
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get(VIEW_MIME)
            if meta:
                state: dict[str, Any] = meta.get("state", {})
                return state
    return {}
