"""Presence against a real server, on both brokers: who watches a channel, in its
snapshot, live as people come and go (at most one event a second), and in
``sse/channels``."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from tests.support.server import Server, wait_for
from tests.support.sse_client import StreamReader
from tests.support.viewers import mint, open_link


async def presence_until(
    stream: StreamReader, done: Callable[[dict[str, Any]], bool], timeout: float = 10.0
) -> list[dict[str, Any]]:
    """The presence events ``stream`` gets until one satisfies ``done`` (that one last)."""
    seen = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event = await asyncio.wait_for(stream.presence.get(), max(0.01, deadline - loop.time()))
        assert event.id is None  # presence never moves the cursor
        seen.append(event.envelope)
        if done(event.envelope["data"]):
            return seen


def count_is(n: int) -> Callable[[dict[str, Any]], bool]:
    return lambda data: bool(data["count"] == n)


async def watch_as_viewer(
    stack: AsyncExitStack, server: Server, channel: str, label: str
) -> tuple[StreamReader, dict[str, Any]]:
    """A person with a link labelled ``label`` watching ``channel`` until ``stack`` closes."""
    share = await mint(server, [channel], label=label)
    browser = await open_link(share["url"])
    stack.push_async_callback(browser.aclose)
    stream = await stack.enter_async_context(
        StreamReader(browser, server.base + "sse/stream", params={"channel": channel})
    )
    assert (await stream.next()).event == "snapshot"
    return stream, share


async def test_a_snapshot_says_who_watches(server: Server) -> None:
    async with AsyncExitStack() as stack:
        _, share = await watch_as_viewer(stack, server, "talk", "Dana")
        async with server.stream("talk") as mine:
            snapshot = await mine.next()
    presence = snapshot.envelope["data"]["presence"]
    assert presence["count"] == 2
    dana, user = presence["watchers"]  # longest watching first
    assert dana["kind"] == "viewer"
    assert dana["display_name"] == "Dana"
    assert dana["name"].startswith("viewer:")
    assert user["kind"] == "user"
    assert dana["since"] <= user["since"]
    assert share["token"] not in snapshot.data
    assert share["token"].split(".")[2] not in snapshot.data  # nor its signature


async def test_people_coming_and_going_are_told_live(server: Server) -> None:
    async with server.stream("talk") as mine:
        await mine.next()
        async with AsyncExitStack() as stack:
            theirs, share = await watch_as_viewer(stack, server, "talk", "Dana")
            seen = await presence_until(mine, count_is(2))
            names = [w["display_name"] for w in seen[-1]["data"]["watchers"]]
            assert names[1] == "Dana"
            assert seen[-1]["channel"] == "talk"
            # The viewer is told about the user as well (they watch the same channel).
            await presence_until(theirs, count_is(2))
            assert all(share["token"] not in json.dumps(e) for e in seen)
        seen = await presence_until(mine, count_is(1))
        assert [w["kind"] for w in seen[-1]["data"]["watchers"]] == ["user"]


async def test_presence_is_debounced_to_one_event_a_second(server: Server) -> None:
    arrivals = 6
    async with server.stream("talk") as mine:
        await mine.next()
        await presence_until(mine, count_is(1))  # its own arrival
        async with AsyncExitStack() as stack:
            await asyncio.gather(
                *(watch_as_viewer(stack, server, "talk", f"viewer {i}") for i in range(arrivals))
            )
            seen = await presence_until(mine, count_is(arrivals + 1))
        # Six people came: fewer events than that told it, at least a second apart.
        assert len(seen) < arrivals
        times = [event["ts"] for event in seen]
        assert all(b - a >= 0.9 for a, b in itertools.pairwise(times)), times


async def test_channels_count_the_people_watching(server: Server) -> None:
    await server.publish_ok({"channel": "talk", "type": "log", "data": {"text": "x"}})
    async with (
        AsyncExitStack() as stack,
        server.stream("talk") as one,
        server.stream("talk", "other") as two,
    ):
        await one.next()
        await watch_as_viewer(stack, server, "talk", "Dana")
        await two.next()
        row = (await server.channels())["talk"]
        assert row["watchers"] == 2  # the user (two tabs) and Dana
        assert row["subscribers"] == 3  # this server's streams

    async def nobody() -> bool:
        return bool((await server.channels())["talk"]["watchers"] == 0)

    await wait_for(nobody, what="everyone to leave")


async def test_a_resumed_stream_is_told_who_watches(server: Server) -> None:
    """A resume replays history, and presence is not history: the stream is told who
    watches now instead."""
    async with server.stream("talk") as first:
        cursor = (await first.next()).id
    assert cursor is not None
    async with server.stream("talk", last_event_id=cursor) as resumed:
        seen = await presence_until(resumed, count_is(1))
        assert seen[-1]["data"]["watchers"][0]["kind"] == "user"
        assert await resumed.no_event()  # nothing was missed


async def test_a_pattern_watcher_is_told_about_a_new_channel(server: Server) -> None:
    async with server.stream("talk/*") as mine:
        await server.publish_ok({"channel": "talk/a", "type": "log", "data": {"text": "x"}})
        assert (await mine.next()).event == "log"
        seen = await presence_until(mine, lambda data: True)
        assert seen[-1]["channel"] == "talk/a"
        assert seen[-1]["data"]["count"] == 1
    await wait_for(lambda: server.app.watchers.local_people == 0, what="the stream to leave")


def test_since_follows_the_earliest_stream_still_open() -> None:
    """One person with many streams: ``since`` is their earliest stream still open,
    worked out again when that one closes, per pattern."""
    from jupyter_sse.server.chat.watchers import WatcherBoard

    board = WatcherBoard(max_watchers=10)
    dana = {"name": "dana", "display_name": "Dana", "kind": "viewer"}
    board.add("s1", dana, ["talk"], 10.0)  # type: ignore[arg-type]
    board.add("s2", dana, ["talk", "train/*"], 20.0)  # type: ignore[arg-type]
    board.add("s3", dana, ["train/*"], 5.0)  # type: ignore[arg-type]
    assert [w["since"] for w in board.watchers("talk")] == [10.0]
    assert [w["since"] for w in board.watchers("train/a")] == [5.0]
    board.remove("s1")
    board.remove("s3")
    assert [w["since"] for w in board.watchers("talk")] == [20.0]
    assert [w["since"] for w in board.watchers("train/a")] == [20.0]
    assert json.loads(board.entry(0)) == [{**dana, "patterns": {"talk": 20.0, "train/*": 20.0}}]
    board.remove("s2")
    assert board.watchers("talk") == []
    assert board.entry(0) == ""
