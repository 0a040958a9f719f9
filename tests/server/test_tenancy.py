"""Tenants on one Redis: each server sees its own channels and the hub's, its Redis
credentials reach nothing else, and nothing read back from Redis reaches a viewer
unchecked.

Against a real redis-server whose users are provisioned as JupyterHub's spawn hook does
(`jupyter_sse.hub.RedisTenants`): what alice's and bob's servers get.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis

from jupyter_sse.hub import RedisTenants
from jupyter_sse.wire.events import EventIn
from jupyter_sse.wire.redis_keys import KeyLayout
from jupyter_sse.wire.redis_scripts import PUBLISH, publish_args, publish_keys
from tests.support.brokers import Sink, metric, running
from tests.support.redis_server import RedisServer
from tests.support.server import Server, wait_for


@pytest.fixture
def urls(redis_server_acl: RedisServer) -> Iterator[dict[str, str]]:
    """Each tenant's own Redis URL, as its server gets it in its environment."""
    tenants = RedisTenants(redis_server_acl.url)
    return {name: tenants.provision(name) for name in ("alice", "bob")}


def note(channel: str, text: str, author: str = "") -> EventIn:
    data: dict[str, Any] = {"text": text}
    if author:
        data["author"] = {"name": author, "display_name": author, "kind": "user"}
    return {"channel": channel, "type": "log", "data": data}


async def test_a_tenant_sees_its_own_channels_and_the_hubs_only(urls: dict[str, str]) -> None:
    """Bob's `*` stream received alice's snapshots and live events; his listing showed
    her channels."""
    async with (
        running(urls["alice"], tenant="alice") as alice,
        running(urls["bob"], tenant="bob") as bob,
    ):
        await alice.publish([note("train/a", "alice's"), note("hub/team", "hello", "alice")])
        everything = Sink("*")
        await bob.subscribe(everything, None)
        snapshots = await everything.wait(1)
        assert [e["data"]["channel"] for e in snapshots] == ["hub/team"]
        assert [row["channel"] for row in await bob.channels()] == ["hub/team"]
        assert [row["channel"] for row in await bob.channels(["train/*", "*"])] == ["hub/team"]
        await alice.publish([note("train/a", "live, alice's"), note("hub/team", "again", "alice")])
        await bob.publish([note("train/a", "bob's own")])
        got = await everything.wait(3)
        assert [(e["data"]["channel"], e["data"]["data"]["text"]) for e in got[1:]] == [
            ("hub/team", "again"),
            ("train/a", "bob's own"),
        ]
        # Alice's train/a and bob's are two channels: each sees its own.
        assert [row["events"] for row in await alice.channels(["train/a"])] == [2]
        assert [row["events"] for row in await bob.channels(["train/a"])] == [1]


async def test_a_resume_crosses_neither_tenants_nor_loses_the_hub(urls: dict[str, str]) -> None:
    async with (
        running(urls["alice"], tenant="alice") as alice,
        running(urls["bob"], tenant="bob") as bob,
    ):
        (start,) = await bob.publish([note("train/a", "bob 0")])
        await alice.publish([note("train/a", "alice 1"), note("hub/team", "hub 1", "alice")])
        await bob.publish([note("train/a", "bob 2")])
        resumed = Sink("train/*", "hub/*")
        await bob.subscribe(resumed, start)
        got = await resumed.wait(2)
        assert [e["data"]["data"]["text"] for e in got] == ["hub 1", "bob 2"]


