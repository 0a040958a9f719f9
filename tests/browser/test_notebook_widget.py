"""The live widget in a real JupyterLab, in real Chromium, fed by a real kernel.

A cell displays ``sse.channel("demo")`` and then keeps the kernel busy publishing
progress, metrics, a status and a toast; the page must show each of them while the
cell is still running. The cell and the test hand over through flag files in the
notebook's directory, so nothing here sleeps and hopes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright import sync_api

from tests.support.chromium import ARTIFACTS, CHROMIUM_ARGS, executable

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

STARTUP_TIMEOUT = 90.0  # seconds: a cold JupyterLab start on a busy 2-core machine
UI_TIMEOUT_MS = 60_000
NONZERO = re.compile(r"^[1-9][0-9]*(\.[0-9]+)?$")

# The cell under test. It shows the widget, then publishes until the test has seen the
# widget live (`ready`), then finishes the run and waits until the test is done
# (`finish`): the kernel stays busy all along, which is the point.
CELL = """\
import os, time
import jupyter_sse as sse

def wait_for(flag, timeout=120):
    deadline = time.monotonic() + timeout
    while not os.path.exists(flag) and time.monotonic() < deadline:
        yield

ch = sse.channel("demo")
display(ch)
ch.status("phase", "training", variant="info")
bar = ch.progress(total=100, label="training", min_interval=0)
steps = 0
for _ in wait_for("ready"):
    steps += 1
    ch.metric(step=steps, loss=1 / steps, acc=1 - 1 / (steps + 1))
    if bar.n < 60:
        bar.update(1)
    time.sleep(0.05)
bar.update(100 - bar.n)
bar.close()
ch.status("phase", "done", variant="success")
ch.notify("Training finished", title="demo", level="success")
sse.flush()
with open("points.tmp", "w") as f:
    f.write(str(steps))
os.replace("points.tmp", "points")
for _ in wait_for("finish"):
    time.sleep(0.05)
"""

# Reads back what the front end saved into the widget's `state` trait (throttled, and
# only delivered once the first cell has let go of the kernel).
STATE_CELL = """\
import json, time
from ipywidgets.widgets.widget import _instances
deadline = time.monotonic() + 30
snapshot = {}
while time.monotonic() < deadline:
    views = [w for w in _instances.values() if type(w).__name__ == "LiveView"]
    snapshot = views[0].state.get("demo", {}).get("snapshot", {}) if views else {}
    if snapshot.get("status", {}).get("phase", {}).get("value") == "done":
        break
    time.sleep(0.2)
