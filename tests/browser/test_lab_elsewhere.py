"""The live view outside the main JupyterLab path: the extension in Notebook 7, and the
anywidget view that other front ends draw when the extension is absent (here: disabled
in JupyterLab)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright import sync_api

from tests.support.chromium import ARTIFACTS
from tests.support.lab_app import chromium_page, lab_server, wait_for, write_notebook

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

NONZERO = re.compile(r"^[1-9][0-9]*$")

CELL = """\
import os, time
import jupyter_sse as sse

ch = sse.channel("demo")
display(ch)
bar = ch.progress(total=100_000, label="training", min_interval=0)
while not os.path.exists("stop"):
    bar.update(1)
    time.sleep(0.1)
"""

# Runs the notebook's first cell once its kernel is ready, through the app's commands.
RUN_FIRST_CELL = """async () => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
    panel.content.activeCellIndex = 0;
    // Not awaited: the command resolves when the cell ends, and this one runs on.
    void app.commands.execute("notebook:run-cell");
}"""


def _run(page: Page) -> None:
    sync_api.expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible()
    page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.sessionContext")
    page.evaluate(RUN_FIRST_CELL)


def _advancing(bar: Locator) -> None:
    sync_api.expect(bar).to_have_attribute("aria-valuenow", NONZERO)
    seen = int(bar.get_attribute("aria-valuenow") or "0")
    wait_for(lambda: int(bar.get_attribute("aria-valuenow") or "0") > seen, "the bar to advance")


@pytest.mark.timeout(300)
def test_notebook_7_draws_the_live_view_from_the_stream(tmp_path: Path) -> None:
    with (
        lab_server(tmp_path, "notebook7", app="notebook") as server,
        chromium_page("notebook7") as page,
    ):
        write_notebook(server.root / "demo.ipynb", CELL)
        page.goto(f"{server.url}notebooks/demo.ipynb?token={server.token}")
        _run(page)
        _advancing(page.locator(".jp-sse-output .jupyter-sse").get_by_role("progressbar").first)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "notebook7-live-view.png"))
        (server.root / "stop").touch()


@pytest.mark.timeout(300)
def test_the_anywidget_view_draws_when_the_extension_is_disabled(tmp_path: Path) -> None:
    with (
        lab_server(tmp_path, "lab-fallback", disabled={"jupyter-sse": True}) as server,
        chromium_page("lab-fallback") as page,
    ):
        write_notebook(server.root / "demo.ipynb", CELL)
        page.goto(f"{server.url}lab/tree/demo.ipynb?token={server.token}")
        _run(page)
        _advancing(page.locator(".jupyter-sse").get_by_role("progressbar").first)
        # The widget manager's view, not the extension's: neither its output nor its item.
        sync_api.expect(page.locator(".jp-sse-output")).to_have_count(0)
        sync_api.expect(page.locator("[data-slot=live-connection]")).to_have_count(0)
        (server.root / "stop").touch()