def forbidden(url: str) -> list[tuple[str, tuple[Any, ...]]]:
    """What a user's code could try with its server's credentials (read from the
    server's environment), against alice's tenant and the database."""
    alice = KeyLayout(tenant="alice")
    base = alice.base("train/a")
    return [
        ("read alice's history", ("XRANGE", base + "h", "-", "+")),
        ("read alice's registry", ("ZRANGE", alice.registry, 0, -1)),
        ("delete alice's keys", ("DEL", base + "h", base + "m")),
        ("switch database", ("SELECT", 1)),
        ("flush the database", ("FLUSHDB",)),
        ("flush every database", ("FLUSHALL",)),
        ("list every key", ("KEYS", "*")),
        ("scan every key", ("SCAN", 0)),
        ("read the configuration", ("CONFIG", "GET", "*")),
        ("publish raw frames to alice's viewers", ("PUBLISH", alice.live("train/a"), b"x")),
        ("set the counter back", ("SET", alice.seq, 0)),
        ("move the counter far ahead", ("INCRBY", alice.seq, 10**12)),
        ("delete the counter", ("DEL", alice.seq)),
        ("give itself more rights", ("ACL", "SETUSER", "default", "on")),
    ]


@pytest.mark.parametrize("attempt", range(len(forbidden(""))))
def test_a_tenants_credentials_reach_nothing_of_another(
    urls: dict[str, str], redis_server_acl: RedisServer, attempt: int
) -> None:
    """Every kernel had the Redis password: bob read alice's history, ran SELECT 1 and
    deleted her keys. A server's credentials now reach its own tenant and the hub."""
    what, command = forbidden(urls["bob"])[attempt]
    with redis_server_acl.client() as admin:
        admin.execute_command(
            "EVAL", PUBLISH, len(publish_keys(KeyLayout(tenant="alice"))),
            *publish_keys(KeyLayout(tenant="alice")),
            *publish_args(KeyLayout(tenant="alice"), "e1", [note("train/a", "alice's")]),
        )  # fmt: skip
        before = sorted(admin.keys("*"))
    with redis.Redis.from_url(urls["bob"]) as bob, pytest.raises(redis.ResponseError) as refused:
        bob.execute_command(*command)
    assert "NOPERM" in str(refused.value) or "no permissions" in str(refused.value), what
    with redis_server_acl.client() as admin:
        assert sorted(admin.keys("*")) == before, f"{what} changed something"


FORGED = {
    "a reset": b"id: E-1\nevent: reset\ndata: {}\n\n",
    "a retry line": b"retry: 86400000\n\n",
    "a second event after a line break": None,  # built below: needs the epoch
    "a huge position": None,
    "another channel's envelope": None,
    "not JSON": None,
}


async def test_forged_frames_on_a_tenants_own_channel_are_dropped(
    urls: dict[str, str],
) -> None:
    """A `reset` with `retry: 86400000` reached viewers; a frame at position
    999999999999 made the server drop every later live event until it restarted."""
    async with running(urls["bob"], tenant="bob") as broker:
        (first,) = await broker.publish([note("train/a", "real 1")])
        epoch = first.rpartition("-")[0]
        viewer = Sink("train/a")
        await broker.subscribe(viewer, None)
        await viewer.wait(1)  # its snapshot
        live = broker.keys.live("train/a")
        envelope = json.dumps(
            {"channel": "train/a", "type": "log", "ts": 1.0, "data": {"text": "forged"}}
        )
        forged = [
            b"id: " + epoch.encode() + b"-1\nevent: reset\ndata: {}\n\n",
            b"retry: 86400000\n\n",
            b"id: " + epoch.encode() + b"-2\nevent: log\ndata: "
            + envelope.encode() + b"\nretry: 86400000\n\n",
            b"id: " + epoch.encode() + b"-999999999999\nevent: log\ndata: "
            + envelope.encode() + b"\n\n",
            b"id: " + epoch.encode() + b"-3\nevent: log\ndata: "
            + envelope.replace("train/a", "train/b").encode() + b"\n\n",
            b"id: " + epoch.encode() + b"-4\nevent: log\ndata: {not json}\n\n",
        ]  # fmt: skip
        # With the very credentials of bob's server, which his code could read.
        with redis.Redis.from_url(urls["bob"]) as raw:
            for frame in forged:
                raw.publish(live, frame)
        await wait_for(lambda: broker.frames_dropped >= len(forged), what="the drops")
        # Nothing reached the viewer, and later events still do.
        await broker.publish([note("train/a", "real 2")])
        got = await viewer.wait(2)
        assert [e["data"]["data"]["text"] for e in got[1:]] == ["real 2"]
        assert broker.frames_dropped == len(forged)