print("SAVED " + json.dumps(snapshot.get("progress", {})))
"""


@dataclass(frozen=True)
class Lab:
    url: str  # http://127.0.0.1:PORT/
    token: str
    root: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _write_notebook(path: Path) -> None:
    def cell(source: str) -> dict[str, object]:
        return {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source,
        }

    notebook = {
        "nbformat": 4,
        "nbformat_minor": 4,  # 4.5 would require cell ids
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [cell(CELL), cell(STATE_CELL)],
    }
    path.write_text(json.dumps(notebook))


def _isolated_env(tmp: Path) -> dict[str, str]:
    """Config, runtime, data and settings dirs of this test only: no user setting leaks in."""
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
    # The extension manager and the news feed query the internet from the page.
    (config / "labconfig").mkdir(exist_ok=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps(
            {
                "disabledExtensions": {
                    "@jupyterlab/extensionmanager-extension": True,
                    "@jupyterlab/apputils-extension:announcements": True,
                    # This file tests the anywidget view (what VS Code and Colab draw);
                    # the JupyterLab extension, which outranks it, has its own tests
                    # (test_lab_*.py).
                    "jupyter-sse": True,
                }
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_SSE_")}
    env.update({name: str(path) for name, path in dirs.items()})
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """A `jupyter lab` process with the extension, token auth, on a free port."""
    root = tmp_path / "notebooks"
    root.mkdir()
    _write_notebook(root / "demo.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp_path / "lab.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",  # CI containers run as root; the server is on 127.0.0.1 only
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
        ],
        env=_isolated_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, token, process, tmp_path / "lab.log")
        yield Lab(url=url, token=token, root=root)
    finally:
        # On SIGTERM jupyter_server shuts its kernels down before it exits.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "lab.log", ARTIFACTS / "notebook-widget-lab.log")


def _wait_until_up(url: str, token: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            response = httpx.get(url + "sse/health", headers={"Authorization": f"token {token}"})
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"jupyter lab did not answer within {STARTUP_TIMEOUT}s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def page(lab: Lab) -> Iterator[Page]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        # Belt and braces: whatever the page asks for, only this machine answers.
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
        page.on(
            "response",
            lambda r: console.append(f"http {r.status}: {r.url}") if r.status >= 400 else None,
        )
        # `expect` has its own timeout (5 s by default): too short for a cold kernel.
        sync_api.expect.set_options(timeout=UI_TIMEOUT_MS)
        try:
            yield page
        finally:
            # What the page logged is the first thing to read when this test fails.
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "notebook-widget-console.log").write_text("\n".join(console) + "\n")
            context.close()
            browser.close()


def _switch_theme(page: Page, name: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(name)}$")).click()
    # JupyterLab names the theme once its stylesheet is in, then fades its splash out.
    sync_api.expect(page.locator("body")).to_have_attribute("data-jp-theme-name", name)
    sync_api.expect(page.locator("#jupyterlab-splash")).to_have_count(0)


@pytest.mark.timeout(300)
def test_widget_shows_a_running_cell_live(lab: Lab, page: Page) -> None:
    expect = sync_api.expect
    page.goto(f"{lab.url}lab/tree/demo.ipynb?token={lab.token}")
    # On a cold machine the page can draw the notebook before its kernel is connected; a
    # Shift+Enter then moves to the next cell and runs nothing. Wait for the idle kernel.
    expect(page.locator("#jupyterlab-splash")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle"))).to_be_visible()
    first_cell = page.locator(".jp-Notebook .jp-CodeCell").first
    first_cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    expect(first_cell.locator(".jp-InputPrompt")).to_contain_text("[*]")

    widget = page.locator(".jupyter-sse").first
    progress = widget.get_by_role("progressbar").first
    # Live while the cell runs: the bar moves and the chart fills before `ready` exists.
    expect(progress).to_have_attribute("aria-valuenow", NONZERO)
    expect(widget.locator("[data-points]").first).to_have_attribute("data-points", NONZERO)
    expect(widget.locator("[data-slot=badge]", has_text="training").first).to_be_visible()
    (lab.root / "ready").touch()

    points_file = lab.root / "points"
    _wait_for(points_file.exists, "the cell to finish publishing")
    points = points_file.read_text()
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(widget.locator("[data-slot=badge]", has_text="done").first).to_be_visible()
    expect(widget.locator("[data-points]").first).to_have_attribute("data-points", points)
    expect(widget.get_by_text("Training finished")).to_be_visible()
    # The cell is still running: the kernel has not gone idle.
    expect(first_cell.locator(".jp-InputPrompt")).to_contain_text("[*]")

    # The widget's tokens live on its root, never on the host page's.
    page_radius = "getComputedStyle(document.documentElement).getPropertyValue('--radius')"
    assert page.evaluate(page_radius) == ""
    text_color = "el => getComputedStyle(el).color"
    light_text = widget.evaluate(text_color)

    ARTIFACTS.mkdir(exist_ok=True)
    _screenshots(page, widget, "light")
    _switch_theme(page, "JupyterLab Dark")
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    _wait_for(lambda: widget.evaluate(text_color) != light_text, "the widget's dark tokens")
    _screenshots(page, widget, "dark")
    _switch_theme(page, "JupyterLab Light")

    # Let the cell end, then read what the front end saved for the notebook file.
    (lab.root / "finish").touch()
    second_cell = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
    second_cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    saved_line = second_cell.locator(".jp-OutputArea-output", has_text="SAVED")
    expect(saved_line).to_be_visible()
    saved = json.loads(saved_line.inner_text().split("SAVED", 1)[1])
    assert saved["training"]["value"] == 100
    assert saved["training"]["done"] is True


def _screenshots(page: Page, widget: Locator, theme: str) -> None:
    """The widget alone (scrolled into view: the toast sits at its bottom) and the page."""
    widget.screenshot(path=str(ARTIFACTS / f"notebook-widget-{theme}.png"))
    page.screenshot(path=str(ARTIFACTS / f"notebook-page-{theme}.png"))


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
