"""JupyterHub with a shared Redis, as an admin runs it: users kept apart, kernels
confined, links and sign-in that work behind the proxy.

Tried before (JupyterHub 6.1, configurable-http-proxy 5.3, one password-protected Redis,
users alice and bob): bob's `*` stream showed alice's events, his kernel read, deleted
and forged her data with the Redis password from its environment, share links pointed
at the spawner's port, and the dashboard answered a raw 401 instead of the sign-in.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.support.chromium import ARTIFACTS, CHROMIUM_ARGS, executable
from tests.support.hub import PASSWORD, Hub
from tests.support.remote_kernel import RemoteKernel
from tests.support.sse_client import StreamReader

UI_TIMEOUT = 20_000  # ms for a page to show what was published

pytestmark = pytest.mark.timeout(600)


def publish(hub: Hub, user: str, *events: dict[str, Any]) -> list[str]:
    r = httpx.post(
        hub.server(user) + "sse/publish", json=list(events), headers=hub.as_user(user), timeout=30
    )
    assert r.status_code == 200, r.text
    ids: list[str] = r.json()["ids"]
    return ids


def log(channel: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"channel": channel, "type": "log", "data": {"text": text, **extra}}


def stream(
    client: httpx.AsyncClient, hub: Hub, user: str, *channels: str, **params: str
) -> StreamReader:
    return StreamReader(
        client,
        hub.server(user) + "sse/stream",
        params=[("channel", c) for c in channels] + list(params.items()),
        headers=hub.as_user(user),
    )


async def test_users_are_kept_apart(hub: Hub) -> None:
    """Bob's own `*` stream received alice's snapshots and events; his sse/channels
    listed hers."""
    publish(hub, "alice", log("train/a", "alice's run"))
    async with httpx.AsyncClient(timeout=30) as client:
        rows = (
            await client.get(hub.server("bob") + "sse/channels", headers=hub.as_user("bob"))
        ).json()
        assert "train/a" not in [row["channel"] for row in rows]
        async with (
            stream(client, hub, "bob", "*") as bobs,
            stream(client, hub, "alice", "train/*") as alices,
        ):
            first = await alices.next(timeout=30)
            assert first.envelope["data"]["log"][-1]["text"] == "alice's run"
            publish(hub, "alice", log("train/a", "alice, live"))
            assert (await alices.next(timeout=30)).envelope["data"]["text"] == "alice, live"
            seen = []
            while not await bobs.no_event(within=1.0):
                pass
            seen = [e for e in bobs.lines if "alice" in e]
            assert seen == []


async def test_a_user_signed_in_for_another_server_gets_403(hub: Hub) -> None:
    """Bob, logged in, got 401 (not 403) on alice's sse/* routes."""
    async with httpx.AsyncClient(timeout=30) as client:
        for route in ("sse/channels", "sse/stream?channel=train/a", "sse/health"):
            r = await client.get(hub.server("alice") + route, headers=hub.as_user("bob"))
            assert r.status_code == 403, (route, r.status_code, r.text)
            assert r.json()["status"] == 403
        r = await client.post(
            hub.server("alice") + "sse/publish",
            json=log("train/a", "bob"),
            headers=hub.as_user("bob"),
        )
        assert r.status_code == 403
    async with httpx.AsyncClient(timeout=30) as nobody:  # no cookie of any earlier request
        r = await nobody.get(hub.server("alice") + "sse/channels")
        assert r.status_code == 401  # nobody at all: still a JSON 401 for a script


