"""The dashboard's Activity view in headless Chromium against a real server: a 3 s cell
of a real kernel is announced in the feed, and, with the page in the background and
notifications turned on, as a browser notification."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.support.dashboard_server import (
    KERNEL_TIMEOUT,
    UI_TIMEOUT,
    DashboardServer,
    chromium,
    dashboard_server,
    local_contexts,
)

pytestmark = pytest.mark.timeout(240)

# Headless Chromium is never in the background and shows no notification: the page is
# told it is hidden, and `Notification` records what it is asked to show (the real one
# still runs, with the permission the context grants).
BACKGROUND = """
    let hidden = false;
    Object.defineProperty(document, "hidden", { get: () => hidden });
    window.__hide = () => { hidden = true; };
    window.__shown = [];
    const Real = window.Notification;
    window.Notification = class extends Real {
        constructor(title, options) {
            super(title, options);
            window.__shown.push({ title, body: options && options.body });
        }
    };
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    home = tmp_path_factory.mktemp("jupyter")
    with dashboard_server(home, "--SSEApp.notify_cells_after=1") as running:
        yield running


@pytest.fixture(autouse=True)
def ui_timeout() -> Iterator[None]:
    expect.set_options(timeout=UI_TIMEOUT)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


def test_a_long_cell_is_announced_in_the_feed_and_as_a_notification(
    server: DashboardServer,
) -> None:
    with chromium() as browser, local_contexts(browser) as new_context:
        context = new_context(permissions=["notifications"])
        context.add_init_script(BACKGROUND)
        page = context.new_page()
        page.goto(server.dashboard())
        page.get_by_role("tab", name="Activity").click()
        expect(page.locator('[data-slot="activity-empty"]')).to_be_visible()
        page.get_by_role("button", name="Enable browser notifications").click()
        expect(page.get_by_role("button", name="Turn off")).to_be_visible()

        kernel_id = server.start_notebook_kernel("train.ipynb")
        expect(page.locator('[data-slot="activity-kernel"]')).to_have_count(1)

        with server.kernel_client(kernel_id) as client:
            reply = client.execute_interactive("import time; time.sleep(3)", timeout=KERNEL_TIMEOUT)
            assert reply["content"]["status"] == "ok"
            notice = page.locator('[data-slot="activity-item"][data-kind="notice"]')
            expect(notice).to_contain_text(re.compile(r"train\.ipynb: cell 1 finished in \d+ s"))
            expect(notice).to_have_attribute("data-level", "success")
            assert page.evaluate("window.__shown") == []  # in front: a toast, no notification

            page.evaluate("window.__hide()")
            reply = client.execute_interactive("time.sleep(1.5); 1/0", timeout=KERNEL_TIMEOUT)
            assert reply["content"]["status"] == "error"
        expect(notice.first).to_contain_text("ZeroDivisionError")
        shown = page.evaluate("window.__shown")
        assert len(shown) == 1
        assert shown[0]["title"] == "train.ipynb"
        assert re.fullmatch(
            r"train\.ipynb: cell 2 failed after \d+ s: ZeroDivisionError: division by zero",
            shown[0]["body"],
        )
