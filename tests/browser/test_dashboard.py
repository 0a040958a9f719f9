"""The dashboard page (``sse/dashboard``) in headless Chromium, against a real Jupyter
server that runs under a JupyterHub-style base_url, with events published from outside.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from tests.support.chromium import ARTIFACTS, CHROMIUM_ARGS, executable

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "jupyter_sse" / "static"
BASE_URL = "/hub/user/alice/"
START_TIMEOUT = 60.0  # seconds for the server to come up
UI_TIMEOUT = 15_000  # ms for the page to show something that was published

DARK = re.compile(r"(^|\s)dark(\s|$)")

pytestmark = pytest.mark.timeout(180)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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
class JupyterServer:
    """A ``jupyter server`` subprocess with the extension, seen from the outside."""

    origin: str  # http://127.0.0.1:PORT
    token: str  # the Jupyter token: full access
    publish_env: dict[str, str]  # JUPYTER_SSE_URL/TOKEN from the server's runtime file

    @property
    def base(self) -> str:
        return self.origin + BASE_URL

    def dashboard(self, *channels: str, token: bool = True) -> str:
        """The dashboard URL of a Jupyter user (the token logs the browser in)."""
        query = "&".join(
            [f"channel={c}" for c in channels] + ([f"token={self.token}"] if token else [])
        )
        return f"{self.base}sse/dashboard" + (f"?{query}" if query else "")

    def publish(self, *events: dict[str, Any]) -> None:
        """Publishes over HTTP with the server's publish-only token, as a kernel would."""
        response = httpx.post(
            self.publish_env["JUPYTER_SSE_URL"] + "sse/publish",
            json=list(events),
            headers={"Authorization": f"token {self.publish_env['JUPYTER_SSE_TOKEN']}"},
            timeout=10,
        )
        response.raise_for_status()

    def run_script(self, source: str) -> None:
        """Runs ``source`` in a fresh Python that finds the server through its environment."""
        subprocess.run(
            [sys.executable, "-c", textwrap.dedent(source)],
            env={**os.environ, **self.publish_env},
            check=True,
            timeout=60,
        )

    def share(self, channels: list[str], ttl: float) -> str:
        """A viewer link, minted as ``jupyter_sse.share`` does."""
        response = httpx.post(
            self.base + "sse/tokens",
            json={"channels": channels, "ttl": ttl},
            headers={"Authorization": f"token {self.token}"},
            timeout=10,
        )
        response.raise_for_status()
        url: str = response.json()["url"]
        return url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    if not (STATIC / "dashboard" / "boot.js").exists():
        pytest.fail("jupyter_sse/static/dashboard/boot.js is missing: run `npm run build` in js/")
    home = tmp_path_factory.mktemp("jupyter")
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
    port = free_port()
    token = "dashboard-test-" + os.urandom(8).hex()
    log = (home / "server.log").open("w")
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
        ]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    runtime_file = dirs["runtime"] / f"jupyter_sse-{proc.pid}.json"

    def runtime_info() -> dict[str, Any] | None:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter server exited:\n{(home / 'server.log').read_text()}")
        try:
            info: dict[str, Any] = json.loads(runtime_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None  # not written yet, or half-written
        return info

    def ready(origin: str) -> bool:
        try:
            r = httpx.get(f"{origin}{BASE_URL}api/status", params={"token": token}, timeout=2)
        except httpx.TransportError:
            return False
        return r.status_code == 200

    try:
        info = wait_for("the server's runtime file", runtime_info, START_TIMEOUT)
        origin = f"http://127.0.0.1:{port}"
        assert info["url"] == origin + BASE_URL, info
        wait_for("the server to answer", lambda: ready(origin), START_TIMEOUT)
        yield JupyterServer(
            origin=origin,
            token=token,
            publish_env={"JUPYTER_SSE_URL": info["url"], "JUPYTER_SSE_TOKEN": info["token"]},
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Per test, not per module: pytest-jupyter closes its event loop after each test,
    # and Playwright's sync API runs on that loop.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def ui_timeout() -> Iterator[None]:
    """Gives ``expect`` the same patience as the page's own waits, for this module only."""
    expect.set_options(timeout=UI_TIMEOUT)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser profiles (no cookies, no storage) that can reach only 127.0.0.1."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def local_only(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.hostname == "127.0.0.1" or url.scheme in ("data", "blob"):
            route.continue_()
        else:
            route.abort()

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(UI_TIMEOUT)
        context.route("**/*", local_only)
        context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def card(page: Page, channel: str) -> Any:
    return page.locator(f'[data-slot="channel-card"][data-channel="{channel}"]')


def status_badge(page: Page, channel: str, key: str) -> Any:
    """The badge of status ``key``: the ``dd`` next to the ``dt`` that names it."""
    return card(page, channel).locator(f'dt:text-is("{key}") + dd [data-slot="badge"]')


def progress_bar(page: Page, channel: str, label: str) -> Any:
    return card(page, channel).get_by_role("progressbar", name=label)


def screenshot(page: Page, name: str) -> None:
    # Toasts slide in: wait until every finite animation (not a skeleton's pulse) ended.
    page.wait_for_function(
        """() => document.getAnimations().every(
            (a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity)"""
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


TRAINING_RUN = """
    import math
    import jupyter_sse as sse

    ch = sse.channel({channel!r})
    ch.status("phase", "training", variant="info")
    ch.status("gpu", "ok", variant="success")
    ch.publish("progress", {{"key": "epoch", "value": 3, "total": 10, "label": "epochs"}})
    ch.publish("progress", {{"key": "batch", "value": 640, "total": 1000, "label": "batches",
                            "rate": 212.5, "eta": 1.7}})
    for step in range(1, 41):
        ch.metric(step=step, loss=2.0 * math.exp(-step / 12) + 0.05 * math.sin(step),
                  accuracy=1 - math.exp(-step / 15))
    results = ch.table("results")
    results.append({{"lr": 0.1, "batch": 64, "score": 0.87}})
    results.append({{"lr": 0.03, "batch": 128, "score": 0.93}})
    ch.log("loaded 60000 training images")
    ch.log("learning rate warm-up finished", level="success")
    ch.notify("checkpoint saved", title="epoch 3", level="success")
    sse.flush()
"""


def test_user_sees_what_a_script_publishes(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """A Jupyter user opens the dashboard; a script publishes; the page shows every kind."""
    channel = "train/run-1"
    page = new_context().new_page()
    page.goto(server.dashboard(channel))
    expect(card(page, channel)).to_have_attribute("data-loaded", "true")
    # The Jupyter token has logged the browser in and left the address bar. (SvelteKit
    # spells its root route with a slash.)
    expect(page).to_have_url(f"{server.base}sse/dashboard/?channel={channel}")

    server.run_script(TRAINING_RUN.format(channel=channel))

    expect(status_badge(page, channel, "phase")).to_have_text("training")
    expect(status_badge(page, channel, "gpu")).to_have_text("ok")
    expect(progress_bar(page, channel, "epochs")).to_have_attribute("aria-valuenow", "3")
    expect(progress_bar(page, channel, "batches")).to_have_attribute("aria-valuenow", "640")
    expect(page.locator('[data-slot="toast"]')).to_contain_text("checkpoint saved")
    table = card(page, channel).get_by_role("region", name="Table results")
    expect(table.get_by_role("row").filter(has_text="0.93")).to_have_count(1)
    expect(card(page, channel).locator("[data-points]").first).to_have_attribute(
        "data-points", "40"
    )
    expect(card(page, channel).get_by_role("log")).to_contain_text("learning rate warm-up finished")
    entry = page.locator(f'[data-slot="picker-entry"][data-channel="{channel}"]')
    expect(entry).to_have_attribute("data-selected", "true")
    expect(entry.locator('[data-slot="subscribers"]')).to_contain_text("1")
    expect(page.locator('[data-slot="connection-indicator"]')).to_have_attribute(
        "data-status", "open"
    )
    screenshot(page, "dashboard-light.png")

    # Dark: the choice survives a reload (localStorage), and the page stays live.
    page.get_by_role("button", name="Switch to dark theme").click()
    expect(page.locator('[data-slot="dashboard"]')).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator('[data-slot="dashboard"]')).to_have_class(DARK)
    expect(status_badge(page, channel, "phase")).to_have_text("training")
    server.publish(
        {"channel": channel, "type": "notify", "data": {"message": "evaluation started"}}
    )
    expect(page.locator('[data-slot="toast"]')).to_contain_text("evaluation started")
    screenshot(page, "dashboard-dark.png")


def test_phone_width(server: JupyterServer, new_context: Callable[..., BrowserContext]) -> None:
    """At 375 px the page is one column with no sideways scrolling."""
    channel = "train/phone"
    server.run_script(TRAINING_RUN.format(channel=channel))
    context = new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2)
    page = context.new_page()
    page.goto(server.dashboard(channel))
    expect(status_badge(page, channel, "phase")).to_have_text("training")
    expect(card(page, channel).locator("[data-points]").first).to_have_attribute(
        "data-points", "40"
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 375px"
    # The picker folds away on a phone when something is selected; it opens on demand.
    picker_list = page.get_by_role("list", name="Channels")
    expect(picker_list).to_be_hidden()
    page.get_by_role("button", name="Show channel list").click()
    expect(picker_list).to_be_visible()
    page.get_by_role("button", name="Hide channel list").click()
    screenshot(page, "dashboard-phone.png")


def test_viewer_sees_shared_channels_live(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """A share link opened with no Jupyter login shows its channels, live, and only those."""
    server.publish(
        {"channel": "secret/keys", "type": "status", "data": {"key": "k", "value": "hidden"}},
        {"channel": "shared/run-1", "type": "status", "data": {"key": "phase", "value": "warmup"}},
    )
    link = server.share(["shared/*"], ttl=600)
    assert server.token not in link

    page = new_context().new_page()
    page.goto(link)
    # The token became an HttpOnly cookie and left the address bar.
    assert "token" not in parse_qs(urlsplit(page.url).query)
    assert parse_qs(urlsplit(page.url).query)["channel"] == ["shared/*"]
    # Named for this server (cookies ignore ports: two servers on one host keep theirs).
    (cookie,) = [c for c in page.context.cookies() if c["name"].startswith("jupyter-sse-viewer-")]
    assert cookie["httpOnly"]
    expect(page.locator('[data-slot="viewer-badge"]')).to_have_text("Shared view")

    pattern = "shared/*"
    expect(card(page, pattern)).to_have_attribute("data-loaded", "true")
    expect(card(page, pattern).locator('[data-slot="badge"]').first).to_have_text("warmup")
    server.publish(
        {
            "channel": "shared/run-2",
            "type": "progress",
            "data": {"key": "p", "value": 5, "total": 8},
        },
        {"channel": "shared/run-1", "type": "status", "data": {"key": "phase", "value": "live"}},
    )
    expect(card(page, pattern).get_by_role("progressbar")).to_have_attribute("aria-valuenow", "5")
    expect(card(page, pattern).get_by_text("live", exact=True)).to_be_visible()

    entries = page.locator('[data-slot="picker-entry"]')
    expect(entries.filter(has_text="shared/run-2")).to_have_count(1)
    names = entries.evaluate_all("els => els.map(e => e.dataset.channel)")
    assert all(name.startswith("shared/") for name in names), names
    # Picking one channel of the scope adds its own card, on the same stream.
    entries.filter(has_text="shared/run-1").get_by_role("checkbox").check()
    expect(status_badge(page, "shared/run-1", "phase")).to_have_text("live")
    assert parse_qs(urlsplit(page.url).query)["channel"] == ["shared/*", "shared/run-1"]
    screenshot(page, "dashboard-viewer.png")


def test_viewer_is_refused_everything_else(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """A viewer gets 403 for other channels, publishing and Jupyter's API; and expires."""
    context = new_context()
    page = context.new_page()
    page.goto(server.share(["scoped/*"], ttl=600))
    expect(card(page, "scoped/*")).to_have_attribute("data-loaded", "true")

    # The browser's own cookie, so the requests are the page's, not a script's.
    request = context.request
    other = request.get(server.base + "sse/stream?channel=secret/keys")
    assert other.status == 403, other.text()
    assert "does not cover" in other.json()["error"]
    wide = request.get(server.base + "sse/stream?channel=*")
    assert wide.status == 403, wide.text()
    event = {"channel": "scoped/a", "type": "log", "data": {"text": "forged"}}
    assert request.post(server.base + "sse/publish", data=json.dumps(event)).status == 403
    assert "jupyter-sse-viewer" not in page.evaluate("document.cookie")  # HttpOnly
    viewer_cookie = next(
        c for c in context.cookies() if c["name"].startswith("jupyter-sse-viewer-")
    )
    header = {"Authorization": f"token {viewer_cookie['value']}"}
    assert (
        request.post(server.base + "sse/publish", data=json.dumps(event), headers=header).status
        == 403
    )
    assert request.post(server.base + "sse/tokens", data="{}", headers=header).status == 403
    assert request.get(server.base + "api/contents").status == 403
    assert request.get(server.base + "api/contents", headers=header).status == 403

    # The page itself leaves an out-of-scope channel out, instead of losing the stream.
    page.goto(f"{server.base}sse/dashboard?channel=scoped/*&channel=secret/keys")
    expect(page.locator('[data-slot="refused-channels"]')).to_contain_text("secret/keys")
    expect(card(page, "secret/keys")).to_have_count(0)
    expect(card(page, "scoped/*")).to_have_attribute("data-loaded", "true")
    expect(page.locator('[data-slot="connection-indicator"]')).to_have_attribute(
        "data-status", "open"
    )


def test_viewer_link_expires(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """Past its ttl a link is refused, and the open page says so in words."""
    ttl = 3.0
    # Read before the link is minted: the server's clock at minting is then no earlier,
    # and it rounds the expiry to the millisecond (read after, this bound was once 0.2 ms
    # late).
    minted = time.time()
    link = server.share(["expiring/*"], ttl=ttl)
    context = new_context()
    page = context.new_page()
    page.goto(link)
    expect(card(page, "expiring/*")).to_have_attribute("data-loaded", "true")
    expect(page.locator('[data-slot="link-expired"]')).to_have_count(0)

    channels = server.base + "sse/channels"
    wait_for("the link to expire", lambda: context.request.get(channels).status == 403, ttl + 10)
    assert time.time() >= minted + ttl - 0.001
    stream = context.request.get(server.base + "sse/stream?channel=expiring/*")
    assert stream.status == 403
    assert stream.json()["error"] == "viewer token refused: token expired"
    # The page finds out at its next channel-list refresh (every 5 s) or reconnect.
    expect(page.locator('[data-slot="link-expired"]')).to_contain_text(
        "This link has expired or was revoked", timeout=20_000
    )
    expect(page.locator('[data-slot="connection-indicator"]')).to_have_text(
        "Link expired", timeout=20_000
    )


def test_reload_keeps_state_and_resumes(
    server: JupyterServer, new_context: Callable[..., BrowserContext]
) -> None:
    """After a reload the page shows the present at once (snapshot) and keeps streaming."""
    channel = "reload/run"
    page = new_context().new_page()
    page.goto(server.dashboard(channel))
    expect(card(page, channel)).to_have_attribute("data-loaded", "true")
    server.publish(
        {"channel": channel, "type": "status", "data": {"key": "phase", "value": "fitting"}},
        {"channel": channel, "type": "progress", "data": {"key": "p", "value": 4, "total": 10}},
        {"channel": channel, "type": "table", "data": {"table": "runs", "row": {"seed": 17}}},
    )
    expect(status_badge(page, channel, "phase")).to_have_text("fitting")

    page.reload()  # the address has no Jupyter token any more: the login cookie carries it
    assert "token=" not in page.url
    expect(status_badge(page, channel, "phase")).to_have_text("fitting")
    expect(progress_bar(page, channel, "p")).to_have_attribute("aria-valuenow", "4")
    expect(card(page, channel).get_by_role("cell", name="17")).to_be_visible()

    server.publish(
        {"channel": channel, "type": "progress", "data": {"key": "p", "value": 7, "total": 10}},
        {"channel": channel, "type": "status", "data": {"key": "phase", "value": "scoring"}},
        {"channel": channel, "type": "table", "data": {"table": "runs", "row": {"seed": 23}}},
    )
    expect(progress_bar(page, channel, "p")).to_have_attribute("aria-valuenow", "7")
    expect(status_badge(page, channel, "phase")).to_have_text("scoring")
    expect(card(page, channel).get_by_role("cell", name="23")).to_be_visible()
