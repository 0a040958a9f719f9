"""The chat panel and presence avatars of the dashboard in headless Chromium: a Jupyter
user and a viewer link minted with ``comment`` chat both ways on a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.dashboard_server import (
    UI_TIMEOUT,
    DashboardServer,
    chromium,
    dashboard_server,
    local_contexts,
)

CHANNEL = "review/run-1"
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    with dashboard_server(tmp_path_factory.mktemp("jupyter")) as running:
        yield running


@pytest.fixture(autouse=True)
def ui_timeout() -> Iterator[None]:
    expect.set_options(timeout=UI_TIMEOUT)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


def chat(page: Page) -> object:
    return page.locator(f'[data-slot="chat-panel"][data-channel="{CHANNEL}"]')


def open_chat(page: Page) -> None:
    """Shows the channel's chat panel (open at first when it is the only card)."""
    button = page.locator('[data-slot="chat-button"]')
    expect(button).to_be_visible()
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    expect(page.locator('[data-slot="chat-panel"]')).to_be_visible()


def send(page: Page, text: str) -> None:
    field = page.get_by_role("textbox", name="Message")
    expect(field).to_be_enabled()
    field.fill(text)
    field.press("Enter")
    expect(field).to_have_value("")


def message(page: Page, text: str) -> object:
    return page.locator('[data-slot="chat-message"]').filter(
        has=page.locator('[data-slot="chat-text"]', has_text=text)
    )


def test_a_user_and_a_commenting_viewer_chat_both_ways_and_see_each_other(
    server: DashboardServer,
) -> None:
    with chromium() as browser, local_contexts(browser) as new_context:
        user = new_context().new_page()
        user.goto(server.dashboard(CHANNEL))
        open_chat(user)
        viewer = new_context().new_page()
        viewer.goto(server.share([CHANNEL], comment=True, label="Dana (review)"))
        open_chat(viewer)

        # Presence: each page sees both people, the viewer by its link's label.
        for page in (user, viewer):
            avatars = page.locator('[data-slot="channel-card"] [data-slot="presence-avatars"]')
            expect(avatars).to_have_attribute("data-count", "2")
            expect(avatars).to_have_attribute("aria-label", re.compile(r"Dana \(review\)"))

        # User → viewer, with markup that must stay text.
        markup = 'Loss spiked at <b>step 4k</b> <img src=x onerror="document.title=1">'
        send(user, markup)
        shown = message(viewer, "Loss spiked")
        expect(shown.locator('[data-slot="chat-text"]')).to_have_text(markup)
        assert shown.locator("b, img").count() == 0
        author = shown.locator('[data-slot="chat-author"]').inner_text()

        # Viewer → user, replying, with a link made clickable and safe.
        shown.hover()
        shown.get_by_role("button", name=re.compile("^Reply to")).click()
        send(viewer, "Seen it, see https://example.org/run?step=4000.")
        reply = message(user, "Seen it")
        expect(reply.locator('[data-slot="chat-author"]')).to_have_text("Dana (review)")
        expect(reply.locator('[data-slot="chat-quote"]')).to_contain_text(f"{author}:")
        link = reply.get_by_role("link", name="https://example.org/run?step=4000")
        expect(link).to_have_attribute("href", "https://example.org/run?step=4000")
        expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")

        # The user sees the viewer's message as news while its chat is closed.
        user.locator('[data-slot="chat-button"]').click()
        send(viewer, "one more thing")
        expect(user.locator('[data-slot="chat-unread"]')).to_have_text("1")
        user.locator('[data-slot="chat-button"]').click()
        expect(message(user, "one more thing")).to_be_visible()

        # A reload keeps the conversation (the snapshot carries it), edits included.
        own = message(viewer, "one more thing")
        own.hover()
        own.get_by_role("button", name="Edit message").click()
        edit = viewer.get_by_role("textbox", name="Edit message")
        edit.fill("one more thing: lr was 0.1")
        edit.press("Enter")
        expect(message(user, "lr was 0.1")).to_have_attribute("data-edited", "true")
        viewer.reload()
        open_chat(viewer)
        texts = viewer.locator('[data-slot="chat-text"]')
        expect(texts).to_have_count(3)
        expect(texts.nth(0)).to_have_text(markup)
        expect(texts.nth(2)).to_have_text("one more thing: lr was 0.1")
        # The markup's handler never ran on either page.
        assert user.title() != "1"
        assert viewer.title() != "1"


def test_a_viewer_link_without_comment_reads_but_cannot_write(server: DashboardServer) -> None:
    with chromium() as browser, local_contexts(browser) as new_context:
        page = new_context().new_page()
        page.goto(server.share([CHANNEL], comment=False))
        open_chat(page)
        field = page.get_by_role("textbox", name="Message")
        expect(field).to_be_disabled()
        expect(page.locator('[data-slot="chat-hint"]')).to_have_text(
            re.compile("lets you read, not write")
        )
        expect(page.get_by_role("button", name="Send")).to_be_disabled()
