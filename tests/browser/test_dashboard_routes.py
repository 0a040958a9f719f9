"""The dashboard's routes and languages in headless Chromium, against a real Jupyter
server under a JupyterHub-style base_url: every route deep-links and survives a reload,
a viewer's scope holds on each, and a Thai browser gets the page in Thai."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from tests.browser.test_dashboard import (
    TRAINING_RUN,
    JupyterServer,
    browser,
    card,
    new_context,
    screenshot,
    server,
    status_badge,
    ui_timeout,
)

# Fixtures shared with the dashboard's first test module (imported, not redefined).
__all__ = ["browser", "new_context", "server", "ui_timeout"]

THAI = re.compile(r"[\u0e00-\u0e7f]")
# A channel name in the picker (other tests' channels too): data, like a table's cells.
# The initials on a watcher's avatar (presence): a person's name, not a label.
INITIALS = re.compile(r"[A-Z]{1,2}")
CHANNEL = re.compile(r"[A-Za-z0-9_.:-]+(/[A-Za-z0-9_.:*-]+)+")


def login(server: JupyterServer, page: Page) -> None:
    """Logs the browser in with the Jupyter token, once; later visits use the cookie."""
    page.goto(server.dashboard())
    expect(page.locator('[data-slot="dashboard"]')).to_be_visible()


def csp_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    return errors


def test_each_route_deep_links_and_survives_a_reload(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """Opened from its address, each route shows its page, and again after a reload."""
    server.run_script(TRAINING_RUN.format(channel="routes/a"))
    server.run_script(TRAINING_RUN.format(channel="routes/b"))
    page = new_context().new_page()
    violations = csp_errors(page)
    login(server, page)
    dashboard = f"{server.base}sse/dashboard"
    routes: list[tuple[str, str, list[str]]] = [
        ("overview", f"{dashboard}/?channel=routes/a", ["routes/a"]),
        ("channel", f"{dashboard}/channel/routes/a", ["routes/a"]),
        ("channel", f"{dashboard}/channel/routes/*", ["routes/*"]),
        ("compare", f"{dashboard}/compare?channel=routes/a&channel=routes/b", []),
        ("system", f"{dashboard}/system", []),
        ("activity", f"{dashboard}/activity", []),
        ("chat", f"{dashboard}/chat/routes/a", ["routes/a"]),
    ]
    for section, url, channels in routes:
        page.goto(url)
        for attempt in ("opened", "reloaded"):
            root = page.locator('[data-slot="dashboard"]')
            expect(root).to_have_attribute("data-section", section)
            for channel in channels:
                expect(card(page, channel)).to_have_attribute("data-loaded", "true")
            if section == "compare":
                expect(page.get_by_role("region", name="loss by run")).to_be_visible()
            if "routes/a" in channels:
                expect(status_badge(page, "routes/a", "phase")).to_have_text("training")
            assert page.url == url, (attempt, page.url)
            if attempt == "opened":
                page.reload()
    # An address under sse/dashboard/ that names no page says so, with a way back.
    page.goto(f"{dashboard}/nowhere")
    expect(page.locator('[data-slot="not-found"]')).to_be_visible()
    page.get_by_role("link", name="Back to the channels").click()
    expect(page).to_have_url(f"{dashboard}/")
    assert violations == []


def test_links_move_between_routes_without_a_page_load(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """A card opens its own page and the header leads back, all in one page load."""
    server.run_script(TRAINING_RUN.format(channel="nav/run"))
    page = new_context().new_page()
    page.goto(server.dashboard("nav/run"))
    expect(status_badge(page, "nav/run", "phase")).to_have_text("training")
    page.evaluate("window.__loadedOnce = true")
    page.get_by_role("link", name="Open nav/run on its own page").click()
    expect(page).to_have_url(f"{server.base}sse/dashboard/channel/nav/run")
    expect(page.locator('[data-slot="page-title"]')).to_have_text("nav/run")
    expect(status_badge(page, "nav/run", "phase")).to_have_text("training")
    page.get_by_role("navigation", name="Dashboard").first.get_by_role(
        "link", name="System"
    ).click()
    expect(page.locator('[data-slot="dashboard"]')).to_have_attribute("data-section", "system")
    page.go_back()
    expect(page).to_have_url(f"{server.base}sse/dashboard/channel/nav/run")
    assert page.evaluate("window.__loadedOnce") is True


def test_a_channel_named_like_a_comment_opener_does_not_blank_the_page(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """`?channel=<!--<script>` once swallowed the page; now it is a refused name."""
    page = new_context().new_page()
    violations = csp_errors(page)
    login(server, page)
    page.goto(f"{server.base}sse/dashboard?channel={quote('<!--<script>')}&channel=ok/run")
    expect(page.locator('[data-slot="refused-channels"]')).to_contain_text("<!--<script>")
    expect(card(page, "ok/run")).to_have_attribute("data-loaded", "true")
    assert violations == []


def test_a_viewer_scope_holds_on_every_route(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """A link's routes show its channels; pages of other channels show nothing of them."""
    server.publish(
        {"channel": "scope/run", "type": "status", "data": {"key": "phase", "value": "eval"}},
        {"channel": "hidden/run", "type": "status", "data": {"key": "phase", "value": "x"}},
    )
    link = server.share(["scope/*"], ttl=600)
    # A link may name a route: the exchange comes back to it.
    page = new_context().new_page()
    page.goto(link.replace("sse/dashboard?", "sse/dashboard/channel/scope/run?"))
    expect(page).to_have_url(
        re.compile(re.escape(f"{server.base}sse/dashboard/channel/scope/run?"))
    )
    assert "token" not in parse_qs(urlsplit(page.url).query)
    expect(status_badge(page, "scope/run", "phase")).to_have_text("eval")
    page.reload()
    expect(status_badge(page, "scope/run", "phase")).to_have_text("eval")
    nav = page.get_by_role("navigation", name="Dashboard").first
    expect(nav.get_by_role("link", name="System")).to_have_count(0)
    for route, refused in [
        ("channel/hidden/run", "hidden/run"),
        ("system", "jupyter/system"),
        ("activity", "jupyter/activity"),
        ("compare?channel=scope/run&channel=hidden/run", "hidden/run"),
    ]:
        page.goto(f"{server.base}sse/dashboard/{route}")
        expect(page.locator('[data-slot="refused-channels"]')).to_contain_text(refused)
        expect(card(page, refused)).to_have_count(0)
    # The compare page still streams the one channel the link covers.
    expect(page.locator('[data-slot="connection-indicator"]')).to_have_attribute(
        "data-status", "open"
    )