ATTACK = textwrap.dedent(
    """
    import json, os, redis
    from jupyter_sse.wire.redis_keys import KeyLayout

    results = {"redis url in the kernel's environment": "JUPYTER_SSE_REDIS_URL" in os.environ}
    # A determined user takes the credentials of their own server: same OS user.
    environ = open(f"/proc/{os.getppid()}/environ", "rb").read().split(b"\\0")
    url = next(e.split(b"=", 1)[1].decode() for e in environ
               if e.startswith(b"JUPYTER_SSE_REDIS_URL="))
    r = redis.Redis.from_url(url)
    alice, bob, root = KeyLayout(tenant="alice"), KeyLayout(tenant="bob"), KeyLayout()
    base = alice.base("train/a")
    epoch = r.get(root.epoch).decode()
    forged = (f"id: {epoch}-1\\nevent: reset\\ndata: {{}}\\n\\nretry: 86400000\\n\\n").encode()
    huge = (f"id: {epoch}-999999999999\\nevent: log\\ndata: " + json.dumps(
        {"channel": "train/b", "type": "log", "ts": 1.0, "data": {"text": "forged"}}
    ) + "\\n\\n").encode()
    attempts = {
        "read alice's history": ("XRANGE", base + "h", "-", "+"),
        "read alice's snapshot state": ("LRANGE", base + "sl", 0, -1),
        "list alice's channels": ("ZRANGE", alice.registry, 0, -1),
        "delete alice's keys": ("DEL", base + "h", base + "m", alice.registry),
        "SELECT another database": ("SELECT", 1),
        "FLUSHDB": ("FLUSHDB",),
        "FLUSHALL": ("FLUSHALL",),
        "KEYS *": ("KEYS", "*"),
        "raw PUBLISH of a forged frame to alice's viewers":
            ("PUBLISH", alice.live("train/a"), forged),
        "raw PUBLISH of a huge position to alice's viewers":
            ("PUBLISH", alice.live("train/a"), huge),
        "set the counter back": ("SET", root.seq, 0),
    }
    for name, command in attempts.items():
        try:
            r.execute_command(*command)
            results[name] = "allowed"
        except redis.ResponseError as e:
            results[name] = "refused: " + str(e).split(":")[0]
    # On its own channel Redis lets it: bob's server must drop them.
    r.publish(bob.live("train/b"), forged)
    r.publish(bob.live("train/b"), huge)
    print(json.dumps(results))
    """
)


async def test_bobs_kernel_can_do_nothing_to_alice(hub: Hub) -> None:
    """Bob's kernel had the Redis password in its environment: with redis-py he read
    alice's history, ran SELECT 1 and deleted her keys; raw frames he PUBLISHed reached
    viewers, and one with a huge position stopped every later live event."""
    before = publish(hub, "alice", log("train/a", "alice's history"))
    async with (
        httpx.AsyncClient(timeout=60) as client,
        stream(client, hub, "alice", "train/a") as alices,
        stream(client, hub, "bob", "train/b") as bobs,
        RemoteKernel(hub.server("bob"), hub.as_user("bob")) as kernel,
    ):
        await alices.next(timeout=30)
        await bobs.next(timeout=30)
        results = json.loads(await kernel.run(ATTACK))
        assert results.pop("redis url in the kernel's environment") is False
        assert all(outcome.startswith("refused") for outcome in results.values()), results
        assert await alices.no_event(within=2.0)  # alice's viewers saw nothing of it
        assert await bobs.no_event(within=0.5)  # nor did bob's: his server dropped them
        # Later events still flow (the huge position held nothing back) ...
        publish(hub, "bob", log("train/b", "bob, after"))
        assert (await bobs.next(timeout=30)).envelope["data"]["text"] == "bob, after"
        publish(hub, "alice", log("train/a", "alice, after"))
        assert (await alices.next(timeout=30)).envelope["data"]["text"] == "alice, after"
        # ... and bob's kernel publishes through its server, into bob's channels only.
        out = await kernel.run(
            "import jupyter_sse as sse\n"
            "sse.channel('train/b').log('from the kernel')\n"
            "sse.flush()\n"
            "print(sse.stats()['transport'])"
        )
        assert out.strip() == hub.server("bob").replace(hub.url, "", 1) or "127.0.0.1" in out
        assert (await bobs.next(timeout=30)).envelope["data"]["text"] == "from the kernel"
    # Alice's history is whole: a resume from before still gets every event.
    epoch = before[0].rpartition("-")[0]
    async with (
        httpx.AsyncClient(timeout=30) as client,
        stream(client, hub, "alice", "train/a", last_event_id=f"{epoch}-0") as s,
    ):
        texts = [(await s.next(timeout=30)).envelope["data"]["text"] for _ in range(2)]
    assert texts[0] in ("alice's run", "alice's history")


