"""The dashboard's System view in headless Chromium against a real server: numbers that
change every sample, the kernel of a notebook busy in its table, and no GPU said so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.dashboard_server import (
    KERNEL_TIMEOUT,
    UI_TIMEOUT,
    DashboardServer,
    chromium,
    dashboard_server,
    local_contexts,
    wait_for,
)

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    home = tmp_path_factory.mktemp("jupyter")
    with dashboard_server(home, "--SSEApp.system_interval=0.5") as running:
        yield running


@pytest.fixture(autouse=True)
def ui_timeout() -> Iterator[None]:
    expect.set_options(timeout=UI_TIMEOUT)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


def stats(page: Page) -> dict[str, str]:
    values: dict[str, str] = page.eval_on_selector_all(
        '[data-slot="system-stat"]',
        """(tiles) => Object.fromEntries(tiles.map((t) => [t.dataset.name,
            t.querySelector('[data-slot="system-stat-value"]').textContent.trim()]))""",
    )
    return values


def chart_points(page: Page) -> int:
    points: Any = page.locator('[data-slot="system-chart"] [data-points]').first.get_attribute(
        "data-points"
    )
    return int(points or 0)


def test_the_system_view_shows_live_numbers_kernels_and_no_gpu(server: DashboardServer) -> None:
    kernel_id = server.start_notebook_kernel("train.ipynb")
    with chromium() as browser, local_contexts(browser) as new_context:
        page = new_context().new_page()
        page.goto(server.dashboard())
        page.get_by_role("tab", name="System").click()
        expect(page).to_have_url(re.compile("#system$"))

        cpu = page.locator('[data-slot="system-stat"][data-name="cpu_percent"]')
        expect(cpu.locator('[data-slot="system-stat-value"]')).to_have_text(re.compile(r"^\d"))
        expect(page.locator('[data-slot="system-stat"][data-name="memory_used"]')).to_contain_text(
            re.compile(r"\d+(\.\d)? [KMGT]iB")
        )
        first, points = stats(page), chart_points(page)
        # Samples keep coming: the charts grow and the numbers move.
        page.wait_for_function(
            """(n) => Number(document.querySelector(
                '[data-slot="system-chart"] [data-points]').dataset.points) >= n""",
            arg=points + 3,
        )
        page.wait_for_function(
            """(first) => [...document.querySelectorAll('[data-slot="system-stat"]')].some((t) =>
                t.querySelector('[data-slot="system-stat-value"]').textContent.trim()
                    !== first[t.dataset.name])""",
            arg=first,
        )
        assert stats(page) != first

        # This machine has no GPU: the view says so, in the server's words.
        expect(page.locator('[data-slot="no-gpu"]')).to_contain_text(re.compile("no GPU", re.I))

        # The notebook's kernel is in the table; working, it shows busy and its CPU.
        row = page.locator(f'[data-slot="kernel-row"][data-kernel="{kernel_id}"]')
        expect(row).to_contain_text("train.ipynb")
        with server.kernel_client(kernel_id) as client:
            client.execute("import time\nt = time.time()\nwhile time.time() - t < 6: pass")
            expect(row).to_have_attribute("data-state", "busy")
            expect(row.locator('[data-slot="kernel-cpu"]')).to_have_text(
                re.compile(r"^([1-9]\d*|0\.[1-9])")
            )
            client.get_shell_msg(timeout=KERNEL_TIMEOUT)
        expect(row).to_have_attribute("data-state", "idle")

        # Leaving the view lets the channel go, so the server stops sampling.
        assert system_subscribers(server) == 1
        page.get_by_role("tab", name="Channels").click()
        expect(page.locator('[data-slot="system-view"]')).to_have_count(0)
        wait_for("the stream to drop jupyter/system", lambda: system_subscribers(server) == 0, 20)


def system_subscribers(server: DashboardServer) -> int:
    rows = httpx.get(server.base + "sse/channels", headers=server.auth, timeout=10).json()
    return sum(row["subscribers"] for row in rows if row["channel"] == "jupyter/system")