async def test_a_forged_history_entry_is_left_out_of_a_resume(urls: dict[str, str]) -> None:
    async with running(urls["bob"], tenant="bob") as broker:
        (first,) = await broker.publish([note("train/a", "real 1")])
        epoch = first.rpartition("-")[0]
        keys = broker.keys
        with redis.Redis.from_url(urls["bob"]) as raw:
            position = raw.execute_command("INCR", keys.seq)  # a real position, as the script
            raw.execute_command(
                "XADD", keys.base("train/a") + "h", f"{position}-0",
                "f", f"id: {epoch}-{position}\nevent: reset\ndata: {{}}\n\n", "t", "1",
            )  # fmt: skip
        await broker.publish([note("train/a", "real 2")])
        resumed = Sink("train/a")
        await broker.subscribe(resumed, f"{epoch}-0")
        got = await resumed.wait(2)
        assert [e["data"]["data"]["text"] for e in got] == ["real 1", "real 2"]
        assert broker.frames_dropped == 1


async def test_hub_frames_without_an_author_are_dropped(urls: dict[str, str]) -> None:
    async with (
        running(urls["alice"], tenant="alice") as alice,
        running(urls["bob"], tenant="bob") as bob,
    ):
        viewer = Sink("hub/team")
        await bob.subscribe(viewer, None)
        await viewer.wait(1)
        await alice.publish([note("hub/team", "no author")])  # as a broken server would
        await alice.publish([note("hub/team", "stamped", "alice")])
        got = await viewer.wait(2)
        assert [e["data"]["data"]["text"] for e in got[1:]] == ["stamped"]
        await wait_for(lambda: bob.frames_dropped == 1, what="the unauthored frame's drop")


async def test_a_tenant_cannot_write_a_hub_channel_into_its_own_space(
    urls: dict[str, str],
) -> None:
    """Only the hub's space carries hub/ channels: a tenant's `hub/x` would otherwise
    reach only that tenant while looking shared."""
    keys = KeyLayout(tenant="bob")
    assert keys.channel_of(b"jupyter_sse:t:bob:{hub/x}:live") is None
    assert keys.channel_of(b"jupyter_sse:hub:{hub/x}:live") == "hub/x"
    assert keys.channel_of(b"jupyter_sse:hub:{train/a}:live") is None
    assert keys.channel_of(b"jupyter_sse:t:alice:{train/a}:live") is None


def test_a_tenant_with_odd_characters_cannot_widen_its_patterns() -> None:
    """A user name is anything JupyterHub allows: it must not become a glob or a tag."""
    keys = KeyLayout(tenant="a*b{x}?/[c]:d e")
    assert keys.prefix == "jupyter_sse:t:a%2Ab%7Bx%7D%3F%2F%5Bc%5D%3Ad%20e:"
    assert keys.live_pattern == "jupyter_sse:t:a%2Ab%7Bx%7D%3F%2F%5Bc%5D%3Ad%20e:{*}:live"


def test_without_a_tenant_the_layout_is_unchanged() -> None:
    keys = KeyLayout()
    assert (keys.prefix, keys.registry, keys.hub) == ("jupyter_sse:", "jupyter_sse:channels", None)
    assert keys.base("hub/x") == "jupyter_sse:{hub/x}:"


@pytest.mark.parametrize("tenant", ["alice", "alice/gpu"])
async def test_a_provisioned_server_publishes_streams_and_lists(
    redis_server_acl: RedisServer, tenant: str
) -> None:
    """The ACL user has every right the extension uses: nothing it does is refused."""
    url = RedisTenants(redis_server_acl.url).provision(tenant)
    async with running(url, tenant=tenant) as broker:
        assert broker.health()["state"] == "ok"
        viewer = Sink("*")
        await broker.subscribe(viewer, None)
        ids = await broker.publish([metric("train/a", 1), note("hub/x", "h", "alice")])
        await viewer.wait(2)
        resumed = Sink("*")
        await broker.subscribe(resumed, ids[0].rpartition("-")[0] + "-0")
        assert len(await resumed.wait(2)) == 2
        assert {row["channel"] for row in await broker.channels()} == {"train/a", "hub/x"}
        assert await broker.claim("job-1", 10)


