"""The JupyterLab extension in a real JupyterLab and Chromium, fed by a real kernel.

One busy cell shows ``sse.channel("demo")`` and advances a progress bar until the test
says stop; the test reloads the page, closes and reopens the notebook, shuts the kernel
down and restarts the server under it, and each time looks at what a person sees: the
output drawn by the extension from the server's stream, JupyterLab's notifications,
the status-bar item and the Live panel. Cell and test hand over through flag files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright import sync_api

from tests.support.chromium import ARTIFACTS
from tests.support.lab_app import (
    chromium_page,
    lab_server,
    saved_view_state,
    wait_for,
    write_notebook,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from tests.support.lab_app import LabServer

NONZERO = re.compile(r"^[1-9][0-9]*$")
# How soon the live output must be back after the notebook is on screen again.
BACK_WITHIN_MS = 10_000

# The colour JupyterLab's theme gives its main text, as the browser computes it.
JP_TEXT_COLOR = """() => {
    const probe = document.createElement("div");
    probe.style.color = "var(--jp-ui-font-color0)";
    document.body.append(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color;
}"""

CELL = """\
import os, time
import jupyter_sse as sse

ch = sse.channel("demo")
display(ch)
ch.status("phase", "training", variant="info")
bar = ch.progress(total=100_000, label="training", min_interval=0)
sent = set()
while not os.path.exists("stop"):
    bar.update(1)
    if os.path.exists("notify") and "notify" not in sent:
        sent.add("notify")
        ch.notify("Halfway there", title="demo", level="warning")
    if os.path.exists("fresh") and "fresh" not in sent:
        sent.add("fresh")
        sse.channel("fresh/run-7").status("phase", "created", variant="success")
    time.sleep(0.1)
"""


def _app(page: Page, command: str, args: str = "{}") -> None:
    page.evaluate(f"window.jupyterapp.commands.execute({command!r}, {args})")


def _open_notebook(page: Page, lab: LabServer) -> None:
    page.goto(f"{lab.url}lab/tree/demo.ipynb?token={lab.token}")
    sync_api.expect(page.locator("#jupyterlab-splash")).to_have_count(0)
    sync_api.expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible()


def _progress(page: Page) -> Locator:
    return page.locator(".jp-sse-output .jupyter-sse").get_by_role("progressbar").first


def _badge(page: Page, text: str) -> Locator:
    return page.locator(".jp-sse-output [data-slot=badge]", has_text=text).first


def _value(page: Page) -> int:
    return int(_progress(page).get_attribute("aria-valuenow") or "0")


def _advancing(page: Page, timeout_ms: float) -> None:
    """The bar is there within `timeout_ms` and then moves on."""
    sync_api.expect(_progress(page)).to_have_attribute("aria-valuenow", NONZERO, timeout=timeout_ms)
    seen = _value(page)
    wait_for(lambda: _value(page) > seen, "the progress bar to advance")


@pytest.mark.timeout(600)
def test_live_output_survives_reload_reopen_kernel_death_and_server_restart(
    tmp_path: Path,
) -> None:
    expect = sync_api.expect
    with lab_server(tmp_path, "lab-extension") as lab, chromium_page("lab-extension") as page:
        write_notebook(lab.root / "demo.ipynb", CELL)
        _open_notebook(page, lab)
        expect(page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle"))).to_be_visible()
        cell = page.locator(".jp-Notebook .jp-CodeCell").first
        cell.locator(".cm-content").click()
        page.keyboard.press("Shift+Enter")
        expect(cell.locator(".jp-InputPrompt")).to_contain_text("[*]")

        # Drawn by the extension, not by the anywidget, and live while the cell runs.
        _advancing(page, 60_000)
        expect(
            page.locator(".jp-sse-output [data-slot=badge]", has_text="training")
        ).to_be_visible()
        status = page.locator("[data-slot=live-connection]")
        expect(status).to_have_attribute("data-state", "live")
        expect(status).to_have_attribute("aria-label", re.compile("Live connection: live"))

        # (e) A notify from the busy cell: a JupyterLab toast, and in its notification centre.
        (lab.root / "notify").touch()
        expect(page.locator(".Toastify__toast", has_text="Halfway there").first).to_be_visible()
        page.locator(".jp-Notification-Status").click()
        centre = page.locator(".jp-Notification-Center")
        expect(centre.get_by_text(re.compile(r"\[demo\] demo: Halfway there"))).to_be_visible()
        page.locator(".jp-Notification-Status").click()

        # (g) Clicking the status item opens the Live panel; a channel the kernel
        # creates now appears there without a reload.
        status.click()
        panel = page.locator("[data-slot=live-panel]")
        expect(panel).to_be_visible()
        expect(panel.locator("[data-slot=live-channel][data-channel=demo]")).to_be_visible()
        (lab.root / "fresh").touch()
        expect(
            panel.locator('[data-slot=live-channel][data-channel="fresh/run-7"]')
        ).to_be_visible()
        # Its streams on this server, from the listing the new channel set off: this page's.
        demo_row = panel.locator("[data-slot=live-channel][data-channel=demo]")
        expect(demo_row.locator("[data-slot=badge]")).to_have_text(NONZERO)
        _screenshots(page, "light")

        # A channel opens as a live view of its own in the main area.
        fresh_row = panel.locator('[data-slot=live-channel][data-channel="fresh/run-7"]')
        fresh_row.get_by_role("button", name="Open fresh/run-7 as a live view").click()
        view = page.locator(".jp-sse-channel-view")
        expect(view.locator("[data-slot=badge]", has_text="created")).to_be_visible()
        _app(page, "docmanager:open", "{path: 'demo.ipynb'}")

        # Share: scope and lifetime in a dialog, then a viewer link (never the Jupyter token).
        demo_row.get_by_role("button", name="Share demo").click()
        dialog = page.locator(".jp-Dialog")
        expect(dialog.locator(".jp-sse-share-scope")).to_have_value("demo")
        dialog.locator(".jp-sse-share-ttl").select_option("3600")
        dialog.get_by_role("button", name="Copy link").click()
        link = page.locator(".Toastify__toast", has_text="sse/dashboard?token=").first
        expect(link).to_be_visible()
        assert lab.token not in link.inner_text()
        _switch_theme(page, "JupyterLab Dark")
        _screenshots(page, "dark")
        # The output's colours are JupyterLab's own in every theme, high contrast too.
        _switch_theme(page, "JupyterLab Dark High Contrast")
        _screenshots(page, "high-contrast")
        output = page.locator(".jp-sse-output .jupyter-sse").first
        assert output.evaluate("el => getComputedStyle(el).color") == page.evaluate(JP_TEXT_COLOR)
        _switch_theme(page, "JupyterLab Light")

        # (a) Reload while the cell still runs: back within 10 s of the notebook, and moving.
        # The output is in the file (as JupyterLab's autosave would have put it there):
        # a page that reloads never gets the running cell's output from the kernel again.
        _app(page, "docmanager:save")
        wait_for(lambda: "jupyter-sse.view+json" in (lab.root / "demo.ipynb").read_text(), "save")
        page.reload()
        expect(page.locator("#jupyterlab-splash")).to_have_count(0)
        expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible()
        _advancing(page, BACK_WITHIN_MS)

        # (b) Close the notebook's tab and open it again: the same.
        _close_all_saving(page)
        _app(page, "docmanager:open", "{path: 'demo.ipynb'}")
        expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible()
        _advancing(page, BACK_WITHIN_MS)

        # (c) The kernel dies mid-run: the output keeps the last state, also after a reload.
        kernels = lab.api("GET", "api/kernels").json()
        for kernel in kernels:
            assert lab.api("DELETE", f"api/kernels/{kernel['id']}").status_code == 204
        last = _settled_value(page)
        page.reload()
        expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible()
        expect(_progress(page)).to_have_attribute("aria-valuenow", str(last))

        # (d) + (f) The notebook keeps that state in the file; the server goes away (the
        # status says so), comes back with an empty embedded broker, and a reload still
        # shows the last state, from the notebook.
        notebook = lab.root / "demo.ipynb"

        def saved_last() -> bool:
            _app(page, "docmanager:save")
            progress = saved_view_state(notebook).get("demo", {}).get("snapshot", {})
            return progress.get("progress", {}).get("training", {}).get("value") == last

        wait_for(saved_last, "the last state to be saved in the notebook")
        lab.stop()
        expect(status).to_have_attribute("data-state", "reconnecting")
        lab.start()
        expect(status).to_have_attribute("data-state", "live")
        # The new server holds nothing of the channel: what shows now comes from the file.
        assert "demo" not in [row["channel"] for row in lab.api("GET", "sse/channels").json()]
        page.reload()
        expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible()
        expect(_progress(page)).to_have_attribute("aria-valuenow", str(last))
        expect(
            page.locator(".jp-sse-output [data-slot=badge]", has_text="training")
        ).to_be_visible()


def _close_all_saving(page: Page) -> None:
    """Closes every tab; the live output keeps saving its state, which makes JupyterLab
    ask whether to save the notebook: yes."""
    _app(page, "application:close-all")
    save = page.locator(".jp-Dialog").get_by_role("button", name="Save", exact=True)

    def closed() -> bool:
        if save.count() > 0:
            save.first.click()
        return page.locator(".jp-Notebook").count() == 0

    wait_for(closed, "the notebook to close")


def _settled_value(page: Page) -> int:
    """The bar's value once it stopped moving (the kernel that moved it is gone)."""
    previous = -1
    current = _value(page)
    while current != previous:
        previous = current
        page.wait_for_timeout(1500)
        current = _value(page)
    return current


def _switch_theme(page: Page, name: str) -> None:
    _app(page, "apputils:change-theme", f"{{theme: {name!r}}}")
    sync_api.expect(page.locator("body")).to_have_attribute("data-jp-theme-name", name)
    # JupyterLab names the theme once its stylesheet is in, then fades its splash out.
    sync_api.expect(page.locator("#jupyterlab-splash")).to_have_count(0)


def _screenshots(page: Page, theme: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"lab-extension-{theme}.png"))
