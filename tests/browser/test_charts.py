"""The chart tools on the dashboard page (``sse/dashboard``) in headless Chromium, against
a real Jupyter server under a JupyterHub-style base_url: smoothing, log scale, zoom, the
legend, the compare view and the CSV and PNG downloads.
"""

from __future__ import annotations

import csv
import io
import math
import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser import test_dashboard as dashboard
from tests.browser.test_dashboard import JupyterServer, card, screenshot

# The dashboard's server, browser and page fixtures, shared rather than copied: pytest
# finds a fixture by its name in the module.
server = dashboard.server
browser = dashboard.browser
new_context = dashboard.new_context
ui_timeout = dashboard.ui_timeout

pytestmark = pytest.mark.timeout(180)

STEPS = 120


def publish_run(server: JupyterServer, channel: str, *, offset: float = 0.0) -> None:
    """A training run's metrics: a noisy loss from 1 down to 0.001, and an accuracy."""
    events = []
    for step in range(STEPS):
        loss = 10 ** (-3 * step / (STEPS - 1)) * (1 + 0.3 * math.sin(step * 1.7)) + offset
        accuracy = 1 - math.exp(-step / 30)
        events.append(
            {
                "channel": channel,
                "type": "metric",
                "data": {"step": step, "values": {"loss": loss, "accuracy": accuracy}},
            }
        )
    server.publish(*events)


def chart(page: Page, channel: str) -> Locator:
    return card(page, channel).locator('[data-slot="chart"]').first


def next_frames(page: Page) -> None:
    """Waits two animation frames: a draw requested before now has happened."""
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def drawn_pixels(figure: Locator) -> str:
    """The plot's canvas as the browser drew it (a data URL of its pixels)."""
    pixels: str = figure.locator("canvas").evaluate("c => c.toDataURL()")
    return pixels


def open_run(
    server: JupyterServer, new_context: Callable[..., BrowserContext], channel: str
) -> Page:
    publish_run(server, channel)
    page = new_context(accept_downloads=True).new_page()
    page.goto(server.dashboard(channel))
    expect(chart(page, channel)).to_have_attribute("data-points", str(STEPS))
    return page