# --- through a server ---------------------------------------------------------------


@pytest.fixture
def broker_kind() -> str:
    return "memory"  # the Redis URL below is the tenant's own, not the test Redis's


@pytest.fixture
def sse_config(redis_server_acl: RedisServer) -> dict[str, Any]:
    return {
        "tenant": "alice",
        "redis_url": RedisTenants(redis_server_acl.url).provision("alice"),
        "public_url": "https://hub.example.org/user/alice/",
    }


async def test_a_client_sent_author_is_replaced_by_the_stamped_identity(server: Server) -> None:
    forged = {"name": "mallory", "display_name": "Mallory", "kind": "user"}
    async with server.stream("hub/team") as s:
        await s.next()
        await server.publish_ok(
            {"channel": "hub/team", "type": "log", "data": {"text": "hi", "author": forged}}
        )
        data = (await s.next()).envelope["data"]
    assert data["text"] == "hi"
    assert data["author"]["kind"] == "user"
    assert data["author"]["name"] != "mallory"
    assert data["author"]["display_name"] != "Mallory"


async def test_a_kernel_writes_to_the_hub_as_its_servers_owner(server: Server) -> None:
    kernel = {"Authorization": f"token {server.app.services.publish_token.mint('k-1')}"}
    async with server.stream("hub/team") as s:
        await s.next()
        r = await server.publish(
            [{"channel": "hub/team", "type": "log", "data": {"text": "from a kernel"}}],
            headers=kernel,
        )
        assert r.status_code == 200, r.text
        author = (await s.next()).envelope["data"]["author"]
    assert author == {"name": "alice", "display_name": "alice", "kind": "kernel"}


async def test_an_event_of_a_hub_channel_must_carry_an_object(server: Server) -> None:
    r = await server.publish([{"channel": "hub/team", "type": "custom", "data": [1, 2]}])
    assert r.status_code == 400
    assert "carry a JSON object" in r.json()["error"]
    assert await server.channels() == {}


async def test_a_share_link_uses_the_public_url(server: Server) -> None:
    """`sse.share()` in a hub kernel returned http://127.0.0.1:<spawner port>/..."""
    r = await server.client.post(
        server.base + "sse/tokens", json={"channels": ["train/*"]}, headers=server.auth
    )
    assert r.json()["url"].startswith("https://hub.example.org/user/alice/sse/dashboard?token=")


@pytest.mark.parametrize("sse_config", [{"tenant": "alice"}])
async def test_behind_a_hub_with_no_public_url_a_link_is_a_path(server: Server) -> None:
    server.app.services.behind_hub = True  # as under JupyterHub (JUPYTERHUB_SERVICE_PREFIX)
    r = await server.client.post(
        server.base + "sse/tokens", json={"channels": ["c"]}, headers=server.auth
    )
    url = r.json()["url"]
    assert url.startswith(urlsplit(server.base).path + "sse/dashboard?token=")
    assert "127.0.0.1" not in url


async def test_a_person_without_a_session_is_sent_to_sign_in_and_back(server: Server) -> None:
    """The dashboard answered a raw JSON 401 instead of the sign-in page."""
    page = server.base + "sse/dashboard?channel=c"
    r = await server.client.get(page, headers={"Accept": "text/html"})
    assert r.status_code == 302
    location = r.headers["location"]
    assert "login" in location
    assert parse_qs(urlsplit(location).query)["next"] == [urlsplit(page).path + "?channel=c"]
    # A script still gets JSON.
    r = await server.client.get(server.base + "sse/channels")
    assert r.status_code == 401
    assert r.json()["status"] == 401