# The visible text nodes and the labels (aria-label, title, placeholder) of the page
# that hold a Latin letter.
LATIN_TEXT = """() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!el || el.closest("script, style, option") || !el.checkVisibility()) continue;
        if (/[A-Za-z]/.test(node.data)) found.push(node.data.trim());
    }
    for (const el of document.querySelectorAll("[aria-label], [title], [placeholder]")) {
        for (const name of ["aria-label", "title", "placeholder"]) {
            const value = el.getAttribute(name);
            if (value && /[A-Za-z]/.test(value)) found.push(value.trim());
        }
    }
    return found;
}"""

# What TRAINING_RUN publishes (names, keys, values, log and notify text), the product's
# name, a language's own name and units of measure: data, not labels.
PUBLISHED = [
    "jupyter-sse",
    "thai/run",
    "training",
    "ok",
    "phase",
    "gpu",
    "epochs",
    "batches",
    "results",
    "lr",
    "batch",
    "score",
    "loss",
    "accuracy",
    "loaded 60000 training images",
    "learning rate warm-up finished",
    "checkpoint saved",
    "epoch 3",
    "it/s",
    "English",
    "train/*",
]


def test_a_thai_browser_gets_thai_and_english_is_remembered(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """With `th-TH` the labels, numbers and dates are Thai; a switch to English persists."""
    channel = "thai/run"
    server.run_script(TRAINING_RUN.format(channel=channel))
    context = new_context(locale="th-TH")
    page = context.new_page()
    page.goto(server.dashboard(channel))
    expect(status_badge(page, channel, "phase")).to_have_text("training")
    expect(page.locator("html")).to_have_attribute("lang", "th")
    header = page.locator('[data-slot="dashboard-header"]')
    expect(header).to_contain_text("แดชบอร์ดสด")
    expect(page.get_by_role("button", name="แสดงรายการช่อง")).to_have_count(0)  # desktop
    expect(page.locator('[data-slot="picker-entry"][data-channel="thai/run"]')).to_contain_text(
        "เหตุการณ์"
    )
    expect(card(page, channel).get_by_role("region", name="ตาราง results")).to_be_visible()
    # Dates in the Buddhist era, with Thai month names.
    last_event = card(page, channel).locator('[data-slot="last-event"]')
    title = last_event.get_attribute("title") or ""
    assert THAI.search(title), title
    assert re.search(r"25[6-9]\d", title), title
    # Every label the page draws is Thai: what is left in Latin letters is the data.
    latin = page.evaluate(LATIN_TEXT)
    untranslated = [
        text
        for text in latin
        if not CHANNEL.fullmatch(text)
        and not INITIALS.fullmatch(text)
        and not THAI.search(text)  # Thai, with a Latin acronym (CSV, Enter)
        and not any(d in text for d in PUBLISHED)
    ]
    assert untranslated == [], untranslated
    screenshot(page, "dashboard-th-light.png")

    page.get_by_label("ภาษา").select_option("en")
    expect(header).to_contain_text("Live dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(status_badge(page, channel, "phase")).to_have_text("training")
    expect(header).to_contain_text("Live dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    title = card(page, channel).locator('[data-slot="last-event"]').get_attribute("title") or ""
    assert not THAI.search(title), title


def test_screenshots_in_both_languages_themes_and_widths(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """English and Thai, light and dark, desktop and a 375 px phone: test artifacts."""
    channel = "shots/run"
    server.run_script(TRAINING_RUN.format(channel=channel))
    sizes: dict[str, dict[str, Any]] = {
        "desktop": {"viewport": {"width": 1280, "height": 900}},
        "phone": {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2},
    }
    for locale, language in (("en-US", "en"), ("th-TH", "th")):
        for size, options in sizes.items():
            for scheme in ("light", "dark"):
                context = new_context(locale=locale, color_scheme=scheme, **options)
                page = context.new_page()
                page.goto(server.dashboard(channel))
                expect(status_badge(page, channel, "phase")).to_have_text("training")
                expect(card(page, channel).locator("[data-points]").first).to_have_attribute(
                    "data-points", "40"
                )
                expect(page.locator('[data-slot="dashboard"]')).to_have_attribute(
                    "data-theme", scheme
                )
                overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
                assert overflow <= 0, (locale, size, scheme, overflow)
                # Thai glyphs come from the bundled font, not from the system's.
                if language == "th":
                    assert page.evaluate("document.fonts.check('16px \"Noto Sans Thai\"', 'ช่อง')")
                screenshot(page, f"dashboard-{language}-{scheme}-{size}.png")
                context.close()