def test_smoothing_changes_the_drawn_line(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """Moving the smoothing slider redraws the lines, the raw ones kept behind."""
    channel = "charts/smooth"
    page = open_run(server, new_context, channel)
    figure = chart(page, channel)
    next_frames(page)
    raw = drawn_pixels(figure)
    next_frames(page)
    assert drawn_pixels(figure) == raw, "the chart keeps redrawing with nothing new"
    legend_before = figure.locator('[data-slot="chart-legend"]').inner_text()

    card(page, channel).get_by_label("Smoothing").fill("0.9")
    expect(figure).to_have_attribute("data-smoothing", "0.9")
    page.wait_for_function(
        "([el, raw]) => el.querySelector('canvas').toDataURL() !== raw",
        arg=[figure.element_handle(), raw],
    )
    # The legend reads the smoothed value of the last point, not the raw one.
    expect(figure.locator('[data-slot="chart-legend"]')).not_to_have_text(legend_before)
    screenshot(page, "chart-smoothed.png")

    # The setting is the chart's own: a reload shows it smoothed still.
    page.reload()
    expect(chart(page, channel)).to_have_attribute("data-points", str(STEPS))
    expect(chart(page, channel)).to_have_attribute("data-smoothing", "0.9")
    expect(card(page, channel).get_by_label("Smoothing")).to_have_value("0.9")


def test_log_scale_switches_the_axis(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """Log shows decades on the y axis; a value at or below 0 is refused, with a notice."""
    channel = "charts/log"
    page = open_run(server, new_context, channel)
    figure = chart(page, channel)
    # One series at a time, so the ticks are those of the loss (1 to 0.001).
    figure.get_by_role("button", name="Hide accuracy").click()
    expect(figure).to_have_attribute("data-y-ticks", re.compile(r"^0 .*\b1$"))
    linear = figure.get_attribute("data-y-ticks") or ""
    assert "0.01" not in linear.split(), linear
    tools = card(page, channel).get_by_role("group", name="Y axis scale")
    tools.get_by_role("button", name="Log").click()
    expect(figure).to_have_attribute("data-scale", "log")
    expect(figure).to_have_attribute("data-y-ticks", re.compile(r"^0\.001 0\.01 0\.1 1\b"))
    expect(tools.get_by_role("button", name="Log")).to_have_attribute("aria-pressed", "true")

    # A loss of 0 cannot be drawn on a log axis: the chart says so and stays linear.
    server.publish(
        {"channel": channel, "type": "metric", "data": {"step": STEPS, "values": {"loss": 0}}}
    )
    expect(figure).to_have_attribute("data-scale", "linear")
    expect(figure.get_by_role("status")).to_contain_text(
        f"Log scale needs values above 0: loss is 0 at step {STEPS}"
    )


def test_zoom_crosshair_and_legend(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """Drag zooms, the crosshair's values fill the legend, double-click resets."""
    channel = "charts/zoom"
    page = open_run(server, new_context, channel)
    figure = chart(page, channel)
    over = figure.locator(".u-over")
    box = over.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2

    page.mouse.move(box["x"] + box["width"] / 2, y)
    expect(figure.locator('[data-slot="chart-legend-heading"]')).to_have_text(
        re.compile(r"^step \d+$")
    )

    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.up()
    expect(figure).to_have_attribute("data-zoomed", "true")
    reset = card(page, channel).get_by_role("button", name="Reset zoom")
    expect(reset).to_be_enabled()

    # The CSV holds the zoomed range at full resolution, without the hidden series.
    legend_button = figure.get_by_role("button", name="Hide accuracy")
    legend_button.focus()
    page.keyboard.press("Enter")
    expect(figure.get_by_role("button", name="Show accuracy")).to_have_attribute(
        "aria-pressed", "false"
    )
    rows = download_csv(page, channel)
    assert rows[0] == ["step", "loss"]
    steps = [int(row[0]) for row in rows[1:]]
    assert steps == list(range(steps[0], steps[-1] + 1)), "every point of the range"
    assert steps[0] >= 20, steps
    assert steps[-1] <= 70, steps
    assert len(steps) > 10, steps

    over.dblclick(position={"x": box["width"] / 2, "y": box["height"] / 2})
    expect(figure).to_have_attribute("data-zoomed", "false")
    expect(reset).to_be_disabled()


def download_csv(page: Page, channel: str) -> list[list[str]]:
    with page.expect_download() as info:
        card(page, channel).get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == channel.replace("/", "-") + ".csv"
    text = Path(download.path()).read_text()
    return list(csv.reader(io.StringIO(text)))


def test_csv_and_png_downloads(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """CSV: a header and every point of the visible series; PNG: an image of the chart."""
    channel = "charts/export"
    page = open_run(server, new_context, channel)
    rows = download_csv(page, channel)
    assert rows[0] == ["step", "loss", "accuracy"]
    assert len(rows) == 1 + STEPS
    assert rows[1][0] == "0"
    assert float(rows[1][1]) == pytest.approx(1.0)
    assert rows[-1][0] == str(STEPS - 1)

    with page.expect_download() as info:
        card(page, channel).get_by_role("button", name="Download PNG").click()
    download = info.value
    assert download.suggested_filename == "charts-export.png"
    data = Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    plot = chart(page, channel).locator("canvas").evaluate("c => [c.width, c.height]")
    # The plot plus room for the title and the legend.
    assert width > plot[0], (width, plot)
    assert height > plot[1], (height, plot)


def test_compare_overlays_two_channels(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """Two runs watched: the compare view draws one metric of both, one colour each."""
    runs = ["charts/run-a", "charts/run-b"]
    publish_run(server, runs[0])
    publish_run(server, runs[1], offset=0.5)
    page = new_context(accept_downloads=True).new_page()
    page.goto(server.dashboard(*runs))
    for run in runs:
        expect(chart(page, run)).to_have_attribute("data-points", str(STEPS))

    page.get_by_role("button", name="Compare 2 runs").click()
    view = page.locator('[data-slot="compare-view"]')
    figure = view.locator('[data-slot="chart"]')
    expect(figure).to_have_attribute("data-series", "2")
    expect(figure).to_have_attribute(
        "aria-label", f"Line chart of {runs[0]}, {runs[1]} by step, {STEPS} points"
    )
    swatches = figure.locator('[data-slot="chart-legend-swatch"]')
    classes: list[Any] = swatches.evaluate_all("els => els.map((e) => e.className)")
    assert "bg-chart-1" in classes[0], classes
    assert "bg-chart-2" in classes[1], classes
    for run in runs:
        expect(figure.get_by_role("button", name=f"Hide {run}")).to_be_visible()

    view.get_by_label("Metric").select_option("accuracy")
    expect(view).to_have_attribute("data-metric", "accuracy")
    with page.expect_download() as info:
        view.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text())))
    assert rows[0] == ["step", *runs]
    assert len(rows) == 1 + STEPS
    screenshot(page, "chart-compare.png")