async def test_a_hub_channel_is_shared_and_its_author_stamped(hub: Hub) -> None:
    async with (
        httpx.AsyncClient(timeout=30) as client,
        stream(client, hub, "bob", "hub/team") as bobs,
    ):
        await bobs.next(timeout=30)
        mallory = {"name": "mallory", "display_name": "Mallory", "kind": "user"}
        publish(hub, "alice", log("hub/team", "from alice", author=mallory))
        got = (await bobs.next(timeout=30)).envelope["data"]
        r = await client.get(hub.server("bob") + "sse/channels", headers=hub.as_user("bob"))
    assert got["text"] == "from alice"
    assert got["author"]["name"] == "alice"
    assert got["author"]["kind"] == "user"
    assert "hub/team" in [row["channel"] for row in r.json()]


async def test_alices_stream_resumes_through_the_proxy(hub: Hub) -> None:
    ids = publish(hub, "alice", log("resume/a", "one"), log("resume/a", "two"))
    async with (
        httpx.AsyncClient(timeout=30) as client,
        stream(client, hub, "alice", "resume/a", last_event_id=ids[0]) as s,
    ):
        got = await s.next(timeout=30)
    assert (got.id, got.envelope["data"]["text"]) == (ids[1], "two")


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Per test, not per module: pytest-jupyter closes its event loop after each test,
    # and Playwright's sync API runs on that loop.
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_a_share_link_from_a_hub_kernel_opens_through_the_proxy(hub: Hub, browser: Browser) -> None:
    """`sse.share()` in a hub kernel returned http://127.0.0.1:<spawner port>/user/alice/..."""

    async def make_link() -> str:
        async with RemoteKernel(hub.server("alice"), hub.as_user("alice")) as kernel:
            return (
                await kernel.run(
                    "import jupyter_sse as sse\n"
                    "sse.channel('shared/run').log('shown to a viewer')\n"
                    "sse.flush()\n"
                    "print(sse.share(['shared/*'], ttl=600).url)"
                )
            ).strip()

    # Playwright's sync API drives a loop of its own in this thread: the kernel's
    # client runs on another.
    with ThreadPoolExecutor(1) as pool:
        url = pool.submit(asyncio.run, make_link()).result()
    assert url.startswith(hub.server("alice") + "sse/dashboard?token=sv1."), url
    context = browser.new_context()  # no hub login at all
    page = context.new_page()
    try:
        page.goto(url)
        expect(page.get_by_text("shown to a viewer").first).to_be_visible(timeout=UI_TIMEOUT)
        publish(hub, "alice", log("shared/run", "live for the viewer"))
        expect(page.get_by_text("live for the viewer").first).to_be_visible(timeout=UI_TIMEOUT)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hub-share-link.png"))
        # The link reaches nothing else: not alice's other channels, not her files.
        other = page.request.get(hub.server("alice") + "sse/stream?channel=train/a")
        assert other.status == 403
        files = page.request.get(hub.server("alice") + "api/contents", max_redirects=0)
        assert files.status in (302, 401, 403)
    finally:
        context.close()


def test_the_dashboard_takes_a_person_through_the_hub_login(hub: Hub, browser: Browser) -> None:
    """Opening /user/alice/sse/dashboard right after logging in gave a raw JSON 401."""
    publish(hub, "alice", log("login/run", "after signing in"))
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(hub.server("alice") + "sse/dashboard?channel=login/run")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        # Back where they set out: the dashboard's first route, whose address the app
        # writes as `sse/dashboard/` once it starts (as every dashboard test sees it).
        expect(page).to_have_url(
            hub.server("alice") + "sse/dashboard/?channel=login/run", timeout=UI_TIMEOUT
        )
        expect(page.get_by_text("after signing in").first).to_be_visible(timeout=UI_TIMEOUT)
        page.screenshot(path=str(ARTIFACTS / "hub-dashboard-after-login.png"))
    finally:
        context.close()
