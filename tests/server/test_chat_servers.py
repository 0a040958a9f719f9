"""Chat and presence across Jupyter servers that share one real ``redis-server``: each
server a process of its own, read over HTTP as browsers read it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from jupyter_sse.hub import RedisTenants
from tests.support.jupyter_servers import Jupyter, start
from tests.support.sse_client import StreamReader

if TYPE_CHECKING:
    from tests.support.redis_server import RedisServer

# Servers that share a Redis share their secret, so a link of one opens on the others.
SHARED = {"viewer_secret": "s" * 40, "chat_rate_limit": 0}


async def link(server: Jupyter, channels: list[str], **options: Any) -> httpx.AsyncClient:
    """A fresh browser that opened a link of ``server`` for ``channels``."""
    r = await server.client.post(server.base + "sse/tokens", json={"channels": channels, **options})
    assert r.status_code == 200, r.text
    browser = httpx.AsyncClient(timeout=10)
    assert (await browser.get(r.json()["url"])).status_code == 302
    return browser


def watch(server: Jupyter, browser: httpx.AsyncClient, *channels: str) -> StreamReader:
    return StreamReader(
        browser, server.base + "sse/stream", params=[("channel", c) for c in channels]
    )


async def post(
    server: Jupyter, channel: str, text: str, client: httpx.AsyncClient | None = None
) -> str:
    r = await (client or server.client).post(
        server.base + "sse/chat", json={"channel": channel, "text": text}
    )
    assert r.status_code == 200, r.text
    event_id: str = r.json()["event_id"]
    return event_id


async def presence(stream: StreamReader, count: int, timeout: float = 10.0) -> dict[str, Any]:
    """The first presence event ``stream`` gets that counts ``count`` watchers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event = await asyncio.wait_for(stream.presence.get(), max(0.01, deadline - loop.time()))
        data: dict[str, Any] = event.envelope["data"]
        if data["count"] == count:
            return data


async def test_a_message_posted_on_one_server_reaches_the_viewers_of_the_other_once_in_order(
    redis_server: RedisServer, servers: list[Jupyter], tmp_path: Path
) -> None:
    a, b = await start(servers, tmp_path, redis_server.url, 2, **SHARED)
    dana = await link(a, ["talk"], comment=True, label="Dana")
    reader = await link(b, ["talk"])
    try:
        async with watch(b, reader, "talk") as on_b, a.stream("talk") as on_a:
            for stream in (on_a, on_b):
                assert (await stream.next()).event == "snapshot"
            sent = []
            for i in range(6):
                # The user of a, and a viewer with a link of a who reads through b.
                if i % 2:
                    sent.append(await post(b, "talk", f"message {i}", client=dana))
                else:
                    sent.append(await post(a, "talk", f"message {i}"))
            for stream in (on_a, on_b):
                got = await stream.take(6, timeout=10)
                assert [e.id for e in got] == sent
                assert [e.envelope["data"]["text"] for e in got] == [
                    f"message {i}" for i in range(6)
                ]
                assert {e.envelope["data"]["author"]["kind"] for e in got} == {"user", "viewer"}
                assert await stream.no_event()
    finally:
        await dana.aclose()
        await reader.aclose()


@pytest.mark.timeout(180)
async def test_presence_on_one_server_shows_the_watchers_of_both_until_one_dies(
    redis_server: RedisServer, servers: list[Jupyter], tmp_path: Path
) -> None:
    ttl = 3
    a, b = await start(servers, tmp_path, redis_server.url, 2, presence_ttl=ttl, **SHARED)
    dana = await link(b, ["talk"], label="Dana")
    await a.publish({"channel": "talk", "type": "log", "data": {"text": "a run to talk about"}})
    try:
        async with a.stream("talk") as on_a, watch(b, dana, "talk") as on_b:
            await on_a.next()
            await on_b.next()
            seen_on_a = await presence(on_a, 2)
            assert [w["display_name"] for w in seen_on_a["watchers"]][1] == "Dana"
            seen_on_b = await presence(on_b, 2)
            assert seen_on_b["watchers"][0]["kind"] == "user"  # a's user, seen from b
            rows = (await a.client.get(a.base + "sse/channels")).json()
            assert rows[0]["watchers"] == 2
            assert rows[0]["subscribers"] == 1  # a's own streams

            b.kill()  # no goodbye: its entry in Redis must expire by itself
            left = await presence(on_a, 1, timeout=ttl + 3)
            assert left["watchers"][0]["kind"] == "user"
    finally:
        await dana.aclose()


@pytest.mark.timeout(180)
async def test_users_of_two_tenants_talk_on_a_hub_channel(
    redis_server_acl: RedisServer, servers: list[Jupyter], tmp_path: Path
) -> None:
    """Each server with a Redis user of its own, as JupyterHub's spawn hook makes them:
    chat and presence need no command or key beyond what that user may reach."""
    tenants = RedisTenants(redis_server_acl.url)
    (alice,) = await start(
        servers, tmp_path, tenants.provision("alice"), 1, tenant="alice", **SHARED
    )
    (bob,) = await start(servers, tmp_path, tenants.provision("bob"), 1, tenant="bob", **SHARED)
    async with alice.stream("hub/team") as on_alice, bob.stream("hub/team") as on_bob:
        await on_alice.next()
        await on_bob.next()
        await post(alice, "hub/team", "anyone seen the loss spike?")
        await post(bob, "hub/team", "yes, at step 4k")
        for stream in (on_alice, on_bob):
            first, second = await stream.take(2, timeout=10)
            assert first.envelope["data"]["text"] == "anyone seen the loss spike?"
            assert second.envelope["data"]["text"] == "yes, at step 4k"
        alice_me = (await alice.client.get(alice.base + "api/me")).json()["identity"]
        assert first.envelope["data"]["author"]["name"] == alice_me["username"]
        both = await presence(on_alice, 2)
        assert {w["kind"] for w in both["watchers"]} == {"user"}
        # The hub channel is everyone's: alice moderates nothing there.
        message = second.envelope["data"]["id"]
        r = await alice.client.request(
            "DELETE", alice.base + "sse/chat", json={"channel": "hub/team", "id": message}
        )
        assert r.status_code == 403
        assert (await alice.health())["state"] == "ok"
